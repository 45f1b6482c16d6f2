"""Spreadsheet import: reading .xlsx and CSV (UTF-8, GB18030), validating every row, all or nothing."""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest

from linli.accounts.models import Role
from linli.areas.actions import do_deactivate_area, do_import_areas
from linli.areas.importing import ImportFileError, read_rows, template_csv, template_xlsx
from linli.areas.models import Area, AreaKind
from linli.audit.models import AuditEvent

HEADER = ["类型", "编码", "名称", "上级编码路径", "GeoJSON"]
POINT = {"type": "Point", "coordinates": [116.47, 39.99]}
# Children listed before their parents on purpose: the importer sorts by depth.
ROWS = [
    ["房屋", "101", "101室", "110105/001/001/01/03/2/1", ""],
    ["单元", "1", "1单元", "110105/001/001/01/03/2", ""],
    ["楼栋", "2", "2号楼", "110105/001/001/01/03", json.dumps(POINT)],
    ["小区", "03", "新小区", "110105/001/001/01", ""],
    ["房屋", "102", "102室", "110105/001/001/01/03/2/1", ""],
]


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@pytest.fixture
def officer(tree, verified_staff):
    return verified_staff(Role.STREET_OFFICER, tree.street)


def snapshot() -> tuple[int, int]:
    return Area.objects.count(), AuditEvent.objects.filter(event_type="area.imported").count()


def imported_estate(tree) -> Area:
    return Area.objects.get(parent=tree.grid_a1, code="03")


@pytest.mark.django_db
class TestReading:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
    def test_csv_in_every_encoding(self, encoding):
        rows = read_rows(csv_bytes(ROWS, encoding=encoding), "areas.csv")
        assert [(row.number, row.kind, row.code, row.name, row.parent) for row in rows[:2]] == [
            (2, "房屋", "101", "101室", "110105/001/001/01/03/2/1"),
            (3, "单元", "1", "1单元", "110105/001/001/01/03/2"),
        ]
        assert json.loads(rows[2].geometry) == POINT

    def test_xlsx_numbers_become_codes_and_row_numbers_count_blank_rows(self):
        data = xlsx_bytes([["区", 110105, "朝阳区", None, None], [None] * 5, ["街道", "001", "望京街道", 110105, None]])
        rows = read_rows(data, "Areas.XLSX")
        assert [(row.number, row.kind, row.code, row.parent) for row in rows] == [
            (2, "区", "110105", ""),
            (4, "街道", "001", "110105"),
        ]

    def test_english_and_combined_headers(self):
        data = csv_bytes([["street", "009", "x", "110105"]], header=["Kind", "编码/code", "名称 (name)", "Parent"])
        [row] = read_rows(data, "a.csv")
        assert (row.kind, row.code, row.name, row.parent, row.geometry) == ("street", "009", "x", "110105", "")

    @pytest.mark.parametrize(
        ("data", "filename", "code"),
        [
            (b"PK\x03\x04junk", "a.xls", "import_type"),
            (b"hello", "a.pdf", "import_type"),
            (b"not a zip", "a.xlsx", "import_unreadable"),
            (b"PK\x03\x04broken zip", "a.xlsx", "import_unreadable"),
            (b"", "a.csv", "import_empty"),
            ("类型,编码,名称\n区,110105,朝阳区\n".encode(), "a.csv", "import_header_missing"),
            ("类型,编码,名称,上级,编码\n".encode(), "a.csv", "import_header_duplicate"),
            ("类型,编码,名称,上级\n\n".encode(), "a.csv", "import_no_rows"),
        ],
    )
    def test_unusable_files_are_refused_with_a_code(self, data, filename, code):
        with pytest.raises(ImportFileError) as caught:
            read_rows(data, filename)
        assert caught.value.code == code
        assert str(caught.value.message)

    def test_size_cap(self, settings):
        settings.LINLI_IMPORT_MAX_BYTES = 100
        with pytest.raises(ImportFileError) as caught:
            read_rows(csv_bytes(ROWS), "a.csv")
        assert caught.value.code == "import_too_large"

    def test_row_cap(self, settings):
        settings.LINLI_IMPORT_MAX_ROWS = 3
        with pytest.raises(ImportFileError) as caught:
            read_rows(csv_bytes(ROWS), "a.csv")
        assert caught.value.code == "import_too_many_rows"

    def test_templates_have_the_header_and_examples(self):
        text = template_csv([(AreaKind.STREET, "001", "望京街道", "110105")]).decode("utf-8")
        assert text.startswith("\ufeff类型,编码,名称,上级编码路径,GeoJSON\r\n")
        assert "街道,001,望京街道,110105," in text
        rows = read_rows(template_xlsx([(AreaKind.STREET, "001", "望京街道", "110105")]), "t.xlsx")
        assert [(row.kind, row.code, row.parent) for row in rows] == [("街道", "001", "110105")]


@pytest.mark.django_db
class TestImport:
    def test_csv_import_creates_everything_with_paths_and_one_audit_event(self, tree, officer):
        before = Area.objects.count()
        report = do_import_areas(read_rows(csv_bytes(ROWS), "a.csv"), acting_user=officer, source_name="a.csv")
        assert report.applied and report.errors == []
        assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
        assert Area.objects.count() == before + 5
        estate = imported_estate(tree)
        building = Area.objects.get(parent=estate)
        unit = Area.objects.get(parent=building)
        dwellings = list(Area.objects.filter(parent=unit).order_by("code"))
        assert estate.path == f"{tree.grid_a1.path}{estate.pk}/"
        assert unit.path == f"{tree.grid_a1.path}{estate.pk}/{building.pk}/{unit.pk}/"
        assert [(area.code, area.depth, area.kind, area.path) for area in dwellings] == [
            ("101", 7, AreaKind.DWELLING, f"{unit.path}{dwellings[0].pk}/"),
            ("102", 7, AreaKind.DWELLING, f"{unit.path}{dwellings[1].pk}/"),
        ]
        assert building.geometry == POINT
        assert Area.objects.within(tree.grid_a1).filter(kind=AreaKind.DWELLING).count() == 3
        [event] = AuditEvent.objects.filter(event_type="area.imported")
        assert event.actor_id == officer.pk
        assert event.area_id == tree.grid_a1.pk
        assert event.detail == {
            "rows": 5,
            "created": 5,
            "updated": 0,
            "unchanged": 0,
            "created_by_kind": {"estate": 1, "building": 1, "unit": 1, "dwelling": 2},
            "source": "a.csv",
        }

    def test_gb18030_csv_import(self, tree, officer):
        report = do_import_areas(read_rows(csv_bytes(ROWS, encoding="gb18030"), "a.csv"), acting_user=officer)
        assert report.applied
        assert imported_estate(tree).name == "新小区"

    def test_xlsx_import(self, tree, officer):
        rows = [[kind, code, name, parent, geometry or None] for kind, code, name, parent, geometry in ROWS]
        report = do_import_areas(read_rows(xlsx_bytes(rows), "a.xlsx"), acting_user=officer)
        assert report.applied and report.created == 5
        assert Area.objects.filter(parent=imported_estate(tree)).get().geometry == POINT

    def test_dry_run_writes_nothing(self, tree, officer):
        before = snapshot()
        report = do_import_areas(read_rows(csv_bytes(ROWS), "a.csv"), acting_user=officer, dry_run=True)
        assert report.is_valid and not report.applied
        assert report.created == 5
        assert snapshot() == before

    def test_bad_rows_are_reported_by_row_and_nothing_is_written(self, tree, officer):
        rows = [
            *ROWS,
            ["城堡", "1", "x", "110105/001", ""],  # row 7: unknown kind
            ["网格", "0 1", "", "110105/001/001", ""],  # row 8: bad code, no name
            ["网格", "05", "y", "110105/001/999", ""],  # row 9: unknown parent
            ["社区", "07", "z", "110105/001/001/01", ""],  # row 10: a community under a grid
            ["房屋", "101", "dup", "110105/001/001/01/03/2/1", ""],  # row 11: duplicate of row 2
            ["网格", "06", "g", "110105/001/001", '{"type": "Point", "coordinates": [1, 99]}'],  # row 12
            ["单元", "9", "u", "110105/001/001/0 1", ""],  # row 13: under row 8 (invalid)
            ["房屋", "1", "d", "110105/001/001/01/03/2/9", ""],  # row 14: parent unknown in file
        ]
        before = snapshot()
        report = do_import_areas(read_rows(csv_bytes(rows), "a.csv"), acting_user=officer)
        assert not report.applied
        assert snapshot() == before
        found = [(error.row, error.column) for error in report.sorted_errors()]
        assert found == [
            (7, "kind"),
            (8, "code"),
            (8, "name"),
            (9, "parent"),
            (10, "kind"),
            (11, "code"),
            (12, "geometry"),
            (13, "parent"),
            (14, "parent"),
        ]
        messages = {error.row: error.message for error in report.errors}
        assert "110105/001/999" in messages[9]
        assert "2" in messages[11]
        assert messages[13] == "Its parent (row 8) has errors."

    def test_existing_rows_update_or_stay_unchanged(self, tree, officer):
        rows = [
            ["网格", "01", "花家地第一网格", "110105/001/001", ""],  # unchanged
            ["网格", "02", "花家地第二网格(新)", "110105/001/001", ""],  # renamed
            ["网格", "01", "南湖第一网格", "110105/001/002", json.dumps(POINT)],  # geometry added
            ["小区", "03", "新小区", "110105/001/001/01", ""],  # new
        ]
        report = do_import_areas(read_rows(csv_bytes(rows), "a.csv"), acting_user=officer)
        assert report.applied
        assert (report.created, report.updated, report.unchanged) == (1, 2, 1)
        tree.grid_a2.refresh_from_db()
        tree.grid_b1.refresh_from_db()
        assert tree.grid_a2.name == "花家地第二网格(新)"
        assert tree.grid_b1.geometry == POINT
        # an empty geometry cell leaves the stored geometry alone
        report = do_import_areas(
            read_rows(csv_bytes([["网格", "01", "南湖第一网格", "110105/001/002", ""]]), "a.csv"), acting_user=officer
        )
        assert (report.updated, report.unchanged) == (0, 1)
        tree.grid_b1.refresh_from_db()
        assert tree.grid_b1.geometry == POINT

    def test_a_kind_mismatch_with_an_existing_area_is_an_error(self, tree, officer):
        report = do_import_areas(
            read_rows(csv_bytes([["小区", "01", "x", "110105/001/001", ""]]), "a.csv"), acting_user=officer
        )
        assert [(error.row, error.column) for error in report.errors] == [(2, "kind")]

    def test_deactivated_parent_is_refused(self, tree, officer):
        do_deactivate_area(tree.grid_a2, acting_user=officer)
        report = do_import_areas(
            read_rows(csv_bytes([["小区", "05", "x", "110105/001/001/02", ""]]), "a.csv"), acting_user=officer
        )
        assert [(error.row, error.column) for error in report.errors] == [(2, "parent")]
        assert not report.applied


@pytest.mark.django_db
class TestImportScope:
    def test_a_community_leader_cannot_import_at_all_outside_their_reach(self, tree, verified_staff):
        """Community leaders are not area editors: every row is outside their (empty) reach."""
        leader = verified_staff(Role.COMMUNITY_LEADER, tree.community_a)
        report = do_import_areas(read_rows(csv_bytes(ROWS[3:4]), "a.csv"), acting_user=leader)
        assert [(error.row, error.column) for error in report.errors] == [(2, "parent")]
        assert "Unknown parent" in report.errors[0].message

    def test_an_officer_of_another_street_learns_nothing(self, tree, verified_staff):
        other_street = Area.objects.create(
            kind=AreaKind.STREET, code="002", name="另一街道", parent=tree.district, path="/tmp/", depth=1
        )
        Area.objects.filter(pk=other_street.pk).update(path=f"{tree.district.path}{other_street.pk}/")
        other = verified_staff(Role.STREET_OFFICER, Area.objects.get(pk=other_street.pk))
        existing_path = "110105/001/001/01"  # exists, but not in this officer's street
        missing_path = "110105/001/001/77"  # does not exist at all
        rows = [["小区", "08", "x", existing_path, ""], ["小区", "08", "x", missing_path, ""]]
        report = do_import_areas(read_rows(csv_bytes(rows), "a.csv"), acting_user=other)
        first, second = report.sorted_errors()
        assert first.message.replace(existing_path, "P") == second.message.replace(missing_path, "P")
        # The district above the officer's street may be listed unchanged, but not added to or changed.
        rows = [["区", "110105", "朝阳区", "", ""], ["街道", "003", "新街道", "110105", ""]]
        report = do_import_areas(read_rows(csv_bytes(rows), "a.csv"), acting_user=other)
        assert [(error.row, error.column) for error in report.sorted_errors()] == [(3, "parent")]
        assert report.planned[0].action == "unchanged"
        report = do_import_areas(read_rows(csv_bytes([["区", "110105", "改名", "", ""]]), "a.csv"), acting_user=other)
        assert [(error.row, error.column) for error in report.sorted_errors()] == [(2, "name")]
        report = do_import_areas(
            read_rows(csv_bytes([["区", "110105", "朝阳区", "", json.dumps(POINT)]]), "a.csv"), acting_user=other
        )
        assert [(error.row, error.column) for error in report.sorted_errors()] == [(2, "geometry")]
        assert Area.objects.get(pk=tree.district.pk).name == "朝阳区"

    def test_new_districts_only_from_the_command_line(self, tree, officer):
        rows = [["区", "110106", "丰台区", "", ""], ["街道", "001", "x", "110106", ""]]
        report = do_import_areas(read_rows(csv_bytes(rows), "a.csv"), acting_user=officer)
        assert [(error.row, error.column) for error in report.sorted_errors()] == [(2, "code"), (3, "parent")]
        report = do_import_areas(read_rows(csv_bytes(rows), "a.csv"), acting_user=None)
        assert report.applied
        district = Area.objects.get(parent__isnull=True, code="110106")
        assert district.path == f"/{district.pk}/"
        assert Area.objects.get(parent=district).path == f"/{district.pk}/{Area.objects.get(parent=district).pk}/"
        assert AuditEvent.objects.get(event_type="area.imported").area_id is None


@pytest.mark.django_db
def test_an_audit_failure_rolls_the_whole_import_back(tree, officer):
    from unittest import mock

    before = snapshot()
    with mock.patch("linli.areas.actions.record_event", side_effect=RuntimeError("audit down")):
        with pytest.raises(RuntimeError):
            do_import_areas(read_rows(csv_bytes(ROWS), "a.csv"), acting_user=officer)
    assert snapshot() == before
    assert not Area.objects.filter(path__startswith="/~import").exists()
