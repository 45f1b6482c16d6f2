"""``linli import_areas FILE``: import the jurisdiction tree from an .xlsx or .csv file.

Run by an operator on the server, so it reaches the whole tree and may add new districts (the web
import is limited to the importing staff member's jurisdiction). All or nothing: with any invalid
row nothing is written and every error is listed with its row number.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.areas.actions import do_import_areas
from linli.areas.importing import read_rows
from linli.core import context
from linli.core.errors import LinliError


class Command(BaseCommand):
    help = "Import areas (district → … → dwelling) from an .xlsx or .csv file; --dry-run only checks it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="an .xlsx workbook or a .csv file (UTF-8 or GB18030)")
        parser.add_argument("--dry-run", action="store_true", help="check every row and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {path}: {error.strerror}") from None
        with context.bind(context.RequestContext(source="command")):
            try:
                rows = read_rows(data, path.name)
            except LinliError as error:
                raise CommandError(str(error.message)) from None
            report = do_import_areas(rows, acting_user=None, dry_run=options["dry_run"], source_name=path.name)
        if report.errors:
            for row_error in report.sorted_errors():
                where = f"row {row_error.row}" if row_error.row else "file"
                self.stderr.write(f"{where} [{row_error.column}]: {row_error.message}")
            raise CommandError(f"{len(report.errors)} error(s); nothing was imported")
        verb = "would add" if options["dry_run"] else "added"
        by_kind = ", ".join(f"{label} {count}" for label, count in report.created_by_kind_labels())
        self.stdout.write(
            f"{report.rows} rows: {verb} {report.created}"
            f"{f' ({by_kind})' if by_kind else ''}, "
            f"{'would update' if options['dry_run'] else 'updated'} {report.updated}, unchanged {report.unchanged}"
        )
