"""Every write to the area tree."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from linli.areas.models import Area, AreaKind
from linli.audit.actions import record_event
from linli.core.errors import ValidationFailed

CODE_PATTERN = re.compile(r"^[0-9A-Za-z_]{1,32}$")


def validate_placement(kind: int, parent: Area | None) -> None:
    if parent is None:
        if kind != AreaKind.DISTRICT:
            raise ValidationFailed(_("Only a district can be the root of the tree."), code="area_root_kind", field="parent")
        return
    if kind <= parent.kind:
        raise ValidationFailed(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {"child": AreaKind(kind).label, "parent": AreaKind(parent.kind).label},
            code="area_kind_order",
            field="kind",
        )


def validate_code(kind: int, code: str) -> str:
    code = code.strip()
    if not CODE_PATTERN.fullmatch(code):
        raise ValidationFailed(_("A code has 1–32 letters, digits or underscores."), code="area_code_format", field="code")
    if kind == AreaKind.DISTRICT and not re.fullmatch(r"\d{6}", code):
        raise ValidationFailed(_("A district code is its 6-digit GB/T 2260 code."), code="area_district_code", field="code")
    return code


def do_create_area(*, kind: int, code: str, name: str, parent: Area | None, acting_user: Any, geometry: dict[str, Any] | None = None) -> Area:
    code = validate_code(kind, code)
    name = name.strip()
    if not name:
        raise ValidationFailed(_("Enter a name."), code="area_name_required", field="name")
    validate_placement(kind, parent)
    with transaction.atomic():
        if Area.objects.filter(parent=parent, code=code).exists():
            raise ValidationFailed(_("Another area here already has this code."), code="area_code_taken", field="code")
        area = Area(kind=kind, code=code, name=name, parent=parent, geometry=geometry, depth=(parent.depth + 1) if parent else 0)
        area.path = f"/new-{code}-{id(area)}/"
        area.save()
        area.path = f"{parent.path if parent else '/'}{area.pk}/"
        Area.objects.filter(pk=area.pk).update(path=area.path)
        record_event(
            "area.created", actor=acting_user, target=area, area_id=area.pk,
            detail={"kind": AreaKind(kind).name.lower(), "code": code, "name": name},
        )
    return area
