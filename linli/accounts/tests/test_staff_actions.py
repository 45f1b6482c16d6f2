"""Staff account actions (SECURITY.md A1, A2, A3, B4, C1): created only by a system administrator,
under the staff password policy, with a password to change at first sign-in; disabling ends every
session at once; every change audited; every refusal leaves nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from linli import testing
from linli.accounts.actions.staff import (
    do_create_staff_account,
    do_disable_staff_account,
    do_enable_staff_account,
    do_reset_staff_password,
    do_reset_staff_second_factor,
)
from linli.accounts.models import AccountKind, Role, RoleAssignment, StaffTOTPDevice, User, UserSession
from linli.accounts.passwords import password_expired
from linli.areas.models import AreaKind
from linli.audit.models import AuditEvent
from linli.core.errors import Conflict, LinliError, PermissionRefused, ValidationFailed

INITIAL_PASSWORD = "Spring-Garden-2026"


@pytest.fixture
def system_admin(tree, make_staff):  # type: ignore[no-untyped-def]
    return make_staff(Role.SYSTEM_ADMIN, tree.district, username="sys.admin")


def create(actor: Any, **overrides: Any) -> User:
    values = {"username": "zhang.wei", "display_name": "张伟", "password": INITIAL_PASSWORD, "acting_user": actor}
    values.update(overrides)
    return do_create_staff_account(**values)


def state() -> tuple[Any, ...]:
    return (
        list(User.objects.order_by("id").values_list("id", "username", "is_active", "password", "password_changed_at")),
        list(UserSession.objects.order_by("id").values_list("id", "ended_at")),
        AuditEvent.objects.count(),
    )


def unchanged(call: Any, error_class: type[LinliError], code: str) -> None:
    before = state()
    with pytest.raises(error_class) as raised:
        call()
    assert raised.value.code == code
    assert state() == before


@pytest.mark.django_db
def test_migrations_create_no_accounts() -> None:
    """A1: no default or shared accounts; the first administrator is created by the operator."""
    assert not User.objects.exists()
    assert not RoleAssignment.objects.exists()


@pytest.mark.django_db
def test_a_system_admin_creates_a_staff_account(system_admin):  # type: ignore[no-untyped-def]
    account = create(system_admin, email="zhang.wei@example.cn", phone="139 1234 5678")
    account.refresh_from_db()
    assert (account.username, account.display_name, account.kind, account.is_active) == (
        "zhang.wei",
        "张伟",
        AccountKind.STAFF,
        True,
    )
    assert account.email == "zhang.wei@example.cn"
    assert account.phone == "13912345678"
    assert account.phone_index is None  # staff phones never sign in as a resident
    assert account.password_changed_at is None
    assert password_expired(account)  # so the first sign-in ends on the password change page
    assert account.check_password(INITIAL_PASSWORD)
    assert account.password.startswith("argon2$argon2id$")  # A3
    assert not account.roles.exists()
    assert not StaffTOTPDevice.objects.filter(user=account).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, password FROM accounts_user WHERE id = %s", [account.pk])
        stored_phone, stored_password = cursor.fetchone()
    assert "13912345678" not in stored_phone
    assert INITIAL_PASSWORD not in stored_password
    event = AuditEvent.objects.get(event_type="account.created")
    assert (event.actor_id, event.object_id, event.actor_role) == (system_admin.pk, str(account.pk), Role.SYSTEM_ADMIN)
    assert event.detail == {"kind": "staff", "username": "zhang.wei", "has_phone": True, "has_email": True}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Ab1!short", "This password is too short. It must contain at least 12 characters."),
        ("alllowercase12345", "Use at least 3 of: lower-case letters, capitals, digits, symbols."),
        ("John!20130605at1753", "This password is too common."),
        ("Zhang.Wei.2026", "The password is too similar to the username."),
    ],
)
def test_the_staff_password_policy_applies(system_admin, password, message):  # type: ignore[no-untyped-def]
    from django.utils import translation

    with translation.override("en"):
        before = state()
        with pytest.raises(ValidationFailed) as raised:
            create(system_admin, password=password)
    assert (raised.value.code, raised.value.field) == ("password_policy", "password")
    assert message in str(raised.value.message)
    assert state() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"username": "ab"}, "username_format"),
        ({"username": "Has Space"}, "username_format"),
        ({"username": "-leading"}, "username_format"),
        ({"display_name": "  "}, "name_required"),
        ({"phone": "12345"}, "phone_format"),
    ],
)
def test_malformed_accounts_are_refused(system_admin, overrides, code):  # type: ignore[no-untyped-def]
    unchanged(lambda: create(system_admin, **overrides), ValidationFailed, code)


@pytest.mark.django_db
def test_usernames_are_unique_ignoring_case(system_admin):  # type: ignore[no-untyped-def]
    create(system_admin, username="Li.Na")
    assert User.objects.filter(username="li.na").exists()  # stored lower-case
    unchanged(lambda: create(system_admin, username="LI.NA"), Conflict, "username_taken")


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.STREET_OFFICER])
def test_only_a_system_admin_creates_accounts(tree, make_staff, role):  # type: ignore[no-untyped-def]
    actor = (
        make_staff(role, tree.district if role in {Role.SECURITY_ADMIN, Role.AUDIT_ADMIN} else tree.street)
        if role
        else make_staff()
    )
    unchanged(lambda: create(actor), PermissionRefused, "not_system_admin")
    unchanged(lambda: create(None), PermissionRefused, "not_system_admin")


@pytest.mark.django_db
def test_disabling_ends_every_session_at_once(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    clients = [testing.client_for(account), testing.client_for(account)]
    assert all(client.get("/workbench/").status_code == 200 for client in clients)
    do_disable_staff_account(account, reason="left the street office", acting_user=system_admin)
    assert (account.is_active, account.disabled_reason) == (False, "left the street office")
    for client in clients:
        response = client.get("/workbench/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert set(UserSession.objects.filter(user=account).values_list("end_reason", flat=True)) == {"account_disabled"}
    event = AuditEvent.objects.get(event_type="account.disabled")
    assert (event.actor_id, event.object_id, event.detail) == (
        system_admin.pk,
        str(account.pk),
        {"reason": "left the street office"},
    )
    # the role stays on record (re-enabling restores the same duties) but grants nothing now
    assert RoleAssignment.objects.active().filter(user=account).count() == 1


@pytest.mark.django_db
def test_disabling_needs_a_reason_and_is_refused_for_oneself(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    unchanged(
        lambda: do_disable_staff_account(account, reason=" ab ", acting_user=system_admin),
        ValidationFailed,
        "reason_required",
    )
    unchanged(
        lambda: do_disable_staff_account(system_admin, reason="testing myself", acting_user=system_admin),
        ValidationFailed,
        "disable_self",
    )
    do_disable_staff_account(account, reason="left the office", acting_user=system_admin)
    unchanged(
        lambda: do_disable_staff_account(account, reason="left the office", acting_user=system_admin),
        Conflict,
        "already_disabled",
    )


@pytest.mark.django_db
def test_enabling_restarts_the_dormancy_clock(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    do_disable_staff_account(account, reason="long leave", acting_user=system_admin)
    do_enable_staff_account(account, reason="back from leave", acting_user=system_admin)
    assert (account.is_active, account.disabled_reason) == (True, "")
    assert account.last_seen_at is not None
    event = AuditEvent.objects.get(event_type="account.enabled")
    assert event.detail == {"reason": "back from leave"}
    unchanged(
        lambda: do_enable_staff_account(account, reason="back from leave", acting_user=system_admin),
        Conflict,
        "already_enabled",
    )


@pytest.mark.django_db
def test_a_system_admin_manages_only_accounts_inside_their_area(tree, make_staff):  # type: ignore[no-untyped-def]
    other_street = testing.create_area(AreaKind.STREET, "002", "酒仙桥街道", tree.district)
    street_admin = make_staff(Role.SYSTEM_ADMIN, tree.street)
    outsider = make_staff(Role.STREET_OFFICER, other_street)
    unchanged(
        lambda: do_disable_staff_account(outsider, reason="not mine", acting_user=street_admin),
        PermissionRefused,
        "account_out_of_remit",
    )
    unchanged(
        lambda: do_reset_staff_password(outsider, password=INITIAL_PASSWORD, acting_user=street_admin),
        PermissionRefused,
        "account_out_of_remit",
    )
    resident = make_staff()
    User.objects.filter(pk=resident.pk).update(kind=AccountKind.RESIDENT)
    resident.refresh_from_db()
    unchanged(
        lambda: do_disable_staff_account(resident, reason="not staff", acting_user=street_admin),
        PermissionRefused,
        "not_staff",
    )
    inside = make_staff(Role.GRID_WORKER, tree.grid_b1)
    do_disable_staff_account(inside, reason="left the office", acting_user=street_admin)
    assert not inside.is_active


@pytest.mark.django_db
def test_resetting_a_password_forces_a_change_and_ends_sessions(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(account)
    do_reset_staff_password(account, password=INITIAL_PASSWORD, acting_user=system_admin)
    account.refresh_from_db()
    assert account.check_password(INITIAL_PASSWORD)
    assert account.password_changed_at is None
    assert client.get("/workbench/").status_code == 302
    assert UserSession.objects.get(user=account).end_reason == "password_reset"
    assert AuditEvent.objects.filter(event_type="account.password_reset", object_id=str(account.pk)).count() == 1
    unchanged(
        lambda: do_reset_staff_password(account, password="short", acting_user=system_admin),
        ValidationFailed,
        "password_policy",
    )
    unchanged(
        lambda: do_reset_staff_password(system_admin, password=INITIAL_PASSWORD, acting_user=system_admin),
        ValidationFailed,
        "reset_own_password",
    )


@pytest.mark.django_db
def test_resetting_a_second_factor_is_for_the_security_admin(tree, system_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1)
    security_admin = make_staff(Role.SECURITY_ADMIN, tree.district)
    devices = StaffTOTPDevice.objects.filter(user=account)
    unchanged(
        lambda: do_reset_staff_second_factor(account, acting_user=system_admin), PermissionRefused, "not_security_admin"
    )
    unchanged(
        lambda: do_reset_staff_second_factor(security_admin, acting_user=security_admin),
        PermissionRefused,
        "own_second_factor",
    )
    assert devices.count() == 1
    do_reset_staff_second_factor(account, acting_user=security_admin)
    assert devices.count() == 0
    event = AuditEvent.objects.get(event_type="account.second_factor_reset")
    assert (event.actor_id, event.object_id) == (security_admin.pk, str(account.pk))


@pytest.mark.django_db
def test_the_operator_creates_the_first_administrator(tree):  # type: ignore[no-untyped-def]
    from linli.accounts.actions.staff import do_create_first_administrator

    account = do_create_first_administrator(
        username="first.admin",
        display_name="刘洋",
        password=INITIAL_PASSWORD,
        role=Role.SYSTEM_ADMIN,
        area=tree.district,
    )
    assert account.password_changed_at is None
    assert list(account.roles.values_list("role", "area_id")) == [(Role.SYSTEM_ADMIN, tree.district.pk)]
    assert list(
        AuditEvent.objects.filter(object_type="accounts.user", object_id=str(account.pk))
        .order_by("id")
        .values_list("event_type", "actor_label")
    ) == [("account.created", "operator"), ("role.assigned", "operator")]
    # not a second one beside a working administrator …
    unchanged(
        lambda: do_create_first_administrator(
            username="second.admin",
            display_name="王强",
            password=INITIAL_PASSWORD,
            role=Role.SYSTEM_ADMIN,
            area=tree.district,
        ),
        Conflict,
        "role_already_held",
    )
    # … but again once every holder is disabled (recovery), and never for an operational role
    User.objects.filter(pk=account.pk).update(is_active=False)
    assert do_create_first_administrator(
        username="second.admin",
        display_name="王强",
        password=INITIAL_PASSWORD,
        role=Role.SYSTEM_ADMIN,
        area=tree.district,
    ).is_active
    unchanged(
        lambda: do_create_first_administrator(
            username="officer",
            display_name="王强",
            password=INITIAL_PASSWORD,
            role=Role.STREET_OFFICER,
            area=tree.street,
        ),
        ValidationFailed,
        "role_not_admin",
    )
    unchanged(
        lambda: do_create_first_administrator(
            username="audit.admin",
            display_name="赵敏",
            password=INITIAL_PASSWORD,
            role=Role.AUDIT_ADMIN,
            area=tree.grid_a1,
        ),
        ValidationFailed,
        "role_area_kind",
    )
    unchanged(
        lambda: do_create_first_administrator(
            username="audit.admin", display_name="赵敏", password="weak", role=Role.AUDIT_ADMIN, area=tree.district
        ),
        ValidationFailed,
        "password_policy",
    )
