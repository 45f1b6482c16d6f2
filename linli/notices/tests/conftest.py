"""Fixtures for the notices tests: the shared tree with residents living in grids A1, A2 and B1,
and staff at each level."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from linli import testing
from linli.accounts.models import DwellingLink, DwellingLinkStatus, Role, User
from linli.areas.models import Area, AreaKind
from linli.notices import actions


@pytest.fixture(autouse=True)
def _uploads(settings: Any, tmp_path: Any) -> None:
    settings.LINLI_NOTICE_UPLOAD_DIR = tmp_path / "uploads" / "notices"
    settings.LANGUAGE_CODE = "en"


def link(user: User, dwelling: Area, status: str = DwellingLinkStatus.VERIFIED) -> DwellingLink:
    return DwellingLink.objects.create(user=user, dwelling=dwelling, area_path=dwelling.path, status=status)


@dataclass
class World:
    tree: testing.Tree
    a1: User  # grid A1, SMS on
    a1_quiet: User  # grid A1, SMS off
    a2: User  # grid A2
    b1: User  # grid B1
    pending: User  # grid A1, link not verified
    grid_worker_a1: User
    grid_worker_b1: User
    community_worker_a: User
    street_officer: User
    department_officer: User
    building_a1: Area

    def client(self, user: User) -> Client:
        client = testing.client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client


@pytest.fixture
def world(tree: testing.Tree) -> World:
    make_resident, make_staff = testing.make_resident, testing.make_staff
    a1 = make_resident("13900000001", name="张一")
    a1_quiet = make_resident("13900000002", name="张二")
    User.objects.filter(pk=a1_quiet.pk).update(notify_by_sms=False)
    a1_quiet.refresh_from_db()
    a2 = make_resident("13900000003", name="李三")
    b1 = make_resident("13900000004", name="王四")
    pending = make_resident("13900000005", name="赵五")
    link(a1, tree.dwelling_a1)
    link(a1_quiet, tree.dwelling_a1)
    link(a2, tree.dwelling_a2)
    link(b1, tree.dwelling_b1)
    link(pending, tree.dwelling_a1, DwellingLinkStatus.PENDING)
    building_a1 = Area.objects.get(kind=AreaKind.BUILDING, path=tree.dwelling_a1.path.rsplit("/", 3)[0] + "/")
    return World(
        tree=tree,
        a1=a1,
        a1_quiet=a1_quiet,
        a2=a2,
        b1=b1,
        pending=pending,
        grid_worker_a1=make_staff(Role.GRID_WORKER, tree.grid_a1, username="gw-a1"),
        grid_worker_b1=make_staff(Role.GRID_WORKER, tree.grid_b1, username="gw-b1"),
        community_worker_a=make_staff(Role.COMMUNITY_WORKER, tree.community_a, username="cw-a"),
        street_officer=make_staff(Role.STREET_OFFICER, tree.street, username="so"),
        department_officer=make_staff(Role.DEPARTMENT_OFFICER, tree.street, department=tree.department, username="do"),
        building_a1=building_a1,
    )


def verified(user: User) -> User:
    """The user as a request would see them after TOTP: grants are computed for verified sessions."""
    user.is_verified = lambda: True  # type: ignore[attr-defined]
    return user


def publish(area: Area, author: User, **kwargs: Any) -> Any:
    kwargs.setdefault("title", "停水通知")
    kwargs.setdefault("body", "周六 8:00–12:00 停水。\n请提前储水。")
    return actions.do_publish_notice(area, acting_user=verified(author), **kwargs)
