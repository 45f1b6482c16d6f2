"""``linli privacy …``: personal-data maintenance.

linli privacy rotate_keys [--batch N]   re-encrypt every encrypted value under the current key
linli privacy inventory                 print the data inventory (category, legal basis, retention)
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from linli.core import context
from linli.privacy import inventory
from linli.privacy.actions import do_rotate_data_keys


class Command(BaseCommand):
    help = "Personal-data tools: rotate_keys (re-encrypt under the current data key), inventory."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        rotate = subcommands.add_parser(
            "rotate_keys",
            aliases=["rotate-keys"],
            help="re-encrypt every encrypted value under LINLI_DATA_KEY_CURRENT (idempotent, resumable)",
        )
        rotate.add_argument("--batch", type=int, default=500, help="rows per transaction (default 500)")
        subcommands.add_parser(
            "inventory", help="print every personal field with its category, legal basis and retention"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand in ("rotate_keys", "rotate-keys"):
            self.rotate_keys(batch_size=max(1, int(options["batch"])))
        elif subcommand == "inventory":
            self.print_inventory()

    def rotate_keys(self, *, batch_size: int) -> None:
        with context.bind(context.RequestContext(source="command")):
            report = do_rotate_data_keys(batch_size=batch_size)
        self.stdout.write(f"Current data key: {report.key_id}")
        for label, count in sorted(report.models.items()):
            line = f"{label}: {count.rotated} re-encrypted, {count.current} already current"
            if count.unreadable:
                line += f", {count.unreadable} unreadable ({', '.join(count.unreadable_ids)})"
            self.stdout.write(line)
        if report.unreadable:
            raise CommandError(
                f"{report.unreadable} values could not be decrypted; they still use an old or unknown key. "
                "Keep the old keys configured until they are dealt with.",
                returncode=1,
            )
        self.stdout.write(
            f"Every encrypted value is now under key {report.key_id}; older keys can be removed from "
            "LINLI_DATA_KEYS once no backup made with them is kept."
        )

    def print_inventory(self) -> None:
        with translation.override("en"):
            for entry in inventory.entries():
                sensitive = " [sensitive]" if entry.sensitive else ""
                self.stdout.write(
                    f"{entry.key}: {entry.category}{sensitive}; basis {entry.legal_basis}; "
                    f"kept {entry.retention}; for {entry.purpose}"
                )
            undeclared = inventory.undeclared_fields()
        if undeclared:
            raise CommandError(f"personal fields missing from the inventory: {', '.join(undeclared)}", returncode=1)
