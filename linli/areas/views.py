"""Staff pages for the jurisdiction tree: browse, maintain, import. Thin: a rule at the boundary,
a scoped selector (404 outside the actor's remit), one action, a template."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from linli.accounts.decorators import rule_required
from linli.accounts.permissions import AREA_EDITORS
from linli.areas import importing, selectors
from linli.areas.actions import do_create_area, do_deactivate_area, do_import_areas, do_reactivate_area, do_update_area
from linli.areas.forms import AreaForm, ChildAreaForm, ImportConfirmForm, ImportUploadForm
from linli.areas.geometry import describe_geometry, validate_geometry
from linli.areas.models import KIND_CHINESE, Area, AreaKind
from linli.core.errors import LinliError
from linli.core.middleware import map_tile_source

CHILDREN_PER_PAGE = 50
TREE_CHILD_LIMIT = 100
PREVIEW_ROWS = 100
PREVIEW_ERRORS = 200
IMPORT_SESSION_KEY = "linli_areas_import"
MAP_REFERENCES = 60  # the parent's and the siblings' outlines drawn around an area
MAP_REFERENCE_BYTES = 1024 * 1024


def _owner_id(request: HttpRequest) -> int:
    return int(request.user.pk or 0)


def _form_error(form: Any, error: LinliError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, str(error.message))


def _map_strings() -> dict[str, str]:
    """What the map script writes into the page, translated here (areas/map.js interpolates)."""
    return {
        "none": _("No boundary has been drawn."),
        "point": _("A location: longitude %(longitude)s, latitude %(latitude)s."),
        "polygon": _("Boundary — parts: %(parts)s, corner points: %(points)s, area: about %(area)s."),
        "squareMetres": _("%(value)s m²"),
        "squareKilometres": _("%(value)s km²"),
        "badJson": _("The geometry is not valid JSON."),
        "badGeometry": _("This is not a boundary the map can show: check the GeoJSON."),
        "loaded": _("The GeoJSON is on the map. Save to keep it."),
        "location": _("Location"),
        "zoomIn": _("Zoom in"),
        "zoomOut": _("Zoom out"),
        "firstVertex": _("Click on the map to place the first corner point."),
        "continueLine": _("Click to add the next corner point."),
        "finishPoly": _("Click the first point (or choose Finish) to close the boundary."),
        "placeMarker": _("Click on the map to place the location."),
    }


def _edited_geometry(area: Area, form: AreaForm | None) -> dict[str, Any] | None:
    """The geometry the map starts with: what was posted (when it is valid), else what is saved."""
    if form is not None and form.is_bound:
        try:
            return validate_geometry(form.data.get(form.add_prefix("geometry"), ""))
        except LinliError:
            pass
    return area.geometry


def _map_context(
    request: HttpRequest, area: Area, geometry: dict[str, Any] | None, *, editable: bool
) -> dict[str, Any]:
    """The map's data (one json_script block): the area's own geometry, the reference outlines of
    its parent and siblings inside the actor's remit, and tiles when a tile server is configured."""
    rows = selectors.map_neighbours_for(request.user, area, limit=MAP_REFERENCES)
    references: list[dict[str, Any]] = []
    omitted = len(rows) > MAP_REFERENCES
    size = 0
    for row in rows[:MAP_REFERENCES]:
        size += len(str(row.geometry))
        if size > MAP_REFERENCE_BYTES:
            omitted = True
            break
        role = "parent" if row.pk == area.parent_id else "sibling"
        references.append({"name": row.name, "role": role, "geometry": row.geometry})
    tile_url = settings.LINLI_MAP_TILE_URL.strip()
    config = {
        "geometry": geometry,
        "references": references,
        "editable": editable,
        "allowPoint": area.kind >= AreaKind.BUILDING,
        "tiles": {"url": tile_url, "attribution": settings.LINLI_MAP_TILE_ATTRIBUTION}
        if map_tile_source(tile_url)
        else None,
        "strings": _map_strings(),
    }
    return {
        "map_config": config,
        "map_summary": describe_geometry(geometry),
        "map_parent": next((item["name"] for item in references if item["role"] == "parent"), ""),
        "map_siblings": [item["name"] for item in references if item["role"] == "sibling"],
        "map_omitted": omitted,
    }


def _detail_context(
    request: HttpRequest,
    area: Area,
    *,
    edit_form: AreaForm | None = None,
    child_form: ChildAreaForm | None = None,
    action_error: str = "",
) -> dict[str, Any]:
    actor = request.user
    page = Paginator(selectors.children_for(actor, area), CHILDREN_PER_PAGE).get_page(request.GET.get("page"))
    editable = actor.has_perm("areas.change_area") and selectors.can_change(actor, area)
    context: dict[str, Any] = {
        "area": area,
        "ancestors": selectors.ancestors_of(area, actor),
        "page": page,
        "editable": editable,
        "geometry_summary": describe_geometry(area.geometry),
        "action_error": action_error,
    }
    if editable:
        context["edit_form"] = edit_form or AreaForm.for_area(area)
        context["child_form"] = child_form or ChildAreaForm(parent=area)
        context["can_add_children"] = area.is_active and area.kind < AreaKind.DWELLING
        context.update(_map_context(request, area, _edited_geometry(area, edit_form), editable=True))
    elif area.geometry:
        context.update(_map_context(request, area, area.geometry, editable=False))
    return context


@rule_required("areas.view_area")
@require_GET
def tree(request: HttpRequest) -> HttpResponse:
    context = {
        "areas": selectors.top_areas_for(request.user),
        "can_import": request.user.has_perm("areas.import_areas"),
    }
    return render(request, "areas/tree.html", context)


@rule_required("areas.view_area")
@require_GET
def children(request: HttpRequest, area_id: int) -> HttpResponse:
    """The nested list under one node of the tree page (loaded by htmx when the node opens)."""
    area = selectors.get_area_for(request.user, area_id)
    if request.headers.get("HX-Request") != "true":
        return redirect("areas:detail", area_id=area.pk)
    nodes = list(selectors.children_for(request.user, area)[: TREE_CHILD_LIMIT + 1])
    context = {"area": area, "nodes": nodes[:TREE_CHILD_LIMIT], "more": len(nodes) > TREE_CHILD_LIMIT}
    return render(request, "areas/_children.html", context)


@rule_required("areas.view_area")
@require_GET
def detail(request: HttpRequest, area_id: int) -> HttpResponse:
    area = selectors.get_area_for(request.user, area_id)
    return render(request, "areas/detail.html", _detail_context(request, area))


@rule_required("areas.change_area")
@require_POST
def edit(request: HttpRequest, area_id: int) -> HttpResponse:
    area = selectors.get_area_for(request.user, area_id, roles=AREA_EDITORS)
    form = AreaForm.for_area(area, request.POST, request.FILES)
    status = 422
    if form.is_valid():
        try:
            do_update_area(
                area,
                acting_user=request.user,
                name=form.cleaned_data["name"],
                code=form.cleaned_data["code"],
                geometry=form.cleaned_data["geometry"],
            )
        except LinliError as error:
            _form_error(form, error)
            status = error.status
        else:
            messages.success(request, _("The area was saved."))
            return redirect("areas:detail", area_id=area.pk)
    return render(request, "areas/detail.html", _detail_context(request, area, edit_form=form), status=status)


@rule_required("areas.change_area")
@require_POST
def add_child(request: HttpRequest, area_id: int) -> HttpResponse:
    parent = selectors.get_area_for(request.user, area_id, roles=AREA_EDITORS)
    form = ChildAreaForm(request.POST, request.FILES, parent=parent)
    status = 422
    if form.is_valid():
        try:
            child = do_create_area(
                kind=form.cleaned_data["kind"],
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                parent=parent,
                geometry=form.cleaned_data["geometry"],
                acting_user=request.user,
            )
        except LinliError as error:
            _form_error(form, error)
            status = error.status
        else:
            messages.success(request, _("%(name)s was added.") % {"name": child.name})
            return redirect("areas:detail", area_id=parent.pk)
    return render(request, "areas/detail.html", _detail_context(request, parent, child_form=form), status=status)


def _change_activation(request: HttpRequest, area_id: int, action: Any, message: str) -> HttpResponse:
    """Deactivate or reactivate an area (with its subtree) and report how many areas changed."""
    area = selectors.get_area_for(request.user, area_id, roles=AREA_EDITORS)
    try:
        count = action(area, acting_user=request.user)
    except LinliError as error:
        return render(
            request,
            "areas/detail.html",
            _detail_context(request, area, action_error=str(error.message)),
            status=error.status,
        )
    messages.success(request, message % {"count": count})
    return redirect("areas:detail", area_id=area.pk)


@rule_required("areas.change_area")
@require_POST
def deactivate(request: HttpRequest, area_id: int) -> HttpResponse:
    return _change_activation(request, area_id, do_deactivate_area, _("Deactivated %(count)d areas."))


@rule_required("areas.change_area")
@require_POST
def reactivate(request: HttpRequest, area_id: int) -> HttpResponse:
    return _change_activation(request, area_id, do_reactivate_area, _("Reactivated %(count)d areas."))


# --- import ----------------------------------------------------------------------------------------


def _preview(
    request: HttpRequest, report: importing.ImportReport, *, token: str = "", filename: str = ""
) -> HttpResponse:
    errors = report.sorted_errors()
    context = {
        "report": report,
        "errors": errors[:PREVIEW_ERRORS],
        "errors_hidden": max(0, len(errors) - PREVIEW_ERRORS),
        "planned": report.planned[:PREVIEW_ROWS],
        "planned_hidden": max(0, len(report.planned) - PREVIEW_ROWS),
        "confirm_form": ImportConfirmForm(initial={"token": token}) if token else None,
        "filename": filename,
    }
    return render(request, "areas/import_preview.html", context, status=200 if report.is_valid else 422)


@rule_required("areas.import_areas")
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Step 1: upload a file; the answer is a preview (a dry run) with every row's errors."""
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                importing.check_file(upload.size or 0, upload.name or "")
                data = upload.read()
                rows = importing.read_rows(data, upload.name)
            except LinliError as error:
                form.add_error("file", str(error.message))
            else:
                report = do_import_areas(rows, acting_user=request.user, dry_run=True)
                token = ""
                if report.is_valid:
                    token = importing.stage_upload(data, owner_id=_owner_id(request))
                    request.session[IMPORT_SESSION_KEY] = {"token": token, "name": upload.name[:200]}
                return _preview(request, report, token=token, filename=upload.name)
    context = {
        "form": form,
        "max_megabytes": importing.max_import_bytes() // (1024 * 1024),
        "kind_names": "、".join(KIND_CHINESE[kind] for kind in AreaKind),
    }
    return render(request, "areas/import.html", context, status=status)


@rule_required("areas.import_areas")
@require_POST
def import_confirm(request: HttpRequest) -> HttpResponse:
    """Step 2: import the previewed file, all or nothing."""
    form = ImportConfirmForm(request.POST)
    staged = request.session.get(IMPORT_SESSION_KEY) or {}
    if not form.is_valid() or form.cleaned_data["token"] != staged.get("token"):
        messages.error(request, _("This upload has expired: upload the file again."))
        return redirect("areas:import")
    token, filename = staged["token"], staged.get("name", "")
    try:
        data = importing.load_staged(token, owner_id=_owner_id(request))
        rows = importing.read_rows(data, filename)
    except LinliError as error:
        request.session.pop(IMPORT_SESSION_KEY, None)
        messages.error(request, str(error.message))
        return redirect("areas:import")
    report = do_import_areas(rows, acting_user=request.user, source_name=filename)
    if not report.applied:
        return _preview(request, report, filename=filename)
    importing.discard_staged(token, owner_id=_owner_id(request))
    request.session.pop(IMPORT_SESSION_KEY, None)
    messages.success(
        request,
        _("Import finished: %(created)d areas added, %(updated)d updated, %(unchanged)d unchanged.")
        % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
    )
    return redirect("areas:tree")


@rule_required("areas.import_areas")
@require_GET
def import_template(request: HttpRequest, file_format: str) -> HttpResponse:
    """The expected columns, with the actor's own top areas as the first rows."""
    if file_format not in {"csv", "xlsx"}:
        raise Http404
    examples = selectors.editable_top_areas_for(request.user)
    if file_format == "xlsx":
        response = HttpResponse(
            importing.template_xlsx(examples),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(importing.template_csv(examples), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="areas-template.{file_format}"'
    return response
