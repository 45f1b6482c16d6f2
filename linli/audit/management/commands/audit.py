"""``linli audit verify``: check the audit hash chain and the append-only triggers.

Exit status 0 when every event verifies and the triggers are in place; 1 otherwise, naming the
first broken event and the reason (SECURITY.md C4)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from linli.audit.verification import missing_triggers, verify_chain


class Command(BaseCommand):
    help = "Audit log tools. 'verify' checks the hash chain and the append-only triggers."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        verify = subcommands.add_parser("verify", help="check every event's hash and link, and the triggers")
        verify.add_argument("--batch", type=int, default=5000, help="events read per query (default 5000)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(batch_size=max(1, int(options["batch"])))

    def verify(self, *, batch_size: int) -> None:
        result = verify_chain(batch_size=batch_size)
        absent = missing_triggers()
        problems = []
        if result.ok:
            self.stdout.write(f"Audit chain intact: {result.checked} events checked.")
        else:
            problems.append(
                f"audit chain broken at event {result.broken_id}: {result.reason} "
                f"({result.checked} events verified before it)"
            )
        if absent:
            problems.append(f"append-only triggers missing or disabled: {', '.join(absent)}")
        else:
            self.stdout.write("Append-only triggers present.")
        if problems:
            raise CommandError("; ".join(problems), returncode=1)
