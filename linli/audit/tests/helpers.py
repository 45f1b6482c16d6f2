"""Raw-SQL helpers for the tamper tests: what an attacker with database access would run."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection

from linli.audit import triggers

TABLE = "audit_auditevent"


def fire_deferred_constraints() -> None:
    """PostgreSQL refuses TRUNCATE and ALTER TABLE while deferred foreign-key checks of this
    transaction are pending; run them now, as a committed transaction would have."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def drop_trigger(name: str) -> None:
    table = next(trigger.table for trigger in triggers.TRIGGERS if trigger.name == name)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
        else:
            cursor.execute(f"DROP TRIGGER {name}")


def drop_triggers() -> None:
    drop_trigger("audit_event_no_update")
    drop_trigger("audit_event_no_delete")


def raw_update(event_id: int, column: str, value: Any) -> None:
    placeholder = "%s"
    if column == "detail":
        value = json.dumps(value)
        if connection.vendor == "postgresql":
            placeholder = "%s::jsonb"
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {column} = {placeholder} WHERE id = %s", [value, event_id])  # noqa: S608


def raw_delete(event_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event_id])  # noqa: S608
