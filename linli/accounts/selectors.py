"""Scoped reads of accounts (house rule 4): every read a user can trigger goes through a function
here, and ``get_<noun>_for(actor, id)`` raises ``Http404`` outside the actor's remit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from linli.accounts.models import AccountKind, Role, RoleAssignment, User
from linli.accounts.scoping import scope_paths
from linli.areas.models import Area, AreaKind, Department, path_range, within_q
from linli.core.sql import aware, cached_sql, connection_for, fetch, parent_joins, ranges_sql, table

# staff ------------------------------------------------------------------------------------------
#
# Staff accounts are administered by the system administrator (accounts, status, passwords) and
# the security administrator (roles, second factor). An administrator's remit is the area where
# they hold their administrator role. A staff account lies inside that remit when every one of its
# active roles does; an account without any role yet (just created) is visible to every staff
# administrator, so that it can be given its first role.

STAFF_ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN})
ROLE_AREA_MAX_KIND = AreaKind.GRID  # roles are held at a grid or above, never at an estate or dwelling
AREA_SEARCH_LIMIT = 30


def staff_admin_paths(actor: Any) -> list[str]:
    """Area paths where ``actor`` holds the system or security administrator role (this session)."""
    return scope_paths(actor, STAFF_ADMIN_ROLES)


def _staff_in_remit(paths: list[str]) -> QuerySet[User]:
    if not paths:
        return User.objects.none()
    outside = RoleAssignment.objects.active().filter(user_id=OuterRef("pk")).exclude(within_q(paths, "area__path"))
    return User.objects.filter(kind=AccountKind.STAFF).filter(~Exists(outside))


def active_roles_prefetch() -> Prefetch[Any]:
    return Prefetch(
        "roles",
        queryset=RoleAssignment.objects.active().select_related("area", "department").order_by("id"),
        to_attr="active_roles",
    )


def staff_accounts_for(
    actor: Any,
    *,
    text: str = "",
    role: str = "",
    area: Area | None = None,
    status: str = "",
) -> QuerySet[User]:
    """Staff accounts in the actor's remit, filtered by name or username (``text``), by a role
    held (``role``), by a role held at or under ``area``, and by ``status`` (active/disabled)."""
    accounts = _staff_in_remit(staff_admin_paths(actor))
    text = text.strip()
    if text:
        accounts = accounts.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    if role or area is not None:
        held = RoleAssignment.objects.active().filter(user_id=OuterRef("pk"))
        if role:
            held = held.filter(role=role)
        if area is not None:
            held = held.filter(within_q([area.path], "area__path"))
        accounts = accounts.filter(Exists(held))
    if status == "active":
        accounts = accounts.filter(is_active=True)
    elif status == "disabled":
        accounts = accounts.filter(is_active=False)
    return accounts.order_by("username").prefetch_related(active_roles_prefetch())


def get_staff_account_for(actor: Any, user_id: int) -> User:
    account = (
        _staff_in_remit(staff_admin_paths(actor)).filter(pk=user_id).prefetch_related(active_roles_prefetch()).first()
    )
    if account is None:
        raise Http404
    return account


def staff_areas_for(actor: Any, *, text: str = "", limit: int = AREA_SEARCH_LIMIT) -> list[Area]:
    """Areas (grid level and above) in the actor's staff-administration remit whose name contains
    ``text`` or whose code starts with it: the options of the searchable area select."""
    areas = Area.objects.active().filter(within_q(staff_admin_paths(actor)), kind__lte=ROLE_AREA_MAX_KIND)
    text = text.strip()
    if text:
        areas = areas.filter(Q(name__icontains=text) | Q(code__istartswith=text))
    return list(areas.order_by("path")[:limit])


def staff_area_queryset_for(actor: Any) -> QuerySet[Area]:
    """Every area a staff-administration form may name (validated one at a time, never listed)."""
    return Area.objects.active().filter(within_q(staff_admin_paths(actor)), kind__lte=ROLE_AREA_MAX_KIND)


def get_staff_area_for(actor: Any, area_id: int) -> Area:
    area = staff_area_queryset_for(actor).filter(pk=area_id).first()
    if area is None:
        raise Http404
    return area


def departments_for(actor: Any) -> QuerySet[Department]:
    """Active departments serving a street in the actor's staff-administration remit."""
    return (
        Department.objects.filter(is_active=True)
        .filter(within_q(staff_admin_paths(actor), "street__path"))
        .select_related("street")
        .order_by("name")
    )


def get_role_assignment_for(actor: Any, account: User, assignment_id: int) -> RoleAssignment:
    """An active role of ``account`` at an area inside the actor's security-administrator remit."""
    paths = scope_paths(actor, {Role.SECURITY_ADMIN})
    assignment = (
        RoleAssignment.objects.active()
        .filter(within_q(paths, "area__path"), pk=assignment_id, user=account)
        .select_related("area", "department", "user")
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


# workbench ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingLinkRow:
    """What a workbench card shows of a pending home link, and nothing else (no encrypted column)."""

    id: int
    created_at: Any
    relation: str
    display_name: str
    dwelling: str
    unit: str
    building: str
    estate: str


def pending_links_for_workbench(actor: Any, *, limit: int = 20) -> list[PendingLinkRow]:
    """The oldest pending home links in the actor's remit with the names of their unit, building
    and estate: one hand-written query of only the displayed columns (the workbench runs it on every
    load; docs/modules.md, "Lean pages"). It reads what ``DwellingLink.objects.filter(scope_q(actor,
    RESIDENT_VERIFIERS, field="area_path"), status=PENDING).order_by("created_at", "id")
    .values_list(…user__display_name, dwelling__name, dwelling__parent…)`` would read."""
    from linli.accounts.models import DwellingLink, DwellingLinkStatus
    from linli.accounts.permissions import RESIDENT_VERIFIERS

    paths = scope_paths(actor, RESIDENT_VERIFIERS)
    if not paths:
        return []
    connection = connection_for(DwellingLink)
    where, params = ranges_sql("l.area_path", [path_range(path) for path in paths])

    def build(quote: Any) -> str:
        area = quote(table(Area))
        parents = parent_joins(quote, area, "d", 3)
        return (
            f"SELECT l.{quote('id')}, l.{quote('created_at')}, l.{quote('relation')}, u.{quote('display_name')}, "  # noqa: S608
            f"d.{quote('name')}, p1.{quote('kind')}, p1.{quote('name')}, p2.{quote('kind')}, p2.{quote('name')}, "
            f"p3.{quote('kind')}, p3.{quote('name')} "
            f"FROM {quote(table(DwellingLink))} l "
            f"INNER JOIN {quote(table(User))} u ON u.{quote('id')} = l.{quote('user_id')} "
            f"INNER JOIN {area} d ON d.{quote('id')} = l.{quote('dwelling_id')} {parents}"
            f"WHERE l.{quote('status')} = %s AND {where} "
            f"ORDER BY l.{quote('created_at')}, l.{quote('id')} LIMIT %s"
        )

    sql = cached_sql(("accounts.pending_links_for_workbench", len(paths)), connection, build)
    result = []
    for link_id, created_at, relation, display_name, dwelling, *ancestors in fetch(
        connection, sql, [DwellingLinkStatus.PENDING.value, *params, limit]
    ):
        names: dict[Any, str] = {
            kind: str(name) for kind, name in zip(ancestors[::2], ancestors[1::2], strict=True) if kind
        }
        result.append(
            PendingLinkRow(
                id=link_id,
                created_at=aware(created_at),
                relation=relation,
                display_name=display_name,
                dwelling=dwelling,
                unit=names.get(AreaKind.UNIT, ""),
                building=names.get(AreaKind.BUILDING, ""),
                estate=names.get(AreaKind.ESTATE, ""),
            )
        )
    return result


def role_area_names(area_ids: set[int]) -> dict[int, str]:
    """Names of the areas where the actor holds roles (the workbench's "you work as …"): one
    hand-written query."""
    if not area_ids:
        return {}
    connection = connection_for(Area)
    sql = cached_sql(
        ("accounts.role_area_names", len(area_ids)),
        connection,
        lambda quote: (
            f"SELECT {quote('id')}, {quote('name')} FROM {quote(table(Area))} "  # noqa: S608
            f"WHERE {quote('id')} IN ({', '.join(['%s'] * len(area_ids))})"
        ),
    )
    return dict(fetch(connection, sql, sorted(area_ids)))
