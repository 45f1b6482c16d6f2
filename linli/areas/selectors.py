"""Reads of the area tree a user can trigger, scoped to the actor's jurisdiction (辖区).

An actor sees the areas at and below the areas where they hold a role of ``AREA_VIEWERS`` (for
changes: ``AREA_EDITORS``). Anything else answers 404 exactly like an area that does not exist.
A grid worker starts browsing at their own grid(s): the breadcrumb starts at the actor's top area
too, so the names of areas above it do not leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Length
from django.http import Http404

from linli.accounts.permissions import AREA_EDITORS, AREA_VIEWERS
from linli.accounts.scoping import scope_paths, scope_q
from linli.areas.models import Area, AreaQuerySet

LIST_FIELDS = ("id", "kind", "code", "name", "parent_id", "path", "depth", "is_active")


def areas_for(actor: Any, roles: Iterable[str] = AREA_VIEWERS) -> AreaQuerySet:
    """Every area inside the actor's remit for ``roles`` (active or not)."""
    return Area.objects.filter(scope_q(actor, roles))


def get_area_for(actor: Any, area_id: int, *, roles: Iterable[str] = AREA_VIEWERS) -> Area:
    """The area ``area_id`` if the actor holds one of ``roles`` over it; otherwise Http404."""
    area = areas_for(actor, roles).filter(pk=area_id).first()
    if area is None:
        raise Http404
    return area


def with_child_counts(queryset: QuerySet[Area]) -> QuerySet[Area]:
    """Annotate ``child_count`` (all children) in the same query, through a correlated count
    that the index on ``parent_id`` answers."""
    children = (
        Area.objects.filter(parent_id=OuterRef("pk"))
        .order_by()
        .values("parent_id")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return queryset.annotate(child_count=Coalesce(Subquery(children, output_field=IntegerField()), 0))


def in_sibling_order(queryset: QuerySet[Area]) -> QuerySet[Area]:
    """Siblings in code order with numeric codes ordered as numbers ("2" before "10")."""
    return queryset.order_by(Length("code"), "code", "id")


def top_areas_for(actor: Any) -> list[Area]:
    """The areas where the actor's view remit starts (their role areas without nested repeats),
    with child counts: the roots of the tree page."""
    paths = scope_paths(actor, AREA_VIEWERS)
    if not paths:
        return []
    return list(with_child_counts(Area.objects.filter(path__in=paths).only(*LIST_FIELDS)).order_by("path"))


def _require_in_scope(actor: Any, area: Area, roles: Iterable[str] = AREA_VIEWERS) -> None:
    if not any(area.path.startswith(scope) for scope in scope_paths(actor, roles)):
        raise Http404


def children_for(actor: Any, area: Area) -> QuerySet[Area]:
    """The children of ``area`` with their own child counts, in one query; Http404 when ``area``
    lies outside the actor's remit."""
    _require_in_scope(actor, area)
    return in_sibling_order(with_child_counts(Area.objects.filter(parent_id=area.pk).only(*LIST_FIELDS)))


def ancestors_of(area: Area, actor: Any = None) -> list[Area]:
    """The breadcrumb above ``area`` (root first), in one query. With ``actor``, only the part
    inside the actor's remit: it starts at the actor's top area."""
    ids = area.ancestor_ids()[:-1]
    if not ids:
        return []
    queryset = Area.objects.filter(pk__in=ids)
    if actor is not None:
        queryset = queryset.filter(scope_q(actor, AREA_VIEWERS))
    return list(queryset.only("id", "kind", "code", "name", "path", "depth").order_by("depth"))


def code_path_of(area: Area) -> str:
    """The codes from the root down to ``area`` joined by "/": how an import file names it.
    Shown to editors only (it includes the codes of the areas above their jurisdiction, which an
    import file has to name anyway)."""
    codes = dict(Area.objects.filter(pk__in=area.ancestor_ids()).values_list("id", "code"))
    return "/".join(codes[area_id] for area_id in area.ancestor_ids() if area_id in codes)


def can_change(actor: Any, area: Area) -> bool:
    return any(area.path.startswith(scope) for scope in scope_paths(actor, AREA_EDITORS))


def editable_top_areas_for(actor: Any) -> list[tuple[int, str, str, str]]:
    """``(kind, code, name, parent code path)`` of the areas where the actor's editing remit
    starts: the example rows of the actor's import template."""
    rows = []
    for area in Area.objects.filter(path__in=scope_paths(actor, AREA_EDITORS)).order_by("path"):
        code_path = code_path_of(area)
        parent = code_path.rsplit("/", 1)[0] if "/" in code_path else ""
        rows.append((area.kind, area.code, area.name, parent))
    return rows


def map_neighbours_for(actor: Any, area: Area, *, limit: int) -> list[Area]:
    """The reference outlines around ``area`` on its map, in one query: its parent and its
    siblings that carry a geometry, only those inside the actor's view remit; the parent first,
    at most ``limit + 1`` rows (one more than the view shows, so it can say some were left out)."""
    if area.parent_id is None:
        return []
    return list(
        Area.objects.filter(scope_q(actor, AREA_VIEWERS))
        .filter(Q(pk=area.parent_id) | Q(parent_id=area.parent_id))
        .exclude(pk=area.pk)
        .exclude(geometry__isnull=True)
        .only("id", "kind", "name", "parent_id", "geometry")
        .order_by(Length("path"), "path")[: limit + 1]
    )
