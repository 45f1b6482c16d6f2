"""Granting and revoking roles (SECURITY.md B4, B5, B6, C1): the actions' rules, each refusal
audited with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from linli import testing
from linli.accounts.actions.roles import ROLE_AREA_KINDS, check_separation_of_duties, do_assign_role, do_revoke_role
from linli.accounts.models import ADMIN_ROLES, AccountKind, Role, RoleAssignment, User
from linli.accounts.scoping import OPERATIONAL_ROLES
from linli.areas.models import AreaKind, Department
from linli.audit.models import AuditEvent
from linli.core.errors import Conflict, LinliError, PermissionRefused, ValidationFailed


@pytest.fixture
def security_admin(tree, make_staff):  # type: ignore[no-untyped-def]
    return make_staff(Role.SECURITY_ADMIN, tree.district, username="sec.admin")


@pytest.fixture
def newcomer(make_staff):  # type: ignore[no-untyped-def]
    return make_staff(username="new.colleague")


def snapshot() -> tuple[list[tuple[Any, ...]], int]:
    rows = list(RoleAssignment.objects.order_by("id").values_list("id", "user_id", "role", "area_id", "revoked_at"))
    return rows, AuditEvent.objects.exclude(event_type__endswith="_refused").count()


def refused(call: Any, error_class: type[LinliError], code: str) -> AuditEvent:
    """Run ``call``; it must raise ``error_class`` with ``code``, change nothing and audit the
    refusal."""
    before = snapshot()
    refusals = AuditEvent.objects.filter(event_type__endswith="_refused").count()
    with pytest.raises(error_class) as raised:
        call()
    assert raised.value.code == code
    assert snapshot() == before
    events = AuditEvent.objects.filter(event_type__endswith="_refused").order_by("id")
    assert events.count() == refusals + 1
    event = events.last()
    assert event is not None
    assert event.outcome == "denied"
    assert event.detail["code"] == code
    return event


@pytest.mark.django_db
def test_a_security_admin_grants_a_role(tree, security_admin, newcomer):  # type: ignore[no-untyped-def]
    assignment = do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin)
    assert (assignment.user, assignment.role, assignment.area, assignment.department) == (
        newcomer,
        Role.GRID_WORKER,
        tree.grid_a1,
        None,
    )
    assert assignment.granted_by == security_admin
    assert assignment.revoked_at is None
    event = AuditEvent.objects.get(event_type="role.assigned")
    assert (event.actor_id, event.object_type, event.object_id, event.area_id, event.actor_role) == (
        security_admin.pk,
        "accounts.user",
        str(newcomer.pk),
        tree.grid_a1.pk,
        Role.SECURITY_ADMIN,
    )
    assert event.detail == {
        "assignment": assignment.pk,
        "role": "grid_worker",
        "area_code": tree.grid_a1.code,
        "department": None,
    }


@pytest.mark.django_db
def test_a_department_officer_needs_a_department_of_that_street(tree, security_admin, newcomer):  # type: ignore[no-untyped-def]
    refused(
        lambda: do_assign_role(newcomer, role=Role.DEPARTMENT_OFFICER, area=tree.street, acting_user=security_admin),
        ValidationFailed,
        "department_required",
    )
    other_street = testing.create_area(AreaKind.STREET, "002", "酒仙桥街道", tree.district)
    elsewhere = Department.objects.create(code="police-jxq", name="酒仙桥派出所", street=other_street)
    refused(
        lambda: do_assign_role(
            newcomer, role=Role.DEPARTMENT_OFFICER, area=tree.street, department=elsewhere, acting_user=security_admin
        ),
        ValidationFailed,
        "department_elsewhere",
    )
    Department.objects.filter(pk=tree.department.pk).update(is_active=False)
    tree.department.refresh_from_db()
    refused(
        lambda: do_assign_role(
            newcomer,
            role=Role.DEPARTMENT_OFFICER,
            area=tree.street,
            department=tree.department,
            acting_user=security_admin,
        ),
        ValidationFailed,
        "department_inactive",
    )
    Department.objects.filter(pk=tree.department.pk).update(is_active=True)
    tree.department.refresh_from_db()
    assignment = do_assign_role(
        newcomer,
        role=Role.DEPARTMENT_OFFICER,
        area=tree.community_a,
        department=tree.department,
        acting_user=security_admin,
    )
    assert assignment.department == tree.department


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(set(Role) - {Role.DEPARTMENT_OFFICER}))
def test_other_roles_have_no_department(tree, security_admin, newcomer, role):  # type: ignore[no-untyped-def]
    area = {AreaKind.GRID: tree.grid_a1, AreaKind.COMMUNITY: tree.community_a, AreaKind.STREET: tree.street}
    place = next(
        area[kind] for kind in (AreaKind.GRID, AreaKind.COMMUNITY, AreaKind.STREET) if kind in ROLE_AREA_KINDS[role]
    )
    refused(
        lambda: do_assign_role(newcomer, role=role, area=place, department=tree.department, acting_user=security_admin),
        ValidationFailed,
        "department_not_allowed",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "area_name", "allowed"),
    [
        (Role.GRID_WORKER, "grid_a1", True),
        (Role.GRID_WORKER, "community_a", False),
        (Role.GRID_WORKER, "dwelling_a1", False),
        (Role.COMMUNITY_WORKER, "community_a", True),
        (Role.COMMUNITY_WORKER, "grid_a1", False),
        (Role.COMMUNITY_LEADER, "community_b", True),
        (Role.COMMUNITY_LEADER, "street", False),
        (Role.STREET_OFFICER, "street", True),
        (Role.STREET_OFFICER, "district", False),
        (Role.SYSTEM_ADMIN, "district", True),
        (Role.SECURITY_ADMIN, "street", True),
        (Role.AUDIT_ADMIN, "community_a", False),
    ],
)
def test_each_role_is_held_at_its_level(tree, security_admin, newcomer, role, area_name, allowed):  # type: ignore[no-untyped-def]
    area = getattr(tree, area_name)
    if allowed:
        assert do_assign_role(newcomer, role=role, area=area, acting_user=security_admin).area == area
    else:
        refused(
            lambda: do_assign_role(newcomer, role=role, area=area, acting_user=security_admin),
            ValidationFailed,
            "role_area_kind",
        )


@pytest.mark.django_db
@pytest.mark.parametrize("held", sorted(ADMIN_ROLES))
@pytest.mark.parametrize("wanted", sorted(ADMIN_ROLES))
def test_no_account_holds_two_administrator_roles(tree, security_admin, make_staff, held, wanted):  # type: ignore[no-untyped-def]
    account = make_staff(held, tree.street)
    if held == wanted:  # the same role at another area is allowed (one person, two streets)
        assert do_assign_role(account, role=wanted, area=tree.district, acting_user=security_admin).role == wanted
        return
    refused(
        lambda: do_assign_role(account, role=wanted, area=tree.district, acting_user=security_admin),
        ValidationFailed,
        "admin_roles_exclusive",
    )
    assert set(RoleAssignment.objects.active().filter(user=account).values_list("role", flat=True)) == {held}


@pytest.mark.django_db
@pytest.mark.parametrize("admin_role", sorted(ADMIN_ROLES))
def test_administrators_hold_no_operational_role_and_back(tree, security_admin, make_staff, admin_role):  # type: ignore[no-untyped-def]
    administrator = make_staff(admin_role, tree.street)
    refused(
        lambda: do_assign_role(administrator, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin),
        ValidationFailed,
        "admin_role_with_operational",
    )
    officer = make_staff(Role.STREET_OFFICER, tree.street)
    refused(
        lambda: do_assign_role(officer, role=admin_role, area=tree.street, acting_user=security_admin),
        ValidationFailed,
        "admin_role_with_operational",
    )


def test_the_separation_rule_itself() -> None:
    for role in OPERATIONAL_ROLES:
        check_separation_of_duties(set(OPERATIONAL_ROLES), role)  # operational roles combine freely
    for admin in ADMIN_ROLES:
        check_separation_of_duties(set(), admin)
        check_separation_of_duties({admin}, admin)
        with pytest.raises(ValidationFailed):
            check_separation_of_duties({admin}, Role.GRID_WORKER)


@pytest.mark.django_db
def test_a_revoked_admin_role_frees_the_account_for_another(tree, security_admin, make_staff):  # type: ignore[no-untyped-def]
    account = make_staff(Role.AUDIT_ADMIN, tree.district)
    do_revoke_role(RoleAssignment.objects.get(user=account), acting_user=security_admin, reason="moved to audit office")
    assert (
        do_assign_role(account, role=Role.SYSTEM_ADMIN, area=tree.district, acting_user=security_admin).role
        == Role.SYSTEM_ADMIN
    )


@pytest.mark.django_db
def test_a_security_admin_cannot_change_their_own_roles(tree, security_admin):  # type: ignore[no-untyped-def]
    refused(
        lambda: do_assign_role(security_admin, role=Role.SECURITY_ADMIN, area=tree.street, acting_user=security_admin),
        PermissionRefused,
        "own_roles",
    )
    own = RoleAssignment.objects.get(user=security_admin)
    refused(lambda: do_revoke_role(own, acting_user=security_admin), PermissionRefused, "own_roles")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "actor_role", [None, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN, Role.STREET_OFFICER, Role.COMMUNITY_LEADER]
)
def test_only_a_security_admin_grants_or_revokes(tree, make_staff, newcomer, actor_role):  # type: ignore[no-untyped-def]
    actor = make_staff(actor_role, tree.street) if actor_role else make_staff()
    refused(
        lambda: do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=actor),
        PermissionRefused,
        "not_security_admin",
    )
    held = RoleAssignment.objects.create(user=newcomer, role=Role.GRID_WORKER, area=tree.grid_a1)
    refused(lambda: do_revoke_role(held, acting_user=actor), PermissionRefused, "not_security_admin")


@pytest.mark.django_db
def test_a_revoked_or_disabled_security_admin_cannot_grant(tree, security_admin, newcomer, make_staff):  # type: ignore[no-untyped-def]
    RoleAssignment.objects.filter(user=security_admin).update(revoked_at="2026-01-01T00:00:00Z")
    refused(
        lambda: do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin),
        PermissionRefused,
        "not_security_admin",
    )
    disabled = make_staff(Role.SECURITY_ADMIN, tree.district)
    User.objects.filter(pk=disabled.pk).update(is_active=False)
    disabled.refresh_from_db()
    refused(
        lambda: do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=disabled),
        PermissionRefused,
        "not_security_admin",
    )


@pytest.mark.django_db
def test_a_security_admin_acts_only_inside_their_area(tree, make_staff, newcomer):  # type: ignore[no-untyped-def]
    other_street = testing.create_area(AreaKind.STREET, "002", "酒仙桥街道", tree.district)
    other_community = testing.create_area(AreaKind.COMMUNITY, "001", "驼房营社区", other_street)
    street_admin = make_staff(Role.SECURITY_ADMIN, tree.street)
    refused(
        lambda: do_assign_role(newcomer, role=Role.COMMUNITY_WORKER, area=other_community, acting_user=street_admin),
        PermissionRefused,
        "area_out_of_remit",
    )
    refused(
        lambda: do_assign_role(newcomer, role=Role.STREET_OFFICER, area=tree.district, acting_user=street_admin),
        PermissionRefused,
        "area_out_of_remit",
    )
    elsewhere = RoleAssignment.objects.create(user=newcomer, role=Role.COMMUNITY_WORKER, area=other_community)
    refused(lambda: do_revoke_role(elsewhere, acting_user=street_admin), PermissionRefused, "area_out_of_remit")
    assert (
        do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_b1, acting_user=street_admin).area
        == tree.grid_b1
    )


@pytest.mark.django_db
def test_only_active_staff_accounts_get_roles(tree, security_admin, make_staff, make_resident):  # type: ignore[no-untyped-def]
    resident = make_resident()
    refused(
        lambda: do_assign_role(resident, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin),
        ValidationFailed,
        "not_staff",
    )
    assert resident.kind == AccountKind.RESIDENT
    disabled = make_staff()
    User.objects.filter(pk=disabled.pk).update(is_active=False)
    refused(
        lambda: do_assign_role(disabled, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin),
        ValidationFailed,
        "account_disabled",
    )


@pytest.mark.django_db
def test_inactive_areas_and_duplicates_are_refused(tree, security_admin, newcomer):  # type: ignore[no-untyped-def]
    do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin)
    refused(
        lambda: do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin),
        Conflict,
        "role_already_held",
    )
    tree.grid_a2.is_active = False
    tree.grid_a2.save(update_fields=["is_active"])
    refused(
        lambda: do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a2, acting_user=security_admin),
        ValidationFailed,
        "area_inactive",
    )
    assert (
        do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_b1, acting_user=security_admin).area
        == tree.grid_b1
    )


@pytest.mark.django_db
def test_revoking_a_role(tree, security_admin, newcomer):  # type: ignore[no-untyped-def]
    assignment = do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin)
    do_revoke_role(assignment, acting_user=security_admin, reason="moved to another grid")
    assert assignment.revoked_at is not None
    assert assignment.revoked_by == security_admin
    assert not RoleAssignment.objects.active().filter(user=newcomer).exists()
    event = AuditEvent.objects.get(event_type="role.revoked")
    assert (event.actor_id, event.object_id, event.area_id) == (security_admin.pk, str(newcomer.pk), tree.grid_a1.pk)
    assert event.detail == {"assignment": assignment.pk, "role": "grid_worker", "reason": "moved to another grid"}
    refused(lambda: do_revoke_role(assignment, acting_user=security_admin), Conflict, "role_already_revoked")
    # the role can be granted again later; the history keeps both rows
    again = do_assign_role(newcomer, role=Role.GRID_WORKER, area=tree.grid_a1, acting_user=security_admin)
    assert RoleAssignment.objects.filter(user=newcomer).count() == 2
    assert again.pk != assignment.pk
