"""``linli demo_accounts``: print the demo accounts and how to sign in with them again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from linli.demo import console, selectors


class Command(BaseCommand):
    help = "Print the demo accounts and the sign-in steps."

    def handle(self, *args: Any, **options: Any) -> None:
        dataset = selectors.current_dataset()
        if dataset is None:
            raise CommandError("No demo street is loaded. Load one with: linli demo --scale small")
        self.stdout.write(console.sign_in_guide(dataset, selectors.demo_accounts()))
