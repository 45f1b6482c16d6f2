"""``linli restore FILE``: replace the database with a backup (stop the server first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore the database from FILE made by `linli backup`. Stop `linli serve` first."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["yes"]:
            answer = input("This replaces the current database. Type 'restore' to continue: ")
            if answer.strip() != "restore":
                raise CommandError("cancelled")
        try:
            restore(Path(options["file"]))
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write("restored; run `linli audit verify` to check the audit chain")
