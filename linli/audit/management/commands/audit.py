"""``linli audit``: operator tools for the audit log.

* ``verify [--checkpoint FILE]``: check the keyed hash chain and the append-only triggers, and with
  ``--checkpoint`` that the database still holds every state recorded in a checkpoint file. Exit
  status 0 when all is well; 1 otherwise, naming the first broken event or the failing checkpoint
  (SECURITY.md C4).
* ``checkpoint [--notify]``: verify and append a signed checkpoint now (the job queue does it
  hourly, and daily with ``--notify``).
* ``grant-app-role ROLE``: PostgreSQL only; give a separate, non-owner application role what the
  application needs, with only SELECT and INSERT on the audit events (see
  docs/decisions/0008-audit-chain.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from linli.audit import checkpoints, roles
from linli.audit.actions import do_write_checkpoint
from linli.audit.verification import missing_triggers, verify_chain


class Command(BaseCommand):
    help = "Audit log tools: 'verify', 'checkpoint', 'grant-app-role'."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", title="subcommands", required=True)
        verify = subcommands.add_parser("verify", help="check every event's hash and link, and the triggers")
        verify.add_argument("--batch", type=int, default=5000, help="events read per query (default 5000)")
        verify.add_argument(
            "--checkpoint",
            action="append",
            default=[],
            metavar="FILE",
            help="a checkpoint file (repeatable): fail unless the database still holds each checkpointed state",
        )
        checkpoint = subcommands.add_parser("checkpoint", help="verify, then append a signed checkpoint now")
        checkpoint.add_argument("--notify", action="store_true", help="also send it to the audit administrators")
        grant = subcommands.add_parser(
            "grant-app-role", help="PostgreSQL: grant a non-owner application role its rights (audit: SELECT, INSERT)"
        )
        grant.add_argument("role", help="an existing PostgreSQL role that does not own the tables")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "verify":
            self.verify(batch_size=max(1, int(options["batch"])), checkpoint_files=options["checkpoint"])
        elif options["subcommand"] == "checkpoint":
            self.checkpoint(notify=bool(options["notify"]))
        elif options["subcommand"] == "grant-app-role":
            self.grant(options["role"])

    def verify(self, *, batch_size: int, checkpoint_files: list[str]) -> None:
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
        for name in checkpoint_files:
            problems.extend(self._check_file(Path(name)))
        if problems:
            raise CommandError("; ".join(problems), returncode=1)

    def _check_file(self, path: Path) -> list[str]:
        if not path.is_file():
            return [f"checkpoint file {path} cannot be read"]
        report = checkpoints.verify_file(path)
        if report.checked == 0 and not report.findings:
            return [f"checkpoint file {path} holds no checkpoint"]
        if report.findings:
            return [finding.describe(path) for finding in report.findings]
        latest = report.latest
        assert latest is not None  # every checkpoint verified, and there is at least one
        self.stdout.write(
            f"Checkpoints in {path}: {report.checked} verified; the latest ({latest.created_at}, "
            f"{latest.count} events) is held by the database."
        )
        return []

    def checkpoint(self, *, notify: bool) -> None:
        outcome = do_write_checkpoint(notify=notify)
        if not outcome.verified:
            raise CommandError(
                f"no checkpoint written: audit chain broken at event {outcome.broken_id}: {outcome.reason}",
                returncode=1,
            )
        written = outcome.checkpoint
        self.stdout.write(
            f"Checkpoint written: {written.count} events, head {written.head}, "
            f"{outcome.notified} audit administrators notified."
        )

    def grant(self, role: str) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grant-app-role applies to PostgreSQL only", returncode=2)
        try:
            statements = roles.grant_app_role(role)
        except roles.RoleError as error:
            raise CommandError(str(error), returncode=2) from error
        for statement in statements:
            self.stdout.write(statement)
        self.stdout.write(f"Role {role} may now run the application; on the audit tables it may only read and append.")
