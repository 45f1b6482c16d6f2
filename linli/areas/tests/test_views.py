"""Staff pages of the jurisdiction tree: guards, scoping (404), forms (422), query counts."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

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
        assert response.context["code_path"] == "110105/001/001"
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
