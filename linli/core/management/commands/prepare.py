"""``linli prepare``: bring a data folder up to date in one process — migrate, create the cache
table, compile the translation catalogues. ``make run`` and ``make test`` call it on every start,
so an up-to-date installation gets through it in about a second."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate the database, create the cache table and compile translations (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = 0 if options.get("verbosity", 1) < 2 else options["verbosity"]
        call_command("migrate", interactive=False, verbosity=quiet)
        call_command("createcachetable", verbosity=quiet)
        call_command("i18n_compile", verbosity=quiet)
