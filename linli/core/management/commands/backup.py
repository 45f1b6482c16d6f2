"""``linli backup [FILE]``: a consistent online backup of the database (SQLite or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from linli.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back up the database to FILE (default: data/backups/linli-<time>.{sqlite3,dump})."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import connection

        suffix = "sqlite3" if connection.vendor == "sqlite" else "dump"
        default = Path(settings.DATA_DIR) / "backups" / f"linli-{timezone.now():%Y%m%d-%H%M%S}.{suffix}"
        destination = Path(options["file"]) if options["file"] else default
        try:
            path = backup(destination)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"backup written to {path}")
