"""Helpers shared by the test suites of every app: a small jurisdiction tree, staff and resident
accounts, and clients signed in the way the real flows sign them in.

Only imported by tests (``conftest.py`` exposes them as fixtures)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import django_otp
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client
from django.utils import timezone

from linli.accounts.middleware import SESSION_RECORD_KEY
from linli.accounts.models import AccountKind, RoleAssignment, StaffTOTPDevice, User, UserSession
from linli.areas.models import Area, AreaKind, Department

STAFF_PASSWORD = "Correct-Horse-42!"


class CheapArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id as in production, with the cost lowered for tests (the production cost is about a
    second per hash on a loaded 2-core machine). The root conftest.py switches to it."""

    time_cost = 1
    memory_cost = 1024
    parallelism = 1


def totp_now(device: StaffTOTPDevice, offset_steps: int = 0) -> str:
    from django_otp.oath import hotp

    t = int(timezone.now().timestamp()) // 30 + offset_steps
    return f"{hotp(device.bin_key, t, digits=6):06d}"


def create_area(kind: AreaKind, code: str, name: str, parent: Area | None = None) -> Area:
    from linli.areas.actions import do_create_area

    return do_create_area(kind=kind, code=code, name=name, parent=parent, acting_user=None)


@dataclass
class Tree:
    """district → street → communities A, B → grids A1, A2, B1 → estate → building → unit →
    dwellings. ``dwelling_a1`` lies in grid A1, ``dwelling_b1`` in grid B1."""

    district: Area
    street: Area
    community_a: Area
    community_b: Area
    grid_a1: Area
    grid_a2: Area
    grid_b1: Area
    dwelling_a1: Area
    dwelling_a2: Area
    dwelling_b1: Area
    department: Department
    extra: dict[str, Area] = field(default_factory=dict)


def build_tree() -> Tree:
    district = create_area(AreaKind.DISTRICT, "110105", "朝阳区")
    street = create_area(AreaKind.STREET, "001", "望京街道", district)
    community_a = create_area(AreaKind.COMMUNITY, "001", "花家地社区", street)
    community_b = create_area(AreaKind.COMMUNITY, "002", "南湖社区", street)
    grid_a1 = create_area(AreaKind.GRID, "01", "花家地第一网格", community_a)
    grid_a2 = create_area(AreaKind.GRID, "02", "花家地第二网格", community_a)
    grid_b1 = create_area(AreaKind.GRID, "01", "南湖第一网格", community_b)
    dwellings = {}
    for grid, label in ((grid_a1, "a1"), (grid_a2, "a2"), (grid_b1, "b1")):
        estate = create_area(AreaKind.ESTATE, "01", f"{grid.name}小区", grid)
        building = create_area(AreaKind.BUILDING, "1", "1号楼", estate)
        unit = create_area(AreaKind.UNIT, "1", "1单元", building)
        dwellings[label] = create_area(AreaKind.DWELLING, "101", "101室", unit)
    department = Department.objects.create(code="police-wj", name="望京派出所", street=street)
    return Tree(
        district,
        street,
        community_a,
        community_b,
        grid_a1,
        grid_a2,
        grid_b1,
        dwellings["a1"],
        dwellings["a2"],
        dwellings["b1"],
        department,
    )


def make_staff(
    role: str | None = None,
    area: Area | None = None,
    *,
    department: Department | None = None,
    username: str | None = None,
) -> User:
    user = User(username=username or f"staff{secrets.token_hex(4)}", kind=AccountKind.STAFF, display_name="测试员")
    user.set_password(STAFF_PASSWORD)
    user.password_changed_at = timezone.now()
    user.save()
    StaffTOTPDevice.objects.create(user=user, name="TOTP", confirmed=True, encrypted_key=secrets.token_hex(20))
    if role and area:
        RoleAssignment.objects.create(user=user, role=role, area=area, department=department)
    return user


def make_resident(phone: str | None = None, *, name: str = "王小明") -> User:
    from linli.accounts.actions.login import phone_index

    phone = phone or f"139{secrets.randbelow(10**8):08d}"
    user = User(
        username=f"r{secrets.token_hex(6)}",
        kind=AccountKind.RESIDENT,
        phone=phone,
        phone_index=phone_index(phone),
        display_name=name,
    )
    user.set_unusable_password()
    user.save()
    return user


def sign_in(client: Client, user: User, *, second_factor: bool = True) -> Client:
    """Sign ``user`` in as the real flows leave a session: a UserSession record and, for staff,
    a verified TOTP device (unless ``second_factor`` is False: a password-only session)."""
    client.force_login(user, backend="linli.accounts.backends.StaffPasswordBackend")
    session = client.session
    record = UserSession.objects.create(user=user)
    session[SESSION_RECORD_KEY] = str(record.id)
    if user.kind == AccountKind.STAFF and second_factor:
        device = StaffTOTPDevice.objects.get(user=user, confirmed=True)
        session[django_otp.DEVICE_ID_SESSION_KEY] = device.persistent_id
    session["linli_reauthenticated_at"] = timezone.now().timestamp()
    session.save()
    return client


def client_for(user: User, **kwargs: Any) -> Client:
    return sign_in(Client(), user, **kwargs)
