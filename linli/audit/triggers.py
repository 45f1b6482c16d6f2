"""The database triggers that keep the audit log append-only (created by migrations 0002, 0004 and
0006; this module holds their current definitions for checking and for test-database flushes).

* both databases: UPDATE and DELETE of an audit event, and DELETE of the chain head, are refused;
* PostgreSQL also refuses TRUNCATE of either table (row triggers do not see TRUNCATE);
* both databases: an event may only be inserted as the next link of the chain (its id one above
  the head's, its ``previous_hash`` the head's hash) and never over an existing id or hash. This
  closes SQLite's ``INSERT OR REPLACE``/``REPLACE INTO``, which deletes the conflicting row
  without firing DELETE triggers (unless ``PRAGMA recursive_triggers`` is on, which the
  application's connections also set);
* both databases: the chain head can be inserted only once, into an empty log, and updated only
  to advance by exactly one event, to an event that exists and links to the previous head; its
  keying boundary and seal never change.

Someone with database-owner rights can still drop the triggers; the keyed hash chain then names
the rows they changed, the checkpoints catch a rewrite by someone who also holds the chain key,
and ``linli audit verify`` reports the missing triggers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

EVENT_TABLE = "audit_auditevent"
HEAD_TABLE = "audit_auditchainhead"
REFUSAL = "audit events are append-only"

# The statements below name the tables literally (EVENT_TABLE, HEAD_TABLE) and raise REFUSAL.
# SQLite conditions (WHEN clauses) under which a write is refused.
_SQLITE_EVENT_INSERT_REFUSED = (
    "NOT EXISTS (SELECT 1 FROM audit_auditchainhead WHERE id = 1 AND last_event_id + 1 = NEW.id"
    " AND last_hash = NEW.previous_hash)"
    " OR EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.id)"
    " OR EXISTS (SELECT 1 FROM audit_auditevent WHERE hash = NEW.hash)"
)
_SQLITE_HEAD_INSERT_REFUSED = (
    "NEW.id IS NOT 1 OR NEW.last_event_id IS NOT 0 OR NEW.last_hash IS NOT '0000000000000000000000000000000000000000000000000000000000000000' OR NEW.keyed_from IS NOT 1"
    " OR EXISTS (SELECT 1 FROM audit_auditchainhead) OR EXISTS (SELECT 1 FROM audit_auditevent)"
)
_SQLITE_HEAD_UPDATE_REFUSED = (
    "NEW.id IS NOT OLD.id OR NEW.keyed_from IS NOT OLD.keyed_from OR NEW.keyed_seal IS NOT OLD.keyed_seal"
    " OR NEW.last_event_id IS NOT OLD.last_event_id + 1"
    " OR NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.last_event_id AND hash = NEW.last_hash"
    " AND previous_hash = OLD.last_hash)"
)

# PostgreSQL functions behind the conditional triggers (created by migration 0006).
POSTGRES_FUNCTIONS = [
    """CREATE OR REPLACE FUNCTION audit_event_check_append() RETURNS trigger AS $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM audit_auditchainhead WHERE id = 1 AND last_event_id + 1 = NEW.id
                     AND last_hash = NEW.previous_hash)
         OR EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.id)
         OR EXISTS (SELECT 1 FROM audit_auditevent WHERE hash = NEW.hash) THEN
        RAISE EXCEPTION 'audit events are append-only';
      END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION audit_chain_head_check_insert() RETURNS trigger AS $$
    BEGIN
      IF NEW.id IS DISTINCT FROM 1 OR NEW.last_event_id IS DISTINCT FROM 0
         OR NEW.last_hash IS DISTINCT FROM '0000000000000000000000000000000000000000000000000000000000000000' OR NEW.keyed_from IS DISTINCT FROM 1
         OR EXISTS (SELECT 1 FROM audit_auditchainhead) OR EXISTS (SELECT 1 FROM audit_auditevent) THEN
        RAISE EXCEPTION 'audit events are append-only';
      END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE FUNCTION audit_chain_head_check_update() RETURNS trigger AS $$
    BEGIN
      IF NEW.id IS DISTINCT FROM OLD.id OR NEW.keyed_from IS DISTINCT FROM OLD.keyed_from
         OR NEW.keyed_seal IS DISTINCT FROM OLD.keyed_seal
         OR NEW.last_event_id IS DISTINCT FROM OLD.last_event_id + 1
         OR NOT EXISTS (SELECT 1 FROM audit_auditevent WHERE id = NEW.last_event_id AND hash = NEW.last_hash
                        AND previous_hash = OLD.last_hash) THEN
        RAISE EXCEPTION 'audit events are append-only';
      END IF;
      RETURN NEW;
    END; $$ LANGUAGE plpgsql""",
]


@dataclass(frozen=True)
class Trigger:
    name: str
    table: str
    sqlite: str | None  # CREATE statement, or None when SQLite does not need it
    postgresql: str | None
    removes_rows: bool  # a DELETE/TRUNCATE guard: lifted while a test database is flushed


def _sqlite(name: str, when: str, table: str, refused_when: str = "") -> str:
    condition = f" WHEN {refused_when}" if refused_when else ""
    return (
        f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH ROW{condition}"
        f" BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
    )


def _postgresql(
    name: str, when: str, table: str, each: str = "ROW", function: str = "audit_event_refuse_change"
) -> str:
    return f"CREATE TRIGGER {name} BEFORE {when} ON {table} FOR EACH {each} EXECUTE FUNCTION {function}()"


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
    Trigger(
        "audit_event_append_only_insert", EVENT_TABLE,
        _sqlite("audit_event_append_only_insert", "INSERT", EVENT_TABLE, _SQLITE_EVENT_INSERT_REFUSED),
        _postgresql("audit_event_append_only_insert", "INSERT", EVENT_TABLE, function="audit_event_check_append"),
        removes_rows=False,
    ),
    Trigger(
        "audit_chain_head_insert_once", HEAD_TABLE,
        _sqlite("audit_chain_head_insert_once", "INSERT", HEAD_TABLE, _SQLITE_HEAD_INSERT_REFUSED),
        _postgresql("audit_chain_head_insert_once", "INSERT", HEAD_TABLE, function="audit_chain_head_check_insert"),
        removes_rows=False,
    ),
    Trigger(
        "audit_chain_head_advance_only", HEAD_TABLE,
        _sqlite("audit_chain_head_advance_only", "UPDATE", HEAD_TABLE, _SQLITE_HEAD_UPDATE_REFUSED),
        _postgresql("audit_chain_head_advance_only", "UPDATE", HEAD_TABLE, function="audit_chain_head_check_update"),
        removes_rows=False,
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
