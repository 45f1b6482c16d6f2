"""Loading the demo street into the database: exact counts, idempotence, refusals, consistent
paths, valid and encrypted personal data."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from linli.accounts.actions.login import phone_index
from linli.accounts.models import (
    AccountKind,
    DwellingLink,
    DwellingLinkStatus,
    RoleAssignment,
    StaffTOTPDevice,
    User,
)
from linli.areas.actions import do_create_area
from linli.areas.models import Area, AreaKind, Department
from linli.audit.models import AuditEvent
from linli.audit.verification import verify_chain
from linli.core import registry
from linli.demo.actions import DemoRefused, do_load_demo
from linli.demo.generator import DEFAULT_SEED, build_plan, totp_key_for
from linli.demo.models import DemoAccount, DemoDataset
from linli.notify.models import Notification
from linli.privacy.crypto import blind_index
from linli.privacy.validators import validate_id_number, validate_phone

MODELS = [Area, Department, User, RoleAssignment, StaffTOTPDevice, DwellingLink, Notification, DemoAccount, DemoDataset]


def row_counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS} | {"AuditEvent": AuditEvent.objects.count()}


def test_small_street_has_the_expected_rows(demo_street) -> None:  # type: ignore[no-untyped-def]
    assert demo_street.created is True
    kinds = {AreaKind(kind).name.lower(): Area.objects.filter(kind=kind).count() for kind in AreaKind.values}
    assert kinds == {
        "district": 1,
        "street": 1,
        "community": 5,
        "grid": 10,
        "estate": 22,
        "building": 81,
        "unit": 207,
        "dwelling": 3565,
    }
    assert list(Department.objects.order_by("id").values_list("name", flat=True)) == [
        "东湖派出所",
        "东湖城管执法队",
        "东湖街道住建办",
        "东湖街道民政科",
        "东湖市场监管所",
    ]
    assert User.objects.filter(kind=AccountKind.STAFF).count() == 9
    assert User.objects.filter(kind=AccountKind.RESIDENT).count() == 202
    assert DwellingLink.objects.filter(status=DwellingLinkStatus.VERIFIED, method="staff").count() == 181
    assert DwellingLink.objects.filter(status=DwellingLinkStatus.PENDING).count() == 20
    assert Notification.objects.exclude(kind="notice").count() == 3  # linli.notices adds its demo notices
    assert DemoAccount.objects.count() == 11
    assert StaffTOTPDevice.objects.filter(confirmed=True).count() == 9
    dataset = DemoDataset.objects.get()
    assert (dataset.scale, dataset.seed) == ("small", DEFAULT_SEED)
    assert dataset.fingerprint == build_plan("small", DEFAULT_SEED).fingerprint()
    event = AuditEvent.objects.get(event_type="demo.loaded")
    assert event.detail["counts"]["dwelling"] == 3565
    assert (event.detail["scale"], event.detail["seed"]) == ("small", DEFAULT_SEED)
    assert AuditEvent.objects.count() == 1
    assert verify_chain().ok


def test_roles_are_held_where_the_brief_says(demo_street) -> None:  # type: ignore[no-untyped-def]
    street = Area.objects.get(kind=AreaKind.STREET)
    district = Area.objects.get(kind=AreaKind.DISTRICT)
    community_one, community_two = Area.objects.filter(kind=AreaKind.COMMUNITY).order_by("id")[:2]
    grid_one = Area.objects.filter(parent=community_one).order_by("id").first()
    grid_two = Area.objects.filter(parent=community_two).order_by("id").first()
    held = {
        assignment.user.username: (assignment.role, assignment.area_id, assignment.department_id)
        for assignment in RoleAssignment.objects.select_related("user")
    }
    police = Department.objects.get(name="东湖派出所")
    assert held == {
        "demo-street": ("street_officer", street.id, None),
        "demo-leader": ("community_leader", community_one.id, None),
        "demo-worker": ("community_worker", community_one.id, None),
        "demo-grid1": ("grid_worker", grid_one.id, None),
        "demo-grid2": ("grid_worker", grid_two.id, None),
        "demo-police": ("department_officer", street.id, police.id),
        "demo-sysadmin": ("system_admin", district.id, None),
        "demo-secadmin": ("security_admin", district.id, None),
        "demo-auditor": ("audit_admin", district.id, None),
    }


def test_second_load_adds_nothing(demo_street) -> None:  # type: ignore[no-untyped-def]
    before = row_counts()
    again = do_load_demo(scale="small", seed=DEFAULT_SEED)
    assert again.created is False
    assert again.dataset.id == demo_street.dataset.id
    assert row_counts() == before


def test_another_scale_or_seed_is_not_loaded_over_the_demo(demo_street) -> None:  # type: ignore[no-untyped-def]
    before = row_counts()
    for scale, seed in (("street", DEFAULT_SEED), ("small", 7)):
        result = do_load_demo(scale=scale, seed=seed)
        assert result.created is False
        assert (result.dataset.scale, result.dataset.seed) == ("small", DEFAULT_SEED)
    assert row_counts() == before


def test_refused_when_demo_mode_is_off(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = False
    with pytest.raises(DemoRefused) as refusal:
        do_load_demo(scale="small", seed=DEFAULT_SEED)
    assert refusal.value.code == "demo_off"
    assert row_counts() == {name: 0 for name in row_counts()}


def test_refused_when_the_database_holds_other_areas(tree, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    before = row_counts()
    with pytest.raises(DemoRefused) as refusal:
        do_load_demo(scale="small", seed=DEFAULT_SEED)
    assert refusal.value.code == "demo_not_empty"
    assert row_counts() == before


def test_loads_after_existing_accounts_and_ids_continue_afterwards(db, settings, make_staff) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    existing = make_staff(username="someone-before")
    do_load_demo(scale="small", seed=DEFAULT_SEED)
    assert User.objects.get(username="demo-street").id == existing.id + 1
    highest_area = Area.objects.order_by("-id").first()
    unit = Area.objects.filter(kind=AreaKind.UNIT).first()
    added = do_create_area(kind=AreaKind.DWELLING, code="9901", name="9901室", parent=unit, acting_user=None)
    assert added.id == highest_area.id + 1
    assert added.path == f"{unit.path}{added.id}/"
    highest_user_id = User.objects.order_by("-id").values_list("id", flat=True).first()
    assert highest_user_id == existing.id + 9 + 202
    later = make_staff(username="someone-after")
    assert later.id == highest_user_id + 1


def test_every_area_path_is_consistent(demo_street) -> None:  # type: ignore[no-untyped-def]
    paths = dict(Area.objects.values_list("id", "path"))
    for area_id, parent_id, path, depth in Area.objects.values_list("id", "parent_id", "path", "depth"):
        expected = f"{paths[parent_id] if parent_id else '/'}{area_id}/"
        assert path == expected
        assert depth == path.count("/") - 2
    street = Area.objects.get(kind=AreaKind.STREET)
    assert Area.objects.within(street).count() == Area.objects.count() - 1
    for link in DwellingLink.objects.select_related("dwelling"):
        assert link.area_path == link.dwelling.path


def test_residents_have_valid_encrypted_identifiers_with_blind_indexes(demo_street) -> None:  # type: ignore[no-untyped-def]
    plan = build_plan("small", DEFAULT_SEED)
    residents = list(User.objects.filter(kind=AccountKind.RESIDENT).order_by("id"))
    assert [user.phone for user in residents] == [row.phone for row in plan.residents]
    assert [user.display_name for user in residents] == [row.display_name for row in plan.residents]
    for user in residents:
        assert validate_phone(user.phone) == user.phone
        assert validate_id_number(user.id_number) == user.id_number
        assert user.phone_index == phone_index(user.phone)
        assert user.id_number_index == blind_index(user.id_number, purpose="id_number")
        assert not user.has_usable_password()
    assert User.objects.get(username="demo-resident").phone == "13800000001"
    assert User.objects.get(username="demo-newcomer").dwelling_links.count() == 0


def test_staff_accounts_are_ready_to_sign_in(demo_street) -> None:  # type: ignore[no-untyped-def]
    from linli.accounts.passwords import password_expired
    from linli.demo.generator import DEMO_PASSWORD

    staff = list(User.objects.filter(kind=AccountKind.STAFF))
    assert len({user.password for user in staff}) == 1  # one shared hash of the published password
    assert staff[0].check_password(DEMO_PASSWORD)
    for user in staff:
        assert not password_expired(user)
        device = StaffTOTPDevice.objects.get(user=user)
        assert device.confirmed is True
        assert device.encrypted_key == totp_key_for(DEFAULT_SEED, user.username)


PHONE_OR_ID = re.compile(r"\d{17}[\dX]|\d{11}")


def test_no_plaintext_phone_or_id_number_in_any_table(demo_street) -> None:  # type: ignore[no-untyped-def]
    residents = User.objects.filter(kind=AccountKind.RESIDENT)
    secrets = {user.phone for user in residents} | {user.id_number for user in residents}
    assert len(secrets) == 404
    pattern = re.compile("|".join(re.escape(value) for value in sorted(secrets)))
    scanned = 0
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names from introspection
            for row in cursor.fetchall():
                for value in row:
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)
                    assert pattern.search(text) is None, f"plaintext personal data in {table}"
                    scanned += 1
    assert scanned > 40000
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM accounts_user WHERE username = %s", ["demo-resident"])
        (stored,) = cursor.fetchone()
    assert stored.count("$") == 1 and "13800000001" not in stored


def test_registered_module_demo_loaders_run_inside_the_load(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    calls = []

    def loader(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)

    manifest = registry.register(registry.ModuleManifest(name="demo-test-module", label="test", demo_loader=loader))
    try:
        do_load_demo(scale="small", seed=DEFAULT_SEED)
    finally:
        registry._modules.pop(manifest.name)
    assert len(calls) == 1
    assert calls[0]["street"] == Area.objects.get(kind=AreaKind.STREET)
    assert (calls[0]["scale"], calls[0]["seed"]) == ("small", DEFAULT_SEED)
    assert sorted(calls[0]["accounts"]) == sorted(DemoAccount.objects.values_list("user__username", flat=True))


def test_every_demo_link_relation_is_a_valid_choice(demo_street) -> None:  # type: ignore[no-untyped-def]
    from django.db.models import Count

    from linli.accounts.models import DwellingRelation

    counts = dict(DwellingLink.objects.values_list("relation").annotate(count=Count("id")).order_by())
    assert set(counts) == set(DwellingRelation.values)
    assert sum(counts.values()) == 201
    assert counts["owner"] > counts["tenant"] > counts["family"] > 0
