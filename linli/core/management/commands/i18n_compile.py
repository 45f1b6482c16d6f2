"""Compile the .po translation catalogues to .mo with polib (no GNU gettext needed at setup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile linli/locale/*/LC_MESSAGES/*.po into .mo files when they are out of date."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for locale_path in settings.LOCALE_PATHS:
            for po_path in Path(locale_path).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
                compiled += 1
        if compiled and options.get("verbosity", 1) > 1:
            self.stdout.write(f"compiled {compiled} catalogue(s)")
