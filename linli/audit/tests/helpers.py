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


def drop_all_triggers() -> None:
    """What someone holding the database file (or its owner role) does first."""
    fire_deferred_constraints()
    for name in sorted(triggers.present(connection)):
        drop_trigger(name)


def restore_triggers() -> None:
    """Put every append-only trigger back (an attacker covering their tracks)."""
    for trigger in triggers.expected(connection.vendor):
        if trigger.name not in triggers.present(connection):
            triggers._create(connection, trigger)


def replace_event(event: Any) -> None:
    """SQLite's ``REPLACE INTO``: deletes the row with the same id (or hash) and inserts this one."""
    columns = [
        "id", "created_at", "actor_id", "actor_label", "actor_role", "area_id", "source_ip", "request_id", "source",
        "event_type", "object_type", "object_id", "outcome", "detail", "previous_hash", "hash",
    ]  # fmt: skip
    values = [
        event.id, connection.ops.adapt_datetimefield_value(event.created_at), event.actor_id, event.actor_label, event.actor_role, event.area_id,
        event.source_ip, event.request_id, event.source, event.event_type, event.object_type, event.object_id,
        event.outcome, json.dumps(event.detail), event.previous_hash, event.hash,
    ]  # fmt: skip
    placeholders = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.execute(f"REPLACE INTO {TABLE} ({', '.join(columns)}) VALUES ({placeholders})", values)  # noqa: S608


def rewrite_from(event_id: int, *, keyed: bool, **changes: Any) -> list[Any]:
    """The forged chain: event ``event_id`` with ``changes`` and every later event re-linked and
    re-hashed (with or without the chain key). Returns the forged events, not yet stored."""
    from linli.audit.models import AuditEvent

    forged = []
    previous_hash = AuditEvent.objects.get(id=event_id - 1).hash if event_id > 1 else "0" * 64
    for event in AuditEvent.objects.filter(id__gte=event_id).order_by("id"):
        if event.id == event_id:
            for name, value in changes.items():
                setattr(event, name, value)
        event.previous_hash = previous_hash
        event.hash = event.compute_hash(keyed=keyed)
        previous_hash = event.hash
        forged.append(event)
    return forged


def store_forged_with_updates(forged: list[Any]) -> None:
    """Write a forged chain with plain UPDATEs (triggers already dropped) and move the head."""
    for event in forged:
        for column in ("actor_label", "detail", "previous_hash", "hash"):
            raw_update(event.id, column, getattr(event, column))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_event_id = %s, last_hash = %s WHERE id = 1",
            [forged[-1].id, forged[-1].hash],
        )
