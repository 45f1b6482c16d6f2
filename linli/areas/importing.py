"""Importing the jurisdiction tree from a spreadsheet (导入辖区).

A file is a table with one area per row:

============  =====================  ===============================================
column        header (any of)        content
============  =====================  ===============================================
kind          类型 / kind            区 街道 社区 网格 小区 楼栋 单元 房屋, or
                                     district … dwelling, or 1 … 8
code          编码 / code            the area's code among its siblings (a district:
                                     its 6-digit GB/T 2260 code)
name          名称 / name            the area's name
parent        上级编码路径 / parent  the parent's *code path*: the codes from the
                                     root down to the parent joined by "/", e.g.
                                     ``110105/001/003``; empty for a district
geometry      GeoJSON / geometry     optional GeoJSON Point, Polygon or MultiPolygon
============  =====================  ===============================================

Reading (``read_rows``) turns an .xlsx workbook (python-calamine) or a CSV file (UTF-8 with or
without BOM, else GB18030) into ``ImportRow`` objects numbered as a spreadsheet program numbers its
rows. Planning (``plan_import``) validates every row against the tree and the importer's
jurisdiction without writing; ``linli.areas.actions.do_import_areas`` applies a plan with no errors
in one transaction.

A row whose code path already exists is compared with the tree: a different name (or a given
geometry that differs) updates the area, otherwise the row is counted as unchanged. An empty
geometry cell never clears an existing geometry. So a department can re-import its whole sheet
after adding rows.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.areas.actions import validate_code, validate_kind_order
from linli.areas.geometry import validate_geometry
from linli.areas.models import KIND_CHINESE, Area, AreaKind, within_q
from linli.core import spreadsheets
from linli.core.errors import LinliError, ValidationFailed

COLUMNS = ("kind", "code", "name", "parent", "geometry")
REQUIRED_COLUMNS = ("kind", "code", "name", "parent")
TEMPLATE_HEADERS = {"kind": "类型", "code": "编码", "name": "名称", "parent": "上级编码路径", "geometry": "GeoJSON"}
COLUMN_LABELS = {
    "kind": gettext_lazy("kind"),
    "code": gettext_lazy("code"),
    "name": gettext_lazy("name"),
    "parent": gettext_lazy("parent code path"),
    "geometry": gettext_lazy("geometry"),
}
HEADER_ALIASES = {
    "kind": ("类型", "层级", "级别", "kind", "type", "level"),
    "code": ("编码", "代码", "code"),
    "name": ("名称", "name"),
    "parent": ("上级编码路径", "上级编码", "上级路径", "上级", "parent", "parentpath", "parentcodepath", "parentcode"),
    "geometry": ("geojson", "geometry", "几何", "边界", "空间范围"),
}
KIND_ALIASES: dict[str, int] = {}
for _kind in AreaKind:
    KIND_ALIASES[KIND_CHINESE[_kind]] = int(_kind)
    KIND_ALIASES[_kind.name.lower()] = int(_kind)
    KIND_ALIASES[str(int(_kind))] = int(_kind)
KIND_ALIASES.update(
    {"区县": 1, "县": 1, "乡镇": 2, "镇": 2, "乡": 2, "村": 3, "居委会": 3, "楼": 6, "楼宇": 6, "户": 8, "房间": 8}
)

PATH_SEPARATORS = re.compile(r"[/／\\]")
HEADER_PARTS = re.compile(r"[/／\\()（）]")
HEADER_NOTE = re.compile(r"[(（].*?[)）]")
MAX_NAME_LENGTH = 100
MAX_TREE_DEPTH = 8
MAX_ROWS_DEFAULT = 200_000
STAGED_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
STAGED_MAX_AGE_SECONDS = 24 * 3600


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be read (type, size, encoding, header)."""

    code = "import_file"


@dataclass(slots=True)
class ImportRow:
    """One data row as read from the file, cells as text. ``number`` is the row number a
    spreadsheet program shows (the header is usually row 1)."""

    number: int
    kind: str = ""
    code: str = ""
    name: str = ""
    parent: str = ""
    geometry: str = ""


@dataclass(frozen=True, slots=True)
class RowError:
    row: int | None
    column: str
    message: str

    @property
    def column_label(self) -> str:
        return str(COLUMN_LABELS.get(self.column, self.column))


@dataclass(slots=True)
class ExistingArea:
    id: int
    parent_id: int | None
    kind: int
    code: str
    name: str
    path: str
    is_active: bool
    editable: bool


@dataclass(slots=True)
class PlannedArea:
    """A valid row and what applying the plan will do with it."""

    row: int
    kind: int
    code: str
    name: str
    geometry: dict[str, Any] | None
    code_path: str
    depth: int
    action: str  # "create" | "update" | "unchanged"
    existing: ExistingArea | None = None
    parent_existing: ExistingArea | None = None
    parent_planned: PlannedArea | None = None
    area_id: int | None = None

    @property
    def kind_label(self) -> str:
        return str(AreaKind(self.kind).label)

    @property
    def parent_id(self) -> int | None:
        if self.parent_existing is not None:
            return self.parent_existing.id
        if self.parent_planned is not None:
            return self.parent_planned.area_id
        return None


@dataclass
class ImportReport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    planned: list[PlannedArea] = field(default_factory=list)
    applied: bool = False

    @property
    def creates(self) -> list[PlannedArea]:
        return [item for item in self.planned if item.action == "create"]

    @property
    def updates(self) -> list[PlannedArea]:
        return [item for item in self.planned if item.action == "update"]

    @property
    def created(self) -> int:
        return sum(1 for item in self.planned if item.action == "create")

    @property
    def updated(self) -> int:
        return sum(1 for item in self.planned if item.action == "update")

    @property
    def unchanged(self) -> int:
        return sum(1 for item in self.planned if item.action == "unchanged")

    @property
    def is_valid(self) -> bool:
        return not self.errors and self.rows > 0

    def created_by_kind(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for item in self.planned:
            if item.action == "create":
                counts[item.kind] = counts.get(item.kind, 0) + 1
        return dict(sorted(counts.items()))

    def created_by_kind_labels(self) -> list[tuple[str, int]]:
        return [(str(AreaKind(kind).label), count) for kind, count in self.created_by_kind().items()]

    def sorted_errors(self) -> list[RowError]:
        return sorted(
            self.errors,
            key=lambda error: (error.row or 0, COLUMNS.index(error.column) if error.column in COLUMNS else -1),
        )


# --- reading files ---------------------------------------------------------------------------------


def max_import_bytes() -> int:
    return int(settings.LINLI_IMPORT_MAX_BYTES)


def max_import_rows() -> int:
    return int(getattr(settings, "LINLI_IMPORT_MAX_ROWS", MAX_ROWS_DEFAULT))


def _file_error(message: str, code: str) -> ImportFileError:
    return ImportFileError(message, code=code, field="file")


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _normalise_header(text: str) -> str:
    return re.sub(r"[\s_\-]+", "", text.strip().lstrip("\ufeff").lower())


def _map_header(cells: list[str]) -> dict[str, int]:
    lookup = {_normalise_header(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
    mapping: dict[str, int] = {}
    for index, cell in enumerate(cells):
        # "类型/kind" and "类型（kind）" style headers name the column twice: any part may match.
        candidates = [cell, HEADER_NOTE.sub("", cell), *HEADER_PARTS.split(cell)]
        for candidate in candidates:
            column = lookup.get(_normalise_header(candidate))
            if column is None:
                continue
            if column in mapping:
                raise _file_error(
                    _("The column %(column)s appears twice in the header.") % {"column": COLUMN_LABELS[column]},
                    "import_header_duplicate",
                )
            mapping[column] = index
            break
    missing = [column for column in REQUIRED_COLUMNS if column not in mapping]
    if missing:
        names = ", ".join(f"{TEMPLATE_HEADERS[column]} ({COLUMN_LABELS[column]})" for column in missing)
        raise _file_error(
            _("The header row lacks these columns: %(columns)s. Download the template to see the expected columns.")
            % {"columns": names},
            "import_header_missing",
        )
    return mapping


def _rows_from_table(table: Iterable[tuple[int, list[str]]]) -> list[ImportRow]:
    mapping: dict[str, int] | None = None
    rows: list[ImportRow] = []
    limit = max_import_rows()
    for number, cells in table:
        if not any(cells):
            continue
        if mapping is None:
            mapping = _map_header(cells)
            continue
        values = {column: (cells[index] if index < len(cells) else "") for column, index in mapping.items()}
        rows.append(ImportRow(number=number, **values))
        if len(rows) > limit:
            raise _file_error(
                _("The file has more than %(limit)d rows; split it into smaller files.") % {"limit": limit},
                "import_too_many_rows",
            )
    if mapping is None:
        raise _file_error(_("The file is empty."), "import_empty")
    if not rows:
        raise _file_error(_("The file has a header but no rows to import."), "import_no_rows")
    return rows


def _xlsx_table(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        table = sheet.to_python(skip_empty_area=False)
    except Exception:  # noqa: BLE001 — calamine raises several unrelated types for damaged files
        raise _file_error(
            _("This workbook could not be read. Save it again as .xlsx and retry."), "import_unreadable"
        ) from None
    for index, cells in enumerate(table, start=1):
        yield index, [_cell_text(cell) for cell in cells]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK and GB2312, what Excel
    and WPS on Chinese Windows save as "CSV")."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error(_("The text encoding of this CSV file is not UTF-8 or GB18030."), "import_encoding")


def _csv_table(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = decode_text(data)
    if "\x00" in text:
        raise _file_error(_("This is not a CSV text file."), "import_unreadable")
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for index, cells in enumerate(reader, start=1):
            yield index, [cell.strip() for cell in cells]
    except csv.Error:
        raise _file_error(_("This CSV file is malformed (check the quotation marks)."), "import_unreadable") from None


def read_rows(data: bytes, filename: str) -> list[ImportRow]:
    """Read an uploaded file into rows. Raises ``ImportFileError`` for a file that cannot be used
    at all (too large, wrong type, unreadable, no header)."""
    suffix = check_file(len(data), filename)
    if suffix in {".xlsx", ".xlsm"}:
        if not data.startswith(b"PK\x03\x04"):
            raise _file_error(_("This file is not a valid .xlsx workbook."), "import_unreadable")
        return _rows_from_table(_xlsx_table(data))
    return _rows_from_table(_csv_table(data))


def check_file(size: int, filename: str) -> str:
    """Refuse a file by its size and name before reading it; returns its (lower-case) suffix."""
    limit = max_import_bytes()
    if size > limit:
        raise _file_error(
            _("The file is larger than %(size)s MB.") % {"size": f"{limit / 1024 / 1024:g}"}, "import_too_large"
        )
    if size == 0:
        raise _file_error(_("The file is empty."), "import_empty")
    suffix = Path(filename).suffix.lower()
    if suffix in {".xlsx", ".xlsm", ".csv", ".txt"}:
        return suffix
    if suffix in {".xls", ".et", ".ods", ".numbers"}:
        raise _file_error(
            _("This spreadsheet format is not supported: save it as .xlsx or as CSV and upload that."), "import_type"
        )
    raise _file_error(_("Upload an .xlsx workbook or a .csv file."), "import_type")


# --- planning ----------------------------------------------------------------------------------------


def parse_kind(text: str) -> int:
    kind = KIND_ALIASES.get(text.strip().lower())
    if kind is None:
        raise ValidationFailed(
            _("Unknown kind “%(kind)s”: use one of %(kinds)s.")
            % {"kind": text.strip()[:20], "kinds": "、".join(KIND_CHINESE[item] for item in AreaKind)},
            code="area_kind_unknown",
            field="kind",
        )
    return kind


def split_code_path(text: str) -> list[str]:
    return [segment.strip() for segment in PATH_SEPARATORS.split(text.strip()) if segment.strip()]


EXISTING_FIELDS = ("id", "parent_id", "kind", "code", "name", "path", "is_active")


def _load_existing(editable_paths: list[str] | None) -> dict[str, ExistingArea]:
    """Every area the importer may refer to, by code path: with ``editable_paths`` None, the whole
    tree; otherwise the areas inside those paths plus their ancestors (referable, not editable).
    Nothing outside is loaded, so a row naming an area out of the importer's reach reads exactly as
    a row naming an area that does not exist."""
    if editable_paths is None:
        rows = list(Area.objects.values_list(*EXISTING_FIELDS))
    else:
        ancestor_ids = {int(part) for path in editable_paths for part in path.strip("/").split("/") if part}
        rows = list(Area.objects.filter(within_q(editable_paths)).values_list(*EXISTING_FIELDS))
        inside = {row[0] for row in rows}
        rows += list(Area.objects.filter(pk__in=ancestor_ids - inside).values_list(*EXISTING_FIELDS))
    rows.sort(key=lambda row: row[5].count("/"))  # parents before children
    code_paths: dict[int, str] = {}
    by_code_path: dict[str, ExistingArea] = {}
    for area_id, parent_id, kind, code, name, path, is_active in rows:
        if parent_id is None:
            code_path = code
        elif parent_id in code_paths:
            code_path = f"{code_paths[parent_id]}/{code}"
        else:
            continue
        code_paths[area_id] = code_path
        editable = editable_paths is None or any(path.startswith(scope) for scope in editable_paths)
        by_code_path[code_path] = ExistingArea(area_id, parent_id, kind, code, name, path, is_active, editable)
    return by_code_path


@dataclass(slots=True)
class _ParsedRow:
    row: int
    kind: int
    code: str
    name: str
    geometry: dict[str, Any] | None
    segments: list[str]
    code_path: str


def _parse_row(row: ImportRow, errors: list[RowError]) -> _ParsedRow | None:
    """Check one row on its own; record its errors and return None when it has any."""
    failed = False
    kind = 0
    code = ""
    try:
        kind = parse_kind(row.kind) if row.kind.strip() else 0
        if not kind:
            raise ValidationFailed(_("Enter the kind."), code="area_kind_required", field="kind")
    except ValidationFailed as error:
        errors.append(RowError(row.number, "kind", str(error.message)))
        failed = True
    try:
        if not row.code.strip():
            raise ValidationFailed(_("Enter a code."), code="area_code_required", field="code")
        code = validate_code(kind or AreaKind.STREET, row.code)
    except ValidationFailed as error:
        errors.append(RowError(row.number, "code", str(error.message)))
        failed = True
    name = row.name.strip()
    if not name:
        errors.append(RowError(row.number, "name", _("Enter a name.")))
        failed = True
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(
            RowError(row.number, "name", _("A name has at most %(count)d characters.") % {"count": MAX_NAME_LENGTH})
        )
        failed = True
    parent_segments = split_code_path(row.parent)
    if len(parent_segments) >= MAX_TREE_DEPTH:
        errors.append(RowError(row.number, "parent", _("The tree has at most eight levels.")))
        failed = True
    geometry = None
    try:
        geometry = validate_geometry(row.geometry)
    except ValidationFailed as error:
        errors.append(RowError(row.number, "geometry", str(error.message)))
        failed = True
    if failed:
        return None
    segments = [*parent_segments, code]
    return _ParsedRow(row.number, kind, code, name, geometry, segments, "/".join(segments))


def _load_geometries(area_ids: list[int]) -> dict[int, Any]:
    geometries: dict[int, Any] = {}
    for start in range(0, len(area_ids), 500):
        chunk = area_ids[start : start + 500]
        geometries.update(Area.objects.filter(pk__in=chunk).values_list("id", "geometry"))
    return geometries


def plan_import(rows: list[ImportRow], *, editable_paths: list[str] | None, may_create_roots: bool) -> ImportReport:
    """Validate every row and work out what importing them would do. Writes nothing.

    ``editable_paths``: the importer's jurisdiction (area paths), or None for the whole tree (the
    operator's command line). ``may_create_roots``: whether rows may add new districts."""
    report = ImportReport(rows=len(rows))
    errors = report.errors
    parsed: list[_ParsedRow] = []
    first_row_of: dict[str, int] = {}
    failed_paths: dict[str, int] = {}
    for row in rows:
        item = _parse_row(row, errors)
        if item is None:
            segments = split_code_path(row.parent)
            if row.code.strip():
                failed_paths.setdefault("/".join([*segments, row.code.strip()]), row.number)
            continue
        earlier = first_row_of.get(item.code_path)
        if earlier is not None:
            errors.append(
                RowError(
                    item.row,
                    "code",
                    _("Row %(row)d already has the code path %(path)s.") % {"row": earlier, "path": item.code_path},
                )
            )
            continue
        first_row_of[item.code_path] = item.row
        parsed.append(item)

    existing = _load_existing(editable_paths)
    parsed.sort(key=lambda item: (len(item.segments), item.row))
    planned_by_path: dict[str, PlannedArea] = {}
    for item in parsed:
        code_path = item.code_path
        depth = len(item.segments) - 1
        current = existing.get(code_path)
        if current is not None:
            planned = _plan_existing(item, current, depth, errors)
        else:
            planned = _plan_new(item, depth, existing, planned_by_path, failed_paths, errors, may_create_roots)
        if planned is None:
            failed_paths.setdefault(code_path, item.row)
            continue
        if planned.action == "create":
            planned_by_path[code_path] = planned
        report.planned.append(planned)

    # A given geometry that differs from the stored one is an update too.
    with_geometry = [
        (planned, planned.existing)
        for planned in report.planned
        if planned.existing is not None and planned.geometry is not None
    ]
    if with_geometry:
        stored = _load_geometries([current.id for _planned, current in with_geometry])
        for planned, current in with_geometry:
            if stored.get(current.id) == planned.geometry:
                continue
            if current.editable:
                planned.action = "update"
            else:
                errors.append(RowError(planned.row, "geometry", _outside_message()))
                report.planned.remove(planned)
    report.planned.sort(key=lambda item: item.row)
    return report


def _outside_message() -> str:
    return _("This area is outside your jurisdiction: it may be listed, but only unchanged.")


def _plan_existing(item: _ParsedRow, current: ExistingArea, depth: int, errors: list[RowError]) -> PlannedArea | None:
    if current.kind != item.kind:
        errors.append(
            RowError(
                item.row,
                "kind",
                _("This code path already belongs to a %(kind)s.") % {"kind": AreaKind(current.kind).label},
            )
        )
        return None
    action = "unchanged" if current.name == item.name else "update"
    if action == "update" and not current.editable:
        errors.append(RowError(item.row, "name", _outside_message()))
        return None
    return PlannedArea(
        row=item.row,
        kind=item.kind,
        code=item.code,
        name=item.name,
        geometry=item.geometry,
        code_path=item.code_path,
        depth=depth,
        action=action,
        existing=current,
        area_id=current.id,
    )


def _plan_new(
    item: _ParsedRow,
    depth: int,
    existing: dict[str, ExistingArea],
    planned_by_path: dict[str, PlannedArea],
    failed_paths: dict[str, int],
    errors: list[RowError],
    may_create_roots: bool,
) -> PlannedArea | None:
    planned = PlannedArea(
        row=item.row,
        kind=item.kind,
        code=item.code,
        name=item.name,
        geometry=item.geometry,
        code_path=item.code_path,
        depth=depth,
        action="create",
    )
    if depth == 0:
        try:
            validate_kind_order(item.kind, None)
        except ValidationFailed as error:
            errors.append(RowError(item.row, "kind", str(error.message)))
            return None
        if not may_create_roots:
            errors.append(
                RowError(
                    item.row,
                    "code",
                    _("A new district can only be added from the command line (linli import_areas)."),
                )
            )
            return None
        return planned
    parent_path = "/".join(item.segments[:-1])
    parent_planned = planned_by_path.get(parent_path)
    parent_existing = existing.get(parent_path) if parent_planned is None else None
    if parent_planned is None and parent_existing is None:
        failed_row = failed_paths.get(parent_path)
        if failed_row is not None:
            message = _("Its parent (row %(row)d) has errors.") % {"row": failed_row}
        else:
            message = _("Unknown parent %(path)s: no area has this code path.") % {"path": parent_path}
        errors.append(RowError(item.row, "parent", message))
        return None
    parent_kind = parent_planned.kind if parent_planned is not None else parent_existing.kind  # type: ignore[union-attr]
    try:
        validate_kind_order(item.kind, parent_kind)
    except ValidationFailed as error:
        errors.append(RowError(item.row, "kind", str(error.message)))
        return None
    if parent_existing is not None:
        if not parent_existing.editable:
            errors.append(
                RowError(item.row, "parent", _("You cannot add areas there: it is outside your jurisdiction."))
            )
            return None
        if not parent_existing.is_active:
            errors.append(RowError(item.row, "parent", _("Its parent is deactivated: reactivate it first.")))
            return None
    planned.parent_existing = parent_existing
    planned.parent_planned = parent_planned
    return planned


# --- the template and staged uploads -------------------------------------------------------------


def template_rows(example_areas: Iterable[tuple[int, str, str, str]] = ()) -> list[list[str]]:
    """The header row, then one row per ``(kind, code, name, parent code path)`` given."""
    rows = [[TEMPLATE_HEADERS[column] for column in COLUMNS]]
    for kind, code, name, parent in example_areas:
        rows.append([KIND_CHINESE[AreaKind(kind)], code, name, parent, ""])
    return rows


def template_csv(example_areas: Iterable[tuple[int, str, str, str]] = ()) -> bytes:
    """The template as UTF-8 CSV with a BOM (so Excel opens the Chinese headers correctly); area
    names that look like formulas are neutralised (``linli.core.spreadsheets``)."""
    return spreadsheets.write_csv(template_rows(example_areas))


def template_xlsx(example_areas: Iterable[tuple[int, str, str, str]] = ()) -> bytes:
    """The template as a workbook whose cells are text, so codes keep their leading zeros and no
    area name is taken for a formula (``linli.core.spreadsheets``)."""
    return spreadsheets.write_xlsx(
        template_rows(example_areas), sheet_title="areas", text_columns=True, column_width=18
    )


def staging_folder() -> Path:
    folder = Path(getattr(settings, "LINLI_IMPORT_STAGING_DIR", Path(settings.DATA_DIR) / "imports"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _staged_path(token: str, owner_id: int) -> Path:
    if not STAGED_TOKEN.fullmatch(token):
        raise LinliError(_("This upload has expired: upload the file again."), code="import_expired")
    return staging_folder() / f"areas-{int(owner_id)}-{token}.upload"


def stage_upload(data: bytes, *, owner_id: int) -> str:
    """Keep an uploaded file between the preview and the confirmation; returns its token.
    Files older than a day are removed on the way."""
    folder = staging_folder()
    cutoff = time.time() - STAGED_MAX_AGE_SECONDS
    for old in folder.glob("areas-*.upload"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue
    token = secrets.token_urlsafe(24)
    _staged_path(token, owner_id).write_bytes(data)
    return token


def load_staged(token: str, *, owner_id: int) -> bytes:
    path = _staged_path(token, owner_id)
    try:
        if path.stat().st_mtime < time.time() - STAGED_MAX_AGE_SECONDS:
            raise FileNotFoundError
        return path.read_bytes()
    except OSError:
        raise LinliError(_("This upload has expired: upload the file again."), code="import_expired") from None


def discard_staged(token: str, *, owner_id: int) -> None:
    try:
        _staged_path(token, owner_id).unlink(missing_ok=True)
    except LinliError:
        return
