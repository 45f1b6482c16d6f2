"""Granting and revoking staff roles (SECURITY.md B4, B5, B6, C1).

Only a security administrator (安全管理员) grants and revokes roles, only at areas inside the area
where they hold that role, and never for their own account. The views also ask for fresh
re-authentication (A7) before calling these actions.

Separation of duties (三员分立, GB/T 22239-2019 §8.1.4): the system administrator (系统管理员),
the security administrator (安全管理员) and the audit administrator (审计管理员) are distinct
people:

* no account holds two of the three administrator roles (B5);
* an administrator account holds no operational role (grid worker, community worker, community
  leader, street officer, department officer) either, and an account with an operational role gets
  no administrator role. An administrator who also handled residents' cases could, for example,
  grant themselves wider jurisdiction through a colleague's account or read the audit trail of
  their own casework; keeping administration and casework in separate accounts keeps each trail
  readable. The same person may have two accounts (one administrative, one operational).

Both rules are checked inside the granting transaction after locking the account's row
(``select_for_update``), so two concurrent grants to the same account cannot both pass.

A revoked role stops counting on the account's next request: grants are read from the database
once per request (``linli.accounts.scoping.grants``), never cached across requests (B6).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import ADMIN_ROLES, AccountKind, Role, RoleAssignment, User
from linli.accounts.scoping import OPERATIONAL_ROLES
from linli.areas.models import Area, AreaKind, Department
from linli.audit.actions import record_event
from linli.core.errors import Conflict, LinliError, PermissionRefused, ValidationFailed

ROLE_AREA_KINDS: dict[str, frozenset[int]] = {
    Role.GRID_WORKER: frozenset({AreaKind.GRID}),
    Role.COMMUNITY_WORKER: frozenset({AreaKind.COMMUNITY}),
    Role.COMMUNITY_LEADER: frozenset({AreaKind.COMMUNITY}),
    Role.STREET_OFFICER: frozenset({AreaKind.STREET}),
    Role.DEPARTMENT_OFFICER: frozenset({AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID}),
    Role.SYSTEM_ADMIN: frozenset({AreaKind.DISTRICT, AreaKind.STREET}),
    Role.SECURITY_ADMIN: frozenset({AreaKind.DISTRICT, AreaKind.STREET}),
    Role.AUDIT_ADMIN: frozenset({AreaKind.DISTRICT, AreaKind.STREET}),
}
"""Where each role may be held: a grid worker (网格员) at a grid, community staff (社区工作者,
社区书记/主任) at a community, a street officer (街道干部) at a street, a department officer
(部门工作人员) at the street of their department or a community or grid in it, administrators at
the top of the tree they administer (a district or a street)."""


def held_role_paths(user: User, roles: frozenset[str] | set[str]) -> list[str]:
    """Area paths where ``user`` holds one of ``roles``, read from the database (not from the
    session, so actions called by jobs and commands check the same thing)."""
    return sorted(
        set(
            RoleAssignment.objects.active()
            .filter(user_id=user.pk, role__in=roles, area__is_active=True)
            .values_list("area__path", flat=True)
        )
    )


def account_in_remit(account: User, paths: list[str]) -> bool:
    """Every active role of ``account`` lies under one of ``paths`` (true for an account without
    roles): the rule the staff selectors use too."""
    if not paths:
        return False
    role_paths = RoleAssignment.objects.active().filter(user_id=account.pk).values_list("area__path", flat=True)
    return all(any(path.startswith(scope) for scope in paths) for path in role_paths)


def check_separation_of_duties(held: set[str], role: str) -> None:
    """Refuse ``role`` for an account already holding ``held`` (see the module docstring)."""
    others = held - {role}
    if role in ADMIN_ROLES:
        if others & ADMIN_ROLES:
            raise ValidationFailed(
                _("An account may hold only one of the system, security and audit administrator roles."),
                code="admin_roles_exclusive",
                field="role",
            )
        if others & OPERATIONAL_ROLES:
            raise ValidationFailed(
                _("An administrator account cannot also hold an operational role."),
                code="admin_role_with_operational",
                field="role",
            )
    elif held & ADMIN_ROLES:
        raise ValidationFailed(
            _("An administrator account cannot also hold an operational role."),
            code="admin_role_with_operational",
            field="role",
        )


def _check_acting_user(acting_user: Any, account: User, area: Area) -> None:
    if acting_user is None or not getattr(acting_user, "is_active", False):
        raise PermissionRefused(_("Only a security administrator may change roles."), code="not_security_admin")
    paths = held_role_paths(acting_user, {Role.SECURITY_ADMIN})
    if not paths:
        raise PermissionRefused(_("Only a security administrator may change roles."), code="not_security_admin")
    if acting_user.pk == account.pk:
        raise PermissionRefused(_("You cannot change your own roles."), code="own_roles")
    if not any(area.path.startswith(path) for path in paths):
        raise PermissionRefused(_("This area is outside your remit."), code="area_out_of_remit")


def _check_role_placement(role: str, area: Area, department: Department | None) -> None:
    if role not in ROLE_AREA_KINDS:
        raise ValidationFailed(_("Choose a role."), code="role_unknown", field="role")
    if not area.is_active:
        raise ValidationFailed(_("This area is no longer active."), code="area_inactive", field="area")
    if area.kind not in ROLE_AREA_KINDS[role]:
        kinds = ", ".join(str(AreaKind(kind).label) for kind in sorted(ROLE_AREA_KINDS[role]))
        raise ValidationFailed(
            _("This role is held at a %(kinds)s.") % {"kinds": kinds}, code="role_area_kind", field="area"
        )
    if role == Role.DEPARTMENT_OFFICER:
        if department is None:
            raise ValidationFailed(
                _("A department officer needs a department."), code="department_required", field="department"
            )
        if not department.is_active:
            raise ValidationFailed(
                _("This department is no longer active."), code="department_inactive", field="department"
            )
        if not area.path.startswith(department.street.path):
            raise ValidationFailed(
                _("The department does not serve this area."), code="department_elsewhere", field="department"
            )
    elif department is not None:
        raise ValidationFailed(
            _("Only department officers have a department."), code="department_not_allowed", field="department"
        )


def do_assign_role(
    account: User,
    *,
    role: str,
    area: Area,
    department: Department | None = None,
    acting_user: User,
) -> RoleAssignment:
    """Grant ``role`` at ``area`` (and ``department`` for a department officer) to a staff account.

    Refusals raise a ``LinliError`` and are audited as ``role.assign_refused``."""
    try:
        _check_acting_user(acting_user, account, area)
        _check_role_placement(role, area, department)
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=account.pk)
            if locked.kind != AccountKind.STAFF:
                raise ValidationFailed(_("Roles are only for staff accounts."), code="not_staff")
            if not locked.is_active:
                raise ValidationFailed(_("Enable the account before giving it a role."), code="account_disabled")
            held = set(RoleAssignment.objects.active().filter(user=locked).values_list("role", flat=True))
            check_separation_of_duties(held, role)
            if RoleAssignment.objects.active().filter(user=locked, role=role, area=area).exists():
                raise Conflict(_("The account already holds this role here."), code="role_already_held")
            assignment = RoleAssignment.objects.create(
                user=locked, role=role, area=area, department=department, granted_by=acting_user
            )
            record_event(
                "role.assigned",
                actor=acting_user,
                target=locked,
                role=Role.SECURITY_ADMIN,
                area_id=area.pk,
                detail={
                    "assignment": assignment.pk,
                    "role": role,
                    "area_code": area.code,
                    "department": department.code if department else None,
                },
            )
    except LinliError as error:
        record_event(
            "role.assign_refused",
            actor=acting_user,
            target=account,
            outcome="denied",
            area_id=area.pk,
            detail={"role": role, "code": error.code},
        )
        raise
    return assignment


def do_revoke_role(assignment: RoleAssignment, *, acting_user: User, reason: str = "") -> None:
    """End a role assignment. It stops counting on the account's next request (B6)."""
    account = assignment.user
    try:
        _check_acting_user(acting_user, account, assignment.area)
        with transaction.atomic():
            User.objects.select_for_update().get(pk=account.pk)
            updated = RoleAssignment.objects.filter(pk=assignment.pk, revoked_at__isnull=True).update(
                revoked_at=timezone.now(), revoked_by=acting_user
            )
            if not updated:
                raise Conflict(_("This role was already revoked."), code="role_already_revoked")
            record_event(
                "role.revoked",
                actor=acting_user,
                target=account,
                role=Role.SECURITY_ADMIN,
                area_id=assignment.area_id,
                detail={"assignment": assignment.pk, "role": assignment.role, "reason": reason.strip()[:200]},
            )
    except LinliError as error:
        record_event(
            "role.revoke_refused",
            actor=acting_user,
            target=account,
            outcome="denied",
            area_id=assignment.area_id,
            detail={"assignment": assignment.pk, "role": assignment.role, "code": error.code},
        )
        raise
    assignment.refresh_from_db(fields=["revoked_at", "revoked_by"])
