"""The one way Linli writes CSV and XLSX files (SECURITY.md: no spreadsheet formula injection).

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run
as a formula by Excel, WPS or LibreOffice (``=HYPERLINK(…)``, ``@SUM(…)``, DDE payloads). Every
file the platform hands out goes through this module:

* CSV (``write_csv``, ``stream_csv``): UTF-8 with a byte-order mark (so spreadsheet programs read
  Chinese correctly), CRLF line ends, and such a text prefixed with an apostrophe — the convention
  spreadsheet programs understand as "this is text" (OWASP, "CSV injection").
* XLSX (``write_xlsx``): such a text is stored as a string cell with the *quote prefix* style, the
  workbook's own marker for "text, never a formula"; the value itself is unchanged.

Numbers stay numbers (a negative number is not a formula); ``None`` is an empty cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
BYTE_ORDER_MARK = "\ufeff"

Row = Sequence[Any]


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet program could take ``text`` for a formula."""
    return text.startswith(FORMULA_PREFIXES)


def _plain(value: Any) -> Any:
    """A value a writer can store: text, a number, or a naive Beijing-time date/datetime."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    if isinstance(value, Promise):
        return str(value)
    return str(value)


def csv_cell(value: Any) -> str:
    """One CSV cell as text that no spreadsheet program runs as a formula."""
    plain = _plain(value)
    if isinstance(plain, datetime):
        return plain.isoformat(sep=" ", timespec="seconds")
    if isinstance(plain, date):
        return plain.isoformat()
    text = str(plain)
    if isinstance(plain, str) and is_formula_like(text):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose ``write`` returns the line, for streaming through ``csv.writer``."""

    def write(self, value: str) -> str:
        return value


def stream_csv(rows: Iterable[Row], headers: Row | None = None) -> Iterator[str]:
    """The CSV file piece by piece (the byte-order mark, then one line per row), for a
    ``StreamingHttpResponse`` of many rows."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield BYTE_ORDER_MARK
    if headers is not None:
        yield writer.writerow([csv_cell(value) for value in headers])
    for row in rows:
        yield writer.writerow([csv_cell(value) for value in row])


def write_csv(rows: Iterable[Row], headers: Row | None = None) -> bytes:
    """The whole CSV file as UTF-8 bytes with a byte-order mark."""
    return "".join(stream_csv(rows, headers)).encode("utf-8")


def write_xlsx(
    rows: Iterable[Row],
    headers: Row | None = None,
    *,
    sheet_title: str = "Sheet1",
    text_columns: bool = False,
    column_width: float | None = None,
) -> bytes:
    """A one-sheet workbook. ``text_columns`` gives every written cell the text number format
    ("@"), so codes keep their leading zeros and a user's later edits stay text;
    ``column_width`` sets the width of every used column."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = sheet_title[:31]
    all_rows: list[Row] = ([headers] if headers is not None else []) + list(rows)
    widest = 0
    for row_number, row in enumerate(all_rows, start=1):
        widest = max(widest, len(row))
        for column_number, value in enumerate(row, start=1):
            plain = _plain(value)
            if plain == "":
                plain = None
            cell = sheet.cell(row=row_number, column=column_number)
            cell.value = plain
            if isinstance(plain, str) and is_formula_like(plain):
                # openpyxl takes a text starting with "=" for a formula: store it as a string
                # with the quote prefix, so no program evaluates it.
                cell.data_type = "s"
                cell.quotePrefix = True
            if text_columns:
                cell.number_format = "@"
    if column_width is not None:
        for column_number in range(1, widest + 1):
            sheet.column_dimensions[get_column_letter(column_number)].width = column_width
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
