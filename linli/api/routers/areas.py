"""The jurisdiction tree, scoped to the actor's areas (SECURITY.md B2): an area outside the
actor's remit answers 404 exactly like one that does not exist.

Staff only (rule ``areas.view_area``). With an API token the remit is the token's area. Reads go
through ``linli.areas.selectors`` (``areas_for``, ``get_area_for``, ``children_for``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from linli.api.auth import require
from linli.api.pagination import paginate
from linli.api.schemas import AreaDetailOut, AreaFilter, AreaOut, AreaPage, PageQuery, error_responses
from linli.areas import selectors
from linli.areas.models import Area, AreaKind

router = Router(tags=["areas"])
RULE = "areas.view_area"


def area_out(area: Area) -> AreaOut:
    return AreaOut(
        id=area.pk,
        kind=area.kind,
        kind_label=str(AreaKind(area.kind).label),
        code=area.code,
        name=area.name,
        parent_id=area.parent_id,
        depth=area.depth,
        is_active=area.is_active,
    )


def _page(queryset: QuerySet[Area], page: PageQuery) -> dict[str, Any]:
    result = paginate(queryset, page)
    result["items"] = [area_out(area) for area in result["items"]]
    return result


@router.get("/areas", response={200: AreaPage, **error_responses(401, 403, 422, 429)}, summary="List areas")
def list_areas(request: HttpRequest, filters: Query[AreaFilter], page: Query[PageQuery]) -> dict[str, Any]:
    """Areas in the actor's jurisdiction, in tree order; filter by ``kind`` (1 district …
    8 dwelling), ``parent`` (direct children of an area) and ``q`` (name or code contains)."""
    require(request, RULE)
    areas = selectors.areas_for(request.user).only(*selectors.LIST_FIELDS).order_by("path")
    if filters.kind is not None:
        areas = areas.filter(kind=filters.kind)
    if filters.parent is not None:
        areas = areas.filter(parent_id=filters.parent)
    if filters.q:
        areas = areas.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    return _page(areas, page)


@router.get(
    "/areas/{area_id}", response={200: AreaDetailOut, **error_responses(401, 403, 404, 422, 429)}, summary="Get an area"
)
def get_area(request: HttpRequest, area_id: int) -> AreaDetailOut:
    """One area with its path and GeoJSON geometry; 404 outside the actor's jurisdiction."""
    require(request, RULE)
    area = selectors.get_area_for(request.user, area_id)
    return AreaDetailOut(**area_out(area).model_dump(), path=area.path, geometry=area.geometry)


@router.get(
    "/areas/{area_id}/children",
    response={200: AreaPage, **error_responses(401, 403, 404, 422, 429)},
    summary="List an area's children",
)
def list_area_children(request: HttpRequest, area_id: int, page: Query[PageQuery]) -> dict[str, Any]:
    """The direct children of an area in the actor's jurisdiction (404 otherwise), in code order."""
    require(request, RULE)
    area = selectors.get_area_for(request.user, area_id)
    return _page(selectors.children_for(request.user, area), page)
