"""Every write to the area tree (辖区树).

Deactivation policy (停用): an area is never deleted, because people, residences, requests and
audit events refer to it. Deactivating an area deactivates its whole subtree in one statement (a
demolished estate takes its buildings, units and dwellings with it) and records on each row which
deactivation caught it (``deactivated_with``). Reactivating the area restores exactly that set:
descendants that had been deactivated on their own before stay deactivated. Two refusals keep the
tree coherent: an area where staff still hold roles (at it or below) cannot be deactivated — revoke
those roles first, so nobody silently loses their jurisdiction, the actor included — and an area
under a deactivated parent cannot be reactivated or given new children.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.areas.geometry import validate_geometry
from linli.areas.models import Area, AreaKind, path_range
from linli.audit.actions import record_event
from linli.core.errors import Conflict, ValidationFailed

if TYPE_CHECKING:
    from linli.areas.importing import ImportReport, ImportRow

CODE_PATTERN = re.compile(r"^[0-9A-Za-z_]{1,32}$")
DISTRICT_CODE_PATTERN = re.compile(r"^\d{6}$")
KIND_VALUES = frozenset(int(kind) for kind in AreaKind)
MAX_NAME_LENGTH = 100
BULK_BATCH_SIZE = 1000


class _Keep:
    """Sentinel: leave the field as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


def validate_kind_order(kind: int, parent_kind: int | None) -> None:
    """A root is a district; a child is of a deeper level than its parent (levels may be skipped)."""
    if kind not in KIND_VALUES:
        raise ValidationFailed(_("Choose a valid kind."), code="area_kind_unknown", field="kind")
    if parent_kind is None:
        if kind != AreaKind.DISTRICT:
            raise ValidationFailed(
                _("Only a district can be the root of the tree."), code="area_root_kind", field="parent"
            )
        return
    if kind <= parent_kind:
        raise ValidationFailed(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {"child": AreaKind(kind).label, "parent": AreaKind(parent_kind).label},
            code="area_kind_order",
            field="kind",
        )


def validate_placement(kind: int, parent: Area | None) -> None:
    validate_kind_order(kind, parent.kind if parent is not None else None)


def validate_code(kind: int, code: str) -> str:
    code = code.strip()
    if not CODE_PATTERN.fullmatch(code):
        raise ValidationFailed(
            _("A code has 1–32 letters, digits or underscores."), code="area_code_format", field="code"
        )
    if kind == AreaKind.DISTRICT and not DISTRICT_CODE_PATTERN.fullmatch(code):
        raise ValidationFailed(
            _("A district code is its 6-digit GB/T 2260 code."), code="area_district_code", field="code"
        )
    return code


def validate_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Enter a name."), code="area_name_required", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise ValidationFailed(
            _("A name has at most %(count)d characters.") % {"count": MAX_NAME_LENGTH},
            code="area_name_length",
            field="name",
        )
    return name


def _code_taken(parent_id: int | None, code: str, exclude_id: int | None = None) -> bool:
    queryset = (
        Area.objects.filter(parent_id=parent_id, code=code)
        if parent_id
        else Area.objects.filter(parent__isnull=True, code=code)
    )
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.exists()


def _code_taken_error() -> ValidationFailed:
    return ValidationFailed(_("Another area here already has this code."), code="area_code_taken", field="code")


def do_create_area(
    *,
    kind: int,
    code: str,
    name: str,
    parent: Area | None,
    acting_user: Any,
    geometry: dict[str, Any] | str | None = None,
) -> Area:
    code = validate_code(kind, code)
    name = validate_name(name)
    validate_placement(kind, parent)
    geometry = validate_geometry(geometry)
    with transaction.atomic():
        if parent is not None and not Area.objects.filter(pk=parent.pk, is_active=True).exists():
            raise Conflict(
                _("This area is deactivated: reactivate it before adding to it."), code="area_inactive", field="parent"
            )
        if _code_taken(parent.pk if parent else None, code):
            raise _code_taken_error()
        area = Area(
            kind=kind, code=code, name=name, parent=parent, geometry=geometry, depth=(parent.depth + 1) if parent else 0
        )
        area.path = f"/new-{code}-{id(area)}/"
        area.save()
        area.path = f"{parent.path if parent else '/'}{area.pk}/"
        Area.objects.filter(pk=area.pk).update(path=area.path)
        record_event(
            "area.created",
            actor=acting_user,
            target=area,
            area_id=area.pk,
            detail={"kind": AreaKind(kind).name.lower(), "code": code, "name": name, "geometry": geometry is not None},
        )
    return area


def do_update_area(area: Area, *, acting_user: Any, name: Any = KEEP, code: Any = KEEP, geometry: Any = KEEP) -> Area:
    """Change an area's name, code or geometry (``None`` or "" clears it). The path is made of ids,
    so a new code moves nothing. Records "area.updated" with the old and new values; no event
    when nothing changed."""
    changes: dict[str, Any] = {}
    if name is not KEEP:
        changes["name"] = validate_name(name)
    if code is not KEEP:
        changes["code"] = validate_code(area.kind, code)
    if geometry is not KEEP:
        changes["geometry"] = validate_geometry(geometry)
    with transaction.atomic():
        current = Area.objects.select_for_update().get(pk=area.pk)
        changed = {field: value for field, value in changes.items() if getattr(current, field) != value}
        if not changed:
            return current
        if "code" in changed and _code_taken(current.parent_id, changed["code"], exclude_id=current.pk):
            raise _code_taken_error()
        detail: dict[str, Any] = {}
        for field, value in changed.items():
            if field == "geometry":
                detail["geometry"] = "set" if value is not None else "cleared"
            else:
                detail[field] = [getattr(current, field), value]
            setattr(current, field, value)
        try:
            with transaction.atomic():
                current.save(update_fields=[*changed, "updated_at"])
        except IntegrityError:
            raise _code_taken_error() from None
        record_event("area.updated", actor=acting_user, target=current, area_id=current.pk, detail=detail)
    return current


def _roles_held_within(area: Area) -> int:
    from linli.accounts.models import RoleAssignment

    lower, upper = path_range(area.path)
    return RoleAssignment.objects.active().filter(area__path__gte=lower, area__path__lt=upper).count()


def do_deactivate_area(area: Area, *, acting_user: Any) -> int:
    """Deactivate ``area`` and every active area below it; returns how many areas changed.
    Refused while staff hold roles in the subtree (see the module docstring)."""
    with transaction.atomic():
        current = Area.objects.select_for_update().get(pk=area.pk)
        if not current.is_active:
            raise Conflict(_("This area is already deactivated."), code="area_inactive")
        roles = _roles_held_within(current)
        if roles:
            raise Conflict(
                _("Staff hold %(count)d roles in this area or below it: revoke them first.") % {"count": roles},
                code="area_roles_held",
            )
        count = (
            Area.objects.within(current)
            .filter(is_active=True)
            .update(is_active=False, deactivated_with=current, updated_at=timezone.now())
        )
        record_event(
            "area.deactivated",
            actor=acting_user,
            target=current,
            area_id=current.pk,
            detail={"areas": count, "kind": AreaKind(current.kind).name.lower()},
        )
    area.is_active = False
    area.deactivated_with_id = area.pk
    return count


def do_reactivate_area(area: Area, *, acting_user: Any) -> int:
    """Reactivate ``area`` and the areas its own deactivation caught; returns how many changed.
    Refused while its parent is deactivated."""
    with transaction.atomic():
        current = Area.objects.select_for_update().get(pk=area.pk)
        if current.is_active:
            raise Conflict(_("This area is already active."), code="area_active")
        if current.parent_id and not Area.objects.filter(pk=current.parent_id, is_active=True).exists():
            raise Conflict(_("Its parent is deactivated: reactivate the parent first."), code="area_parent_inactive")
        now = timezone.now()
        count = (
            Area.objects.within(current)
            .filter(deactivated_with=current)
            .exclude(pk=current.pk)
            .update(is_active=True, deactivated_with=None, updated_at=now)
        )
        Area.objects.filter(pk=current.pk).update(is_active=True, deactivated_with=None, updated_at=now)
        record_event(
            "area.reactivated",
            actor=acting_user,
            target=current,
            area_id=current.pk,
            detail={"areas": count + 1, "kind": AreaKind(current.kind).name.lower()},
        )
    area.is_active = True
    area.deactivated_with_id = None
    return count + 1


# --- importing ---------------------------------------------------------------------------------------


def _import_reach(acting_user: Any) -> tuple[list[str] | None, bool]:
    """The paths an importer may change and whether new districts may be added: the operator's
    command line (no acting user) reaches the whole tree; staff reach their editing jurisdiction."""
    if acting_user is None:
        return None, True
    from linli.accounts.permissions import AREA_EDITORS
    from linli.accounts.scoping import scope_paths

    return scope_paths(acting_user, AREA_EDITORS), False


def _common_area_id(paths: list[str]) -> int | None:
    """The deepest area containing every path (for the audit event's area), if any."""
    if not paths:
        return None
    common = paths[0].strip("/").split("/")
    for path in paths[1:]:
        parts = path.strip("/").split("/")
        length = 0
        while length < min(len(common), len(parts)) and common[length] == parts[length]:
            length += 1
        common = common[:length]
        if not common:
            return None
    return int(common[-1]) if common and common[-1] else None


def _apply_import(report: ImportReport) -> None:
    """Create the planned areas level by level (parents first): one bulk insert per batch, then one
    UPDATE per level that turns the temporary paths into ``<parent path><id>/``."""
    levels: dict[int, list[Any]] = defaultdict(list)
    for item in report.planned:
        if item.action == "create":
            levels[item.depth].append(item)
    temporary = f"/~import-{secrets.token_hex(8)}/"
    lower, upper = path_range(temporary)
    parent_path = Subquery(Area.objects.filter(pk=OuterRef("parent_id")).values("path")[:1])
    for depth in sorted(levels):
        items = levels[depth]
        areas = [
            Area(
                kind=item.kind,
                code=item.code,
                name=item.name,
                parent_id=item.parent_id,
                geometry=item.geometry,
                depth=depth,
                path=f"{temporary}{index}/",
            )
            for index, item in enumerate(items)
        ]
        Area.objects.bulk_create(areas, batch_size=BULK_BATCH_SIZE)
        for item, area in zip(items, areas, strict=True):
            item.area_id = area.pk
        Area.objects.filter(path__gte=lower, path__lt=upper).update(
            path=Concat(
                Coalesce(parent_path, Value("/"), output_field=CharField()),
                Cast("id", output_field=CharField()),
                Value("/"),
                output_field=CharField(),
            )
        )
    updates = [item for item in report.planned if item.action == "update"]
    now = timezone.now()
    for start in range(0, len(updates), BULK_BATCH_SIZE):
        chunk = updates[start : start + BULK_BATCH_SIZE]
        stored = Area.objects.in_bulk([item.area_id for item in chunk])
        changed = []
        for item in chunk:
            area = stored[item.area_id]
            area.name = item.name
            if item.geometry is not None:
                area.geometry = item.geometry
            area.updated_at = now
            changed.append(area)
        Area.objects.bulk_update(changed, ["name", "geometry", "updated_at"])


def do_import_areas(
    rows: list[ImportRow], *, acting_user: Any, dry_run: bool = False, source_name: str = ""
) -> ImportReport:
    """Import rows read by ``linli.areas.importing.read_rows``: all or nothing.

    Every row is validated first (``plan_import``); with any error, or with ``dry_run``, nothing
    is written and the report says why. Otherwise the new areas are created, the changed ones
    updated and one "area.imported" event with the counts is recorded, all in one transaction."""
    from linli.areas.importing import plan_import

    editable_paths, may_create_roots = _import_reach(acting_user)
    if dry_run:
        return plan_import(rows, editable_paths=editable_paths, may_create_roots=may_create_roots)
    with transaction.atomic():
        report = plan_import(rows, editable_paths=editable_paths, may_create_roots=may_create_roots)
        if not report.is_valid:
            return report
        _apply_import(report)
        anchors = [item.parent_existing.path for item in report.creates if item.parent_existing is not None]
        anchors += [item.existing.path for item in report.updates if item.existing is not None]
        roots_created = any(item.depth == 0 for item in report.creates)
        record_event(
            "area.imported",
            actor=acting_user,
            object_type="areas.area",
            area_id=None if roots_created else _common_area_id(anchors),
            detail={
                "rows": report.rows,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "created_by_kind": {
                    AreaKind(kind).name.lower(): count for kind, count in report.created_by_kind().items()
                },
                "source": source_name[:100],
            },
        )
    report.applied = True
    return report
