"""Staff pages of the jurisdiction tree: guards, scoping (404), forms (422), query counts."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape

from linli import testing
from linli.accounts.models import Role
from linli.areas.actions import do_create_area
from linli.areas.models import Area, AreaKind
from linli.areas.views import CHILDREN_PER_PAGE
from linli.audit.models import AuditEvent

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def worker_client(tree, make_staff):
    return testing.client_for(make_staff(Role.GRID_WORKER, tree.grid_a1))


@pytest.fixture
def officer(tree, make_staff):
    return make_staff(Role.STREET_OFFICER, tree.street)


@pytest.fixture
def officer_client(officer):
    return testing.client_for(officer)


def area_state() -> list[tuple]:
    return list(Area.objects.order_by("pk").values_list("pk", "code", "name", "is_active", "geometry", "path"))


def audit_count() -> int:
    return AuditEvent.objects.exclude(event_type="authz.denied").count()


@pytest.mark.django_db
class TestGuards:
    def test_anonymous_is_sent_to_sign_in(self, tree, client):
        response = client.get(reverse("areas:tree"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))

    def test_password_only_staff_is_sent_to_the_totp_step(self, tree, make_staff):
        client = testing.client_for(make_staff(Role.STREET_OFFICER, tree.street), second_factor=False)
        for url in (
            reverse("areas:tree"),
            reverse("areas:detail", args=[tree.grid_a1.pk]),
            reverse("areas:children", args=[tree.grid_a1.pk]),
            reverse("areas:import"),
        ):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == reverse("accounts:second_factor")
        before = area_state()
        response = client.post(reverse("areas:edit", args=[tree.grid_a1.pk]), {"edit-code": "09", "edit-name": "x"})
        assert response["Location"] == reverse("accounts:second_factor")
        assert area_state() == before

    def test_resident_gets_404(self, tree, make_resident):
        client = testing.client_for(make_resident())
        assert client.get(reverse("areas:tree")).status_code == 404
        assert client.get(reverse("areas:detail", args=[tree.grid_a1.pk])).status_code == 404

    def test_every_view_is_guarded_by_a_rule(self):
        from django.urls import get_resolver

        resolver = get_resolver()
        patterns = resolver.url_patterns
        areas = next(p for p in patterns if getattr(p, "namespace", None) == "areas")
        rules = {pattern.name: pattern.callback.linli_rule for pattern in areas.url_patterns}
        assert rules == {
            "tree": "areas.view_area",
            "detail": "areas.view_area",
            "children": "areas.view_area",
            "edit": "areas.change_area",
            "add_child": "areas.change_area",
            "deactivate": "areas.change_area",
            "reactivate": "areas.change_area",
            "import": "areas.import_areas",
            "import_confirm": "areas.import_areas",
            "import_template": "areas.import_areas",
        }


@pytest.mark.django_db
class TestBrowsing:
    def test_tree_page_starts_at_the_grid_of_a_grid_worker(self, tree, worker_client):
        response = worker_client.get(reverse("areas:tree"))
        assert response.status_code == 200
        assert [area.pk for area in response.context["areas"]] == [tree.grid_a1.pk]
        page = response.content.decode()
        assert tree.grid_a1.name in page
        assert f'hx-get="{reverse("areas:children", args=[tree.grid_a1.pk])}"' in page
        for other in (tree.street.name, tree.community_a.name, tree.grid_b1.name):
            assert other not in page
        assert reverse("areas:import") not in page

    def test_children_fragment(self, tree, officer_client):
        response = officer_client.get(reverse("areas:children", args=[tree.community_a.pk]), **HTMX)
        assert response.status_code == 200
        assert [node.pk for node in response.context["nodes"]] == [tree.grid_a1.pk, tree.grid_a2.pk]
        text = response.content.decode()
        assert "<html" not in text
        assert tree.grid_a1.name in text and "1 sub-area" in text
        redirect = officer_client.get(reverse("areas:children", args=[tree.community_a.pk]))
        assert redirect.status_code == 302
        assert redirect["Location"] == reverse("areas:detail", args=[tree.community_a.pk])

    @pytest.mark.parametrize("name", ["grid_b1", "community_b", "community_a", "street", "district"])
    def test_grid_worker_gets_404_outside_their_grid(self, tree, worker_client, name):
        area_id = getattr(tree, name).pk
        assert worker_client.get(reverse("areas:detail", args=[area_id])).status_code == 404
        assert worker_client.get(reverse("areas:children", args=[area_id]), **HTMX).status_code == 404

    def test_detail_page_for_a_viewer(self, tree, worker_client):
        response = worker_client.get(reverse("areas:detail", args=[tree.dwelling_a1.pk]))
        assert response.status_code == 200
        assert [area.pk for area in response.context["ancestors"]] == tree.dwelling_a1.ancestor_ids()[3:-1]
        assert response.context["ancestors"][0].pk == tree.grid_a1.pk
        assert response.context["editable"] is False
        page = response.content.decode()
        assert tree.community_a.name not in page  # nothing above the grid leaks into the breadcrumb
        assert reverse("areas:edit", args=[tree.dwelling_a1.pk]) not in page

    def test_detail_page_for_an_editor(self, tree, officer_client):
        response = officer_client.get(reverse("areas:detail", args=[tree.community_a.pk]))
        assert response.status_code == 200
        assert response.context["editable"] is True
        assert "code_path" not in response.context
        assert [child.pk for child in response.context["page"]] == [tree.grid_a1.pk, tree.grid_a2.pk]
        page = response.content.decode()
        assert tree.district.name not in page  # the breadcrumb starts at the officer's street
        assert reverse("areas:add_child", args=[tree.community_a.pk]) in page

    def test_children_are_paginated(self, tree, officer):
        for number in range(CHILDREN_PER_PAGE + 3):
            do_create_area(
                kind=AreaKind.DWELLING,
                code=f"9{number:02d}",
                name=f"{number}",
                parent=Area.objects.get(pk=tree.dwelling_a1.parent_id),
                acting_user=None,
            )
        client = testing.client_for(officer)
        unit_id = tree.dwelling_a1.parent_id
        first = client.get(reverse("areas:detail", args=[unit_id]))
        second = client.get(reverse("areas:detail", args=[unit_id]), {"page": 2})
        assert len(first.context["page"].object_list) == CHILDREN_PER_PAGE
        assert len(second.context["page"].object_list) == 4
        assert first.context["page"].paginator.count == CHILDREN_PER_PAGE + 4


@pytest.mark.django_db
class TestQueryCounts:
    def _add_grids(self, parent: Area, count: int) -> None:
        for number in range(count):
            grid = do_create_area(
                kind=AreaKind.GRID, code=f"G{parent.pk}x{number}", name="g", parent=parent, acting_user=None
            )
            do_create_area(kind=AreaKind.ESTATE, code="1", name="e", parent=grid, acting_user=None)

    def _count(self, client, url, **extra) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **extra)
        assert response.status_code == 200
        return len(captured.captured_queries)

    def test_children_endpoint_and_detail_page_are_constant(self, tree, officer_client, django_assert_max_num_queries):
        """Session, user, TOTP device, session record, grants, then the page's own reads: the area,
        its children with their counts in one query (detail: breadcrumb, page count, code path)."""
        children_url = reverse("areas:children", args=[tree.community_b.pk])
        detail_url = reverse("areas:detail", args=[tree.community_b.pk])
        officer_client.get(detail_url)  # warm the session
        few_children = self._count(officer_client, children_url, **HTMX)
        few_detail = self._count(officer_client, detail_url)
        self._add_grids(tree.community_b, 30)
        assert self._count(officer_client, children_url, **HTMX) == few_children
        assert self._count(officer_client, detail_url) == few_detail
        with django_assert_max_num_queries(8):
            officer_client.get(children_url, **HTMX)
        with django_assert_max_num_queries(11):
            officer_client.get(detail_url)
        with django_assert_max_num_queries(7):
            officer_client.get(reverse("areas:tree"))


@pytest.mark.django_db
class TestEditing:
    def test_edit_saves_and_records(self, tree, officer_client):
        url = reverse("areas:edit", args=[tree.grid_a1.pk])
        response = officer_client.post(
            url,
            {"edit-code": "11", "edit-name": "新网格", "edit-geometry": '{"type":"Point","coordinates":[116.4,39.9]}'},
        )
        assert response.status_code == 302
        area = Area.objects.get(pk=tree.grid_a1.pk)
        assert (area.code, area.name, area.geometry) == (
            "11",
            "新网格",
            {"type": "Point", "coordinates": [116.4, 39.9]},
        )
        assert AuditEvent.objects.filter(event_type="area.updated", object_id=str(area.pk)).count() == 1

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"edit-code": "0 1", "edit-name": "x"}, "code", "A code has 1–32 letters, digits or underscores."),
            ({"edit-code": "02", "edit-name": "x"}, "code", "Another area here already has this code."),
            ({"edit-code": "01", "edit-name": ""}, "name", "This field is required."),
            (
                {"edit-code": "01", "edit-name": "x", "edit-geometry": "{not json"},
                "geometry",
                "The geometry is not valid JSON.",
            ),
            (
                {"edit-code": "01", "edit-name": "x", "edit-geometry": '{"type":"LineString","coordinates":[]}'},
                "geometry",
                "The geometry must be a Point, Polygon or MultiPolygon.",
            ),
        ],
    )
    def test_bad_input_is_422_keeps_input_and_writes_nothing(self, tree, officer_client, data, field, message):
        before, events = area_state(), audit_count()
        response = officer_client.post(reverse("areas:edit", args=[tree.grid_a1.pk]), data)
        assert response.status_code == 422
        assert response.context["edit_form"].errors[field] == [message]
        assert f'value="{data["edit-code"]}"' in response.content.decode()
        assert area_state() == before
        assert audit_count() == events

    def test_viewer_cannot_edit(self, tree, worker_client):
        before = area_state()
        response = worker_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]), {"edit-code": "09", "edit-name": "x"}
        )
        assert response.status_code == 404
        assert area_state() == before

    def test_editor_cannot_edit_outside_scope(self, tree, officer_client):
        before = area_state()
        response = officer_client.post(
            reverse("areas:edit", args=[tree.district.pk]), {"edit-code": "110106", "edit-name": "x"}
        )
        assert response.status_code == 404
        assert area_state() == before

    def test_get_on_a_post_view_is_refused(self, tree, officer_client):
        assert officer_client.get(reverse("areas:edit", args=[tree.grid_a1.pk])).status_code == 405

    def test_add_child(self, tree, officer_client):
        response = officer_client.post(
            reverse("areas:add_child", args=[tree.community_b.pk]),
            {"child-kind": str(AreaKind.GRID), "child-code": "02", "child-name": "南湖第二网格"},
        )
        assert response.status_code == 302
        child = Area.objects.get(parent=tree.community_b, code="02")
        assert (child.kind, child.name, child.path) == (
            AreaKind.GRID,
            "南湖第二网格",
            f"{tree.community_b.path}{child.pk}/",
        )

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"child-kind": str(AreaKind.STREET), "child-code": "05", "child-name": "x"}, "kind"),
            ({"child-kind": str(AreaKind.GRID), "child-code": "01", "child-name": "x"}, "code"),
            ({"child-kind": str(AreaKind.GRID), "child-code": "05", "child-name": ""}, "name"),
        ],
    )
    def test_add_child_bad_input_is_422(self, tree, officer_client, data, field):
        before, events = area_state(), audit_count()
        response = officer_client.post(reverse("areas:add_child", args=[tree.community_b.pk]), data)
        assert response.status_code == 422
        assert field in response.context["child_form"].errors
        assert f'value="{data["child-code"]}"' in response.content.decode()
        assert area_state() == before
        assert audit_count() == events

    def test_deactivate_and_reactivate(self, tree, officer_client):
        response = officer_client.post(reverse("areas:deactivate", args=[tree.grid_a2.pk]))
        assert response.status_code == 302
        assert set(Area.objects.filter(is_active=False).values_list("pk", flat=True)) == set(
            Area.objects.within(tree.grid_a2).values_list("pk", flat=True)
        )
        response = officer_client.post(reverse("areas:reactivate", args=[tree.grid_a2.pk]))
        assert response.status_code == 302
        assert not Area.objects.filter(is_active=False).exists()

    def test_deactivation_refused_while_roles_are_held(self, tree, officer_client, make_staff):
        make_staff(Role.GRID_WORKER, tree.grid_a2)
        response = officer_client.post(reverse("areas:deactivate", args=[tree.grid_a2.pk]))
        assert response.status_code == 409
        assert "revoke them first" in response.context["action_error"]
        assert not Area.objects.filter(is_active=False).exists()


def upload(client, data: bytes, name: str):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(reverse("areas:import"), {"file": SimpleUploadedFile(name, data)})


def csv_file(rows: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([["类型", "编码", "名称", "上级编码路径"], *rows])
    return buffer.getvalue().encode(encoding)


GOOD = [["小区", "05", "新小区", "110105/001/002/01"], ["楼栋", "1", "1号楼", "110105/001/002/01/05"]]


@pytest.mark.django_db
class TestImportPages:
    def test_upload_preview_then_confirm(self, tree, officer_client):
        assert officer_client.get(reverse("areas:import")).status_code == 200
        before = area_state()
        response = upload(officer_client, csv_file(GOOD), "areas.csv")
        assert response.status_code == 200
        assert response.context["report"].created == 2
        assert area_state() == before  # the preview is a dry run
        token = response.context["confirm_form"].initial["token"]
        response = officer_client.post(reverse("areas:import_confirm"), {"token": token})
        assert response.status_code == 302
        assert response["Location"] == reverse("areas:tree")
        estate = Area.objects.get(parent=tree.grid_b1, code="05")
        assert Area.objects.get(parent=estate).name == "1号楼"
        event = AuditEvent.objects.get(event_type="area.imported")
        assert event.detail["created"] == 2 and event.detail["source"] == "areas.csv"
        # the staged file is gone: confirming twice does nothing more
        response = officer_client.post(reverse("areas:import_confirm"), {"token": token})
        assert response.status_code == 302
        assert AuditEvent.objects.filter(event_type="area.imported").count() == 1

    def test_xlsx_and_gb18030_uploads(self, tree, officer_client):
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        for row in [["类型", "编码", "名称", "上级编码路径"], *GOOD]:
            sheet.append(row)
        output = io.BytesIO()
        workbook.save(output)
        response = upload(officer_client, output.getvalue(), "areas.xlsx")
        assert response.status_code == 200 and response.context["report"].created == 2
        response = upload(officer_client, csv_file(GOOD, "gb18030"), "areas.csv")
        assert response.status_code == 200 and response.context["report"].created == 2

    def test_bad_rows_are_listed_with_row_numbers_and_no_confirm(self, tree, officer_client):
        before = area_state()
        response = upload(
            officer_client,
            csv_file([*GOOD, ["楼栋", "2", "", "110105/001/002/01/05"], ["单元", "1", "x", "110105/009"]]),
            "a.csv",
        )
        assert response.status_code == 422
        assert [(error.row, error.column) for error in response.context["errors"]] == [(4, "name"), (5, "parent")]
        assert response.context["confirm_form"] is None
        page = response.content.decode()
        assert "2 errors found: nothing was imported." in page
        assert area_state() == before

    @pytest.mark.parametrize(
        ("data", "name", "message"),
        [
            (b"%PDF-1.4", "a.pdf", "Upload an .xlsx workbook or a .csv file."),
            (
                b"\xd0\xcf\x11\xe0",
                "a.xls",
                "This spreadsheet format is not supported: save it as .xlsx or as CSV and upload that.",
            ),
            ("名称\nx\n".encode(), "a.csv", "The header row lacks these columns"),
        ],
    )
    def test_unusable_files_are_422(self, tree, officer_client, data, name, message):
        before = area_state()
        response = upload(officer_client, data, name)
        assert response.status_code == 422
        assert response.context["form"].errors["file"][0].startswith(message)
        assert area_state() == before

    def test_size_cap(self, tree, officer_client, settings):
        settings.LINLI_IMPORT_MAX_BYTES = 50
        response = upload(officer_client, csv_file(GOOD), "a.csv")
        assert response.status_code == 422
        assert response.context["form"].errors["file"][0].startswith("The file is larger than ")
        assert not Area.objects.filter(code="05").exists()

    def test_confirm_with_a_foreign_token_writes_nothing(self, tree, officer_client, make_staff):
        other = testing.client_for(make_staff(Role.STREET_OFFICER, tree.street))
        token = upload(other, csv_file(GOOD), "a.csv").context["confirm_form"].initial["token"]
        before = area_state()
        response = officer_client.post(reverse("areas:import_confirm"), {"token": token})
        assert response.status_code == 302
        assert response["Location"] == reverse("areas:import")
        assert area_state() == before

    def test_viewers_cannot_import(self, tree, worker_client):
        assert worker_client.get(reverse("areas:import")).status_code == 404
        before = area_state()
        assert upload(worker_client, csv_file(GOOD), "a.csv").status_code == 404
        assert area_state() == before
        assert worker_client.get(reverse("areas:import_template", args=["csv"])).status_code == 404

    def test_unknown_template_format_is_404(self, tree, officer_client):
        assert officer_client.get(reverse("areas:import_template", args=["pdf"])).status_code == 404

    def test_templates_download(self, tree, officer_client):
        response = officer_client.get(reverse("areas:import_template", args=["csv"]))
        assert response.status_code == 200
        assert response["Content-Disposition"] == 'attachment; filename="areas-template.csv"'
        assert response.content.decode("utf-8-sig").splitlines() == [
            "类型,编码,名称,上级编码路径,GeoJSON",
            "街道,001,望京街道,110105,",
        ]
        response = officer_client.get(reverse("areas:import_template", args=["xlsx"]))
        assert response.status_code == 200
        assert response.content.startswith(b"PK")


SQUARE = [[116.47, 39.99], [116.471, 39.99], [116.471, 39.991], [116.47, 39.991], [116.47, 39.99]]
SQUARE_B = [[116.48, 39.99], [116.481, 39.99], [116.481, 39.991], [116.48, 39.991], [116.48, 39.99]]
POLYGON = {"type": "Polygon", "coordinates": [SQUARE]}
OPEN_RING = {"type": "Polygon", "coordinates": [[*SQUARE[:-1], [116.4705, 39.9905]]]}


def edit_data(**extra: str) -> dict[str, str]:
    return {"edit-code": "01", "edit-name": "花家地第一网格", **extra}


def map_config(response) -> dict:  # type: ignore[no-untyped-def]
    import json
    import re

    match = re.search(r'<script id="area-map" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match is not None
    return json.loads(match.group(1))


@pytest.mark.django_db
class TestBoundaryMap:
    """The area form's map: the hidden field the map writes, the advanced GeoJSON import (text or
    file), errors beside the field, the reference outlines, and the tile setting with its CSP."""

    def test_drawn_polygon_is_saved(self, tree, officer_client):
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]), edit_data(**{"edit-geometry": json.dumps(POLYGON)})
        )
        assert response.status_code == 302
        assert Area.objects.get(pk=tree.grid_a1.pk).geometry == POLYGON
        assert AuditEvent.objects.filter(event_type="area.updated", object_id=str(tree.grid_a1.pk)).count() == 1

    def test_several_parts_are_saved_as_a_multipolygon(self, tree, officer_client):
        geometry = {"type": "MultiPolygon", "coordinates": [[SQUARE], [SQUARE_B]]}
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]), edit_data(**{"edit-geometry": json.dumps(geometry)})
        )
        assert response.status_code == 302
        assert Area.objects.get(pk=tree.grid_a1.pk).geometry == geometry

    def test_removing_the_boundary_saves_none(self, tree, officer_client):
        Area.objects.filter(pk=tree.grid_a1.pk).update(geometry=POLYGON)
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]), edit_data(**{"edit-geometry": ""})
        )
        assert response.status_code == 302
        assert Area.objects.get(pk=tree.grid_a1.pk).geometry is None

    def test_pasted_geojson_replaces_the_drawn_one(self, tree, officer_client):
        feature = {
            "type": "Feature",
            "properties": {"name": "x"},
            "geometry": {"type": "Polygon", "coordinates": [SQUARE_B]},
        }
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]),
            edit_data(**{"edit-geometry": json.dumps(POLYGON), "edit-geometry_import": json.dumps(feature)}),
        )
        assert response.status_code == 302
        assert Area.objects.get(pk=tree.grid_a1.pk).geometry == {"type": "Polygon", "coordinates": [SQUARE_B]}

    def test_geojson_file_is_imported(self, tree, officer_client):
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("grid.geojson", json.dumps(POLYGON).encode("utf-8-sig"), "application/geo+json")
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]),
            {**edit_data(**{"edit-geometry": ""}), "edit-geometry_file": upload},
        )
        assert response.status_code == 302
        assert Area.objects.get(pk=tree.grid_a1.pk).geometry == POLYGON

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"\xff\xfe{", "The file is not UTF-8 text."),
            (b"", "The submitted file is empty."),
            (b'{"type": "Point", "coordinates": [500, 1]}', "Coordinates out of range"),
            (b" " * (200 * 1024 + 1), "The geometry is larger than 200 KB."),
        ],
    )
    def test_unusable_geojson_file_is_refused_beside_the_file_field(self, tree, officer_client, content, message):
        from django.core.files.uploadedfile import SimpleUploadedFile

        before, events = area_state(), audit_count()
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]),
            {**edit_data(), "edit-geometry_file": SimpleUploadedFile("grid.geojson", content)},
        )
        assert response.status_code == 422
        errors = response.context["edit_form"].errors["geometry_file"]
        assert len(errors) == 1 and errors[0].startswith(message)
        assert '<details class="area-advanced" open>' in response.content.decode()
        assert area_state() == before
        assert audit_count() == events

    def test_invalid_drawn_geometry_shows_the_error_beside_the_map_in_chinese(self, tree, officer, officer_client):
        officer.language = "zh-hans"
        officer.save(update_fields=["language"])
        before, events = area_state(), audit_count()
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]), edit_data(**{"edit-geometry": json.dumps(OPEN_RING)})
        )
        assert response.status_code == 422
        page = response.content.decode()
        hidden = f'<input type="hidden" name="edit-geometry" value="{escape(json.dumps(OPEN_RING))}"'
        error = (
            '<div class="field-errors" role="alert" id="id_edit-geometry_error">'
            '<ul class="errorlist"><li>多边形的每个环须首尾闭合。</li></ul></div>'
        )
        assert hidden in page and error in page
        # the error sits right after the field, inside the boundary's fieldset, before the map
        assert page.index(hidden) < page.index(error) < page.index('class="area-map"')
        assert page.rfind("<fieldset", 0, page.index(error)) > page.rfind("</fieldset>", 0, page.index(error))
        assert 'aria-describedby="area-map-summary id_edit-geometry_error"' in page  # the map names its error
        # the map starts from the saved boundary (none) since the posted one is invalid
        assert map_config(response)["geometry"] is None
        assert area_state() == before
        assert audit_count() == events

    def test_invalid_pasted_geojson_opens_the_advanced_section_with_its_error(self, tree, officer_client):
        before = area_state()
        response = officer_client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]),
            edit_data(**{"edit-geometry": json.dumps(POLYGON), "edit-geometry_import": '{"type": "Polygon"'}),
        )
        assert response.status_code == 422
        assert response.context["edit_form"].errors == {"geometry_import": ["The geometry is not valid JSON."]}
        page = response.content.decode()
        assert '<details class="area-advanced" open>' in page
        textarea = page.index('id="id_edit-geometry_import"')
        error = page.index('<div class="field-errors" role="alert" id="id_edit-geometry_import_error">')
        assert textarea < error < page.index('id="id_edit-geometry_file"')
        assert map_config(response)["geometry"] == POLYGON  # the drawing is kept for the next try
        assert area_state() == before

    def test_out_of_scope_edit_is_404_and_writes_nothing(self, tree, make_staff):
        other = testing.client_for(make_staff(Role.STREET_OFFICER, tree.street))
        second_street = do_create_area(
            kind=AreaKind.STREET, code="002", name="酒仙桥街道", parent=tree.district, acting_user=None
        )
        before, events = area_state(), audit_count()
        for area in (second_street, tree.district):
            response = other.post(
                reverse("areas:edit", args=[area.pk]),
                {"edit-code": area.code, "edit-name": "x", "edit-geometry": json.dumps(POLYGON)},
            )
            assert response.status_code == 404
            assert other.get(reverse("areas:detail", args=[area.pk])).status_code == 404
        assert area_state() == before
        assert audit_count() == events

    @pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER])
    def test_viewers_cannot_change_the_boundary(self, tree, make_staff, role):
        area = tree.grid_a1 if role == Role.GRID_WORKER else tree.community_a
        client = testing.client_for(make_staff(role, area))
        before = area_state()
        response = client.post(
            reverse("areas:edit", args=[tree.grid_a1.pk]), edit_data(**{"edit-geometry": json.dumps(POLYGON)})
        )
        assert response.status_code == 404
        assert area_state() == before

    def test_viewer_sees_a_read_only_map_only_where_there_is_a_boundary(self, tree, worker_client):
        response = worker_client.get(reverse("areas:detail", args=[tree.grid_a1.pk]))
        assert "map_config" not in response.context
        assert "leaflet.js" not in response.content.decode()
        Area.objects.filter(pk=tree.grid_a1.pk).update(geometry=POLYGON)
        response = worker_client.get(reverse("areas:detail", args=[tree.grid_a1.pk]))
        config = map_config(response)
        assert (config["editable"], config["geometry"], config["references"]) == (False, POLYGON, [])
        page = response.content.decode()
        assert "/static/vendor/leaflet/leaflet.js" in page and 'data-map-action="draw"' not in page
        assert "Boundary — parts: 1, corner points: 4, area: about" in page

    def test_editor_page_has_the_map_and_no_code_paths(self, tree, officer_client):
        Area.objects.filter(pk=tree.community_a.pk).update(geometry={"type": "Polygon", "coordinates": [SQUARE_B]})
        Area.objects.filter(pk=tree.grid_a2.pk).update(geometry=POLYGON)
        Area.objects.filter(pk=tree.grid_b1.pk).update(geometry=POLYGON)  # another community's grid: not a sibling
        response = officer_client.get(reverse("areas:detail", args=[tree.grid_a1.pk]))
        assert response.status_code == 200
        config = map_config(response)
        assert config["editable"] is True and config["geometry"] is None and config["tiles"] is None
        assert config["references"] == [
            {
                "name": tree.community_a.name,
                "role": "parent",
                "geometry": {"type": "Polygon", "coordinates": [SQUARE_B]},
            },
            {"name": tree.grid_a2.name, "role": "sibling", "geometry": POLYGON},
        ]
        assert config["allowPoint"] is False
        page = response.content.decode()
        assert '<input type="hidden" name="edit-geometry" id="id_edit-geometry">' in page
        assert 'data-map-action="draw"' in page and 'data-map-action="point"' not in page
        assert '<details class="area-advanced">' in page  # closed until it has an error
        for internal in ("Code path", "110105/001/001", "GeoJSON geometry", "edit-geometry_import</", "linli.areas"):
            assert internal not in page
        assert f"Dashed: the boundary of {tree.community_a.name}, the area above." in page
        assert f"Blue: the neighbouring areas {tree.grid_a2.name}." in page

    def test_references_stay_inside_the_actors_remit(self, tree, make_staff):
        """A street officer editing their street sees neither the district's outline nor another street's."""
        Area.objects.filter(pk=tree.district.pk).update(geometry=POLYGON)
        do_create_area(
            kind=AreaKind.STREET,
            code="002",
            name="酒仙桥街道",
            parent=tree.district,
            acting_user=None,
            geometry=POLYGON,
        )
        client = testing.client_for(make_staff(Role.STREET_OFFICER, tree.street))
        response = client.get(reverse("areas:detail", args=[tree.street.pk]))
        assert map_config(response)["references"] == []
        assert "酒仙桥街道" not in response.content.decode()
        assert tree.district.name not in response.content.decode()

    def test_buildings_may_have_a_location_point(self, tree, officer_client):
        building = Area.objects.get(kind=AreaKind.BUILDING, parent__parent=tree.grid_a1)
        response = officer_client.get(reverse("areas:detail", args=[building.pk]))
        assert map_config(response)["allowPoint"] is True
        assert 'data-map-action="point"' in response.content.decode()

    def test_reference_outlines_do_not_add_queries(self, tree, officer_client):
        url = reverse("areas:detail", args=[tree.grid_a1.pk])
        officer_client.get(url)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as few:
            officer_client.get(url)
        for number in range(5):
            do_create_area(
                kind=AreaKind.GRID,
                code=f"9{number}",
                name=f"g{number}",
                parent=tree.community_a,
                acting_user=None,
                geometry=POLYGON,
            )
        with CaptureQueriesContext(connection) as many:
            response = officer_client.get(url)
        assert len(map_config(response)["references"]) == 5
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_add_child_takes_geojson_from_the_advanced_section(self, tree, officer_client):
        response = officer_client.post(
            reverse("areas:add_child", args=[tree.community_b.pk]),
            {
                "child-kind": str(AreaKind.GRID),
                "child-code": "02",
                "child-name": "南湖第二网格",
                "child-geometry_import": json.dumps(POLYGON),
            },
        )
        assert response.status_code == 302
        assert Area.objects.get(parent=tree.community_b, code="02").geometry == POLYGON

    def test_no_tiles_and_a_strict_csp_by_default(self, tree, officer_client):
        response = officer_client.get(reverse("areas:detail", args=[tree.grid_a1.pk]))
        assert "img-src 'self' data:;" in response["Content-Security-Policy"]
        assert map_config(response)["tiles"] is None

    def test_configured_tile_server_is_allowed_by_the_csp(self, tree, officer_client, settings):
        settings.LINLI_MAP_TILE_URL = "https://{s}.tiles.example.cn/{z}/{x}/{y}.png"
        settings.LINLI_MAP_TILE_ATTRIBUTION = "© 示例地图"
        response = officer_client.get(reverse("areas:detail", args=[tree.grid_a1.pk]))
        assert "img-src 'self' data: https://*.tiles.example.cn;" in response["Content-Security-Policy"]
        assert map_config(response)["tiles"] == {
            "url": "https://{s}.tiles.example.cn/{z}/{x}/{y}.png",
            "attribution": "© 示例地图",
        }

    @pytest.mark.parametrize(
        "url", ["javascript:alert(1)", "https://tiles.example.cn/{z}; script-src *", "ftp://tiles.example.cn/{z}"]
    )
    def test_unusable_tile_url_is_ignored(self, tree, officer_client, settings, url):
        settings.LINLI_MAP_TILE_URL = url
        response = officer_client.get(reverse("areas:detail", args=[tree.grid_a1.pk]))
        assert "img-src 'self' data:;" in response["Content-Security-Policy"]
        assert "script-src 'self';" in response["Content-Security-Policy"]
        assert map_config(response)["tiles"] is None
