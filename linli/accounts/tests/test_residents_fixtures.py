"""Shared set-up for the resident-link, reveal and letter tests: one account per role of the
role × jurisdiction matrix (SECURITY.md test 2) and a pending home link in grid A1 and in grid B1."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache

from linli import testing
from linli.accounts.actions.residents import do_request_dwelling_link
from linli.accounts.models import DwellingLink, Role, User
from linli.privacy.validators import id_number_check_character

PHONE_A = "13912345678"
PHONE_B = "13887654321"


def make_id_number(first17: str) -> str:
    return first17 + id_number_check_character(first17)


ID_A = make_id_number("11010519800101123")
ID_B = make_id_number("11010519900202456")
ID_C = make_id_number("31010119751111789")

ROLE_KEYS = (
    "grid_worker_a1",
    "community_worker_a",
    "community_leader_b",
    "street_officer",
    "department_officer",
    "system_admin",
    "audit_admin",
    "resident",
)


@dataclass
class World:
    tree: testing.Tree
    staff: dict[str, User]
    resident_a: User
    resident_b: User
    link_a1: DwellingLink
    link_b1: DwellingLink

    def link(self, key: str) -> DwellingLink:
        return {"a1": self.link_a1, "b1": self.link_b1}[key]

    def resident_of(self, key: str) -> User:
        return {"a1": self.resident_a, "b1": self.resident_b}[key]


def request_link(
    resident: User, dwelling: Any, id_number: str, *, name: str = "王小明", relation: str = "owner"
) -> DwellingLink:
    return do_request_dwelling_link(
        resident, dwelling=dwelling, real_name=name, id_number=id_number, relation=relation, acting_user=resident
    )


def build_world(tree: testing.Tree) -> World:
    staff = {
        "grid_worker_a1": testing.make_staff(Role.GRID_WORKER, tree.grid_a1),
        "community_worker_a": testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a),
        "community_leader_b": testing.make_staff(Role.COMMUNITY_LEADER, tree.community_b),
        "street_officer": testing.make_staff(Role.STREET_OFFICER, tree.street),
        "department_officer": testing.make_staff(Role.DEPARTMENT_OFFICER, tree.street, department=tree.department),
        "system_admin": testing.make_staff(Role.SYSTEM_ADMIN, tree.district),
        "audit_admin": testing.make_staff(Role.AUDIT_ADMIN, tree.district),
        "resident": testing.make_resident(name="李四"),
    }
    resident_a = testing.make_resident(PHONE_A, name="张三丰")
    resident_b = testing.make_resident(PHONE_B, name="欧阳娜娜")
    link_a1 = request_link(resident_a, tree.dwelling_a1, ID_A, name="张三丰")
    link_b1 = request_link(resident_b, tree.dwelling_b1, ID_B, name="欧阳娜娜")
    return World(tree, staff, resident_a, resident_b, link_a1, link_b1)


@pytest.fixture(name="fast_passwords")
def fast_passwords_fixture(settings: Any) -> None:
    """Staff accounts are created with a cheap hasher: these tests never check a password."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(name="world")
def world_fixture(tree: testing.Tree, fast_passwords: None) -> World:
    return build_world(tree)


@pytest.fixture(name="clear_rate_limits", autouse=True)
def clear_rate_limits_fixture(db: Any) -> Any:
    """Rate-limit counters live in the cache (Redis when configured): start every test clean."""
    cache.clear()
    yield
    cache.clear()


def test_fixture_world_is_consistent(world: World) -> None:
    assert world.link_a1.status == "pending"
    assert world.link_a1.area_path == world.tree.dwelling_a1.path
    assert world.resident_a.id_number == ID_A
    assert world.link_b1.area_path.startswith(world.tree.grid_b1.path)
