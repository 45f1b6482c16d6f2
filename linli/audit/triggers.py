"""The database triggers that keep the audit log append-only (created by migrations 0002 and 0004;
this module holds their current definitions for checking and for test-database flushes).

* both databases: UPDATE and DELETE of an audit event, and DELETE of the chain head, are refused;
* PostgreSQL also refuses TRUNCATE of either table (row triggers do not see TRUNCATE).

Someone with database-owner rights can still drop the triggers; the hash chain then names the
rows they changed, and ``linli audit verify`` reports the missing triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

EVENT_TABLE = "audit_auditevent"
HEAD_TABLE = "audit_auditchainhead"
REFUSAL = "audit events are append-only"


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    sqlite: str | None  # CREATE statement, or None when SQLite does not need it
    postgresql: str | None
    removes_rows: bool  # a DELETE/TRUNCATE guard: lifted while a test database is flushed


def _sqlite(name: str, when: str, table: str) -> str:
    return f"CREATE TRIGGER {name} BEFORE {when} ON {table} BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"


def _postgresql(name: str, when: str, table: str, each: str = "ROW") -> str:
    return (
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH {each} EXECUTE FUNCTION audit_event_refuse_change()"
    )


TRIGGERS = (
    Trigger(
        "audit_event_no_update", EVENT_TABLE,
        _sqlite("audit_event_no_update", "UPDATE", EVENT_TABLE),
        _postgresql("audit_event_no_update", "UPDATE", EVENT_TABLE), removes_rows=False,
    ),
    Trigger(
        "audit_event_no_delete", EVENT_TABLE,
        _sqlite("audit_event_no_delete", "DELETE", EVENT_TABLE),
        _postgresql("audit_event_no_delete", "DELETE", EVENT_TABLE), removes_rows=True,
    ),
    Trigger(
        "audit_event_no_truncate", EVENT_TABLE, None,
        _postgresql("audit_event_no_truncate", "TRUNCATE", EVENT_TABLE, "STATEMENT"), removes_rows=True,
    ),
    Trigger(
        "audit_chain_head_no_delete", HEAD_TABLE,
        _sqlite("audit_chain_head_no_delete", "DELETE", HEAD_TABLE),
        _postgresql("audit_chain_head_no_delete", "DELETE", HEAD_TABLE), removes_rows=True,
    ),
    Trigger(
        "audit_chain_head_no_truncate", HEAD_TABLE, None,
        _postgresql("audit_chain_head_no_truncate", "TRUNCATE", HEAD_TABLE, "STATEMENT"), removes_rows=True,
    ),
)  # fmt: skip


def expected(vendor: str) -> list[Trigger]:
    if vendor == "postgresql":
        return [trigger for trigger in TRIGGERS if trigger.postgresql]
    return [trigger for trigger in TRIGGERS if trigger.sqlite]


def present(connection: Any) -> set[str]:
    """Names of the enabled triggers on the two audit tables."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (%s, %s)",
                [EVENT_TABLE, HEAD_TABLE],
            )
        elif connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid IN (%s::regclass, %s::regclass)"
                " AND NOT tgisinternal AND tgenabled <> 'D'",
                [EVENT_TABLE, HEAD_TABLE],
            )
        else:
            cursor.execute(
                "SELECT trigger_name FROM information_schema.triggers WHERE event_object_table IN (%s, %s)",
                [EVENT_TABLE, HEAD_TABLE],
            )
        return {row[0] for row in cursor.fetchall()}


def missing(connection: Any) -> list[str]:
    found = present(connection)
    return [trigger.name for trigger in expected(connection.vendor) if trigger.name not in found]


def _drop(connection: Any, trigger: Trigger) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name} ON {trigger.table}")
        else:
            cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.name}")


def _create(connection: Any, trigger: Trigger) -> None:
    statement = trigger.postgresql if connection.vendor == "postgresql" else trigger.sqlite
    if statement:
        with connection.cursor() as cursor:
            cursor.execute(statement)


@contextmanager
def lifted_for_flush(connection: Any) -> Iterator[None]:
    """Drop the row-removing guards for the duration of a flush, then put them back. Used only by
    the ``flush`` command on a test database (see ``linli/audit/management/commands/flush.py``)."""
    found = present(connection)
    lifted = [trigger for trigger in expected(connection.vendor) if trigger.removes_rows and trigger.name in found]
    for trigger in lifted:
        _drop(connection, trigger)
    try:
        yield
    finally:
        for trigger in lifted:
            _create(connection, trigger)
