"""Issue 5, security finding 2: the audit chain could be rewritten on SQLite.

Each attack is run with raw SQL, as someone with access to the database would. Three layers are
tested: the triggers refuse each write (the application's SQL and a database shell alike); someone
who drops the triggers but lacks the chain key (``LINLI_AUDIT_CHAIN_KEY``, kept outside the
database) cannot produce hashes that verify; and the keying boundary cannot be moved."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from linli.audit import triggers
from linli.audit.actions import record_event
from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, keying_seal
from linli.audit.tests.helpers import (
    drop_all_triggers,
    replace_event,
    restore_triggers,
    rewrite_from,
    store_forged_with_updates,
)
from linli.audit.verification import missing_triggers, verify_chain

pytestmark = pytest.mark.django_db

sqlite_only = pytest.mark.skipif("connection.vendor != 'sqlite'", reason="REPLACE INTO is SQLite syntax")


@pytest.fixture
def chain():
    return [record_event("test.event", actor_label=f"user{number}", detail={"n": number}) for number in range(1, 11)]


def snapshot() -> tuple[list[tuple], tuple]:
    events = list(AuditEvent.objects.order_by("id").values_list("id", "actor_label", "previous_hash", "hash"))
    head = AuditChainHead.objects.values_list("last_event_id", "last_hash", "keyed_from", "keyed_seal").get(id=1)
    return events, head


def assert_unchanged(before: tuple[list[tuple], tuple]) -> None:
    assert snapshot() == before
    result = verify_chain()
    assert (result.ok, result.checked) == (True, 10)
    assert missing_triggers() == []


def refused(statement: str, params: list | None = None) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params or [])


# --- the reported attack: REPLACE one event, recompute the rest and the head ---------------------


@sqlite_only
def test_replace_into_of_an_event_with_a_recomputed_chain_is_refused(chain):
    """Before: REPLACE deleted row 5 without firing the DELETE trigger, every later row was
    replaced the same way, the head was updated, and ``linli audit verify`` said "intact"."""
    before = snapshot()
    forged = rewrite_from(5, keyed=True, actor_label="someone-else")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        for event in forged:
            replace_event(event)
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE audit_auditchainhead SET last_event_id = %s, last_hash = %s WHERE id = 1",
                [forged[-1].id, forged[-1].hash],
            )
    assert_unchanged(before)


@sqlite_only
def test_insert_or_replace_is_refused_whatever_the_spelling(chain):
    before = snapshot()
    event = rewrite_from(10, keyed=True, actor_label="forged")[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        replace_event(event)
    refused("INSERT OR REPLACE INTO audit_auditevent SELECT * FROM audit_auditevent WHERE id = 3")
    refused("UPDATE OR REPLACE audit_auditevent SET hash = hash WHERE id = 3")
    assert_unchanged(before)


@sqlite_only
def test_replace_with_a_new_id_over_an_existing_hash_cannot_delete_that_row(chain):
    """A REPLACE that conflicts on the unique hash instead of the id removed the other row."""
    before = snapshot()
    refused(
        "REPLACE INTO audit_auditevent SELECT 11, created_at, actor_id, actor_label, actor_role, area_id, source_ip,"
        " request_id, source, event_type, object_type, object_id, outcome, detail,"
        " (SELECT last_hash FROM audit_auditchainhead), hash FROM audit_auditevent WHERE id = 4"
    )
    assert_unchanged(before)


@sqlite_only
def test_the_application_connection_fires_delete_triggers_on_replace():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA recursive_triggers")
        assert cursor.fetchone()[0] == 1


# --- inserts that do not extend the chain --------------------------------------------------------


def test_an_event_that_skips_an_id_or_does_not_link_to_the_head_is_refused(chain):
    before = snapshot()
    last = chain[-1]
    columns = "id, created_at, actor_label, actor_role, request_id, source, event_type, object_type, object_id, outcome"
    rest = "detail, previous_hash, hash"
    for event_id, previous in ((12, last.hash), (11, "f" * 64), (10, chain[-2].hash)):
        refused(
            f"INSERT INTO audit_auditevent ({columns}, {rest}) "  # noqa: S608
            "VALUES (%s, %s, '', '', '', 'web', 'forged', '', '', 'success', '{}', %s, %s)",
            [event_id, connection.ops.adapt_datetimefield_value(last.created_at), previous, f"{event_id:064d}"],
        )
    assert_unchanged(before)


# --- the chain head ----------------------------------------------------------------------------


def test_the_chain_head_cannot_be_moved_back_or_rewritten(chain):
    before = snapshot()
    refused("UPDATE audit_auditchainhead SET last_event_id = 4, last_hash = %s WHERE id = 1", [chain[3].hash])
    refused("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", ["e" * 64])
    refused("UPDATE audit_auditchainhead SET last_event_id = 11 WHERE id = 1")
    refused("UPDATE audit_auditchainhead SET keyed_from = 11 WHERE id = 1")
    refused("UPDATE audit_auditchainhead SET keyed_seal = '' WHERE id = 1")
    refused("UPDATE audit_auditchainhead SET id = 2 WHERE id = 1")
    assert_unchanged(before)


def test_a_second_or_replacing_chain_head_is_refused(chain):
    before = snapshot()
    insert = "INSERT INTO audit_auditchainhead (id, last_event_id, last_hash, keyed_from, keyed_seal) VALUES (%s, 0, %s, 1, %s)"
    refused(insert, [2, GENESIS_HASH, keying_seal(1)])
    if connection.vendor == "sqlite":
        refused(insert.replace("INSERT", "REPLACE"), [1, GENESIS_HASH, keying_seal(1)])
        refused(
            "REPLACE INTO audit_auditchainhead (id, last_event_id, last_hash, keyed_from, keyed_seal)"
            " VALUES (1, 4, %s, 1, %s)",
            [chain[3].hash, keying_seal(1)],
        )
    assert_unchanged(before)


def test_the_first_event_of_an_empty_log_still_creates_the_head():
    event = record_event("test.first")
    head = AuditChainHead.objects.get(id=1)
    assert (head.last_event_id, head.last_hash, head.keyed_from) == (1, event.hash, 1)
    assert head.keyed_seal == keying_seal(1)
    assert verify_chain().ok


# --- an attacker who holds the database but not the chain key ----------------------------------


def test_a_rewrite_without_the_chain_key_fails_verification(chain):
    """The attacker drops the triggers, rewrites event 5, recomputes every later hash (plain
    SHA-256, as the old chain used), moves the head and puts the triggers back. Before the chain
    was keyed this verified as intact."""
    drop_all_triggers()
    store_forged_with_updates(rewrite_from(5, keyed=False, actor_label="someone-else"))
    restore_triggers()
    assert missing_triggers() == []
    result = verify_chain()
    assert (result.ok, result.broken_id, result.checked) == (False, 5, 4)
    assert result.reason == "its content does not match its hash"


def test_a_rewrite_under_another_key_fails_verification(chain, settings):
    drop_all_triggers()
    real_key = settings.LINLI_AUDIT_CHAIN_KEY
    settings.LINLI_AUDIT_CHAIN_KEY = bytes(32)
    forged = rewrite_from(7, keyed=True, detail={"n": 70})
    settings.LINLI_AUDIT_CHAIN_KEY = real_key
    store_forged_with_updates(forged)
    result = verify_chain()
    assert (result.ok, result.broken_id) == (False, 7)


def test_moving_the_keying_boundary_to_pass_a_rewrite_off_as_unkeyed_fails(chain):
    """Downgrade: rewrite everything as old unkeyed rows and claim the chain was keyed only after
    them. The boundary's seal is an HMAC the attacker cannot compute."""
    drop_all_triggers()
    store_forged_with_updates(rewrite_from(1, keyed=False, actor_label="someone-else"))
    for seal in (keying_seal(1), "0" * 64, ""):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditchainhead SET keyed_from = 11, keyed_seal = %s WHERE id = 1", [seal])
        result = verify_chain()
        assert (result.ok, result.broken_id, result.checked) == (False, 11, 0)
        assert result.reason == "the chain head's keying seal does not match (altered, or another chain key)"


# --- rows from before the chain was keyed (migration 0005) --------------------------------------


def _legacy_chain(count: int) -> None:
    """A log written before migration 0005: plain SHA-256 hashes; the migration then sealed the
    boundary after the last of them."""
    from importlib import import_module

    from django.apps import apps
    from django.utils import timezone

    drop_all_triggers()
    previous = GENESIS_HASH
    for number in range(1, count + 1):
        event = AuditEvent(
            id=number, created_at=timezone.now(), event_type="test.legacy", previous_hash=previous, detail={}
        )
        event.hash = event.compute_hash(keyed=False)
        event.save(force_insert=True)
        previous = event.hash
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_auditchainhead (id, last_event_id, last_hash, keyed_from, keyed_seal)"
            " VALUES (1, %s, %s, 1, '')",
            [count, previous],
        )
    migration = import_module("linli.audit.migrations.0005_keyed_chain_head")
    migration.seal_existing_head(apps, None)
    restore_triggers()


def test_unkeyed_rows_from_before_the_keying_verify_and_new_rows_are_keyed():
    _legacy_chain(3)
    head = AuditChainHead.objects.get(id=1)
    assert (head.keyed_from, head.keyed_seal) == (4, keying_seal(4))
    record_event("test.after_keying")
    record_event("test.after_keying")
    fourth = AuditEvent.objects.get(id=4)
    assert fourth.hash == fourth.compute_hash(keyed=True) != fourth.compute_hash(keyed=False)
    assert (verify_chain().ok, verify_chain().checked) == (True, 5)


def test_rewriting_unkeyed_rows_breaks_the_first_keyed_row():
    """The first keyed row's HMAC covers the last unkeyed hash, so the old rows are pinned too."""
    _legacy_chain(3)
    record_event("test.after_keying")
    drop_all_triggers()
    forged = rewrite_from(2, keyed=False, actor_label="someone-else")[:2]
    store_forged_with_updates(forged)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET previous_hash = %s WHERE id = 4", [forged[-1].hash])
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_event_id = 4, last_hash = (SELECT hash FROM audit_auditevent"
            " WHERE id = 4) WHERE id = 1"
        )
    result = verify_chain()
    assert (result.ok, result.broken_id, result.reason) == (False, 4, "its content does not match its hash")


def test_the_trigger_definitions_match_the_frozen_migration():
    """``triggers.py`` (used to restore guards after a test flush) and migration 0006 agree."""
    from importlib import import_module

    migration = import_module("linli.audit.migrations.0006_refuse_replace_and_head_rewrite")
    by_name = {trigger.name: trigger for trigger in triggers.TRIGGERS}
    for name in ("audit_event_append_only_insert", "audit_chain_head_insert_once", "audit_chain_head_advance_only"):
        assert by_name[name].sqlite in migration.SQLITE_FORWARD
        assert by_name[name].postgresql in migration.POSTGRES_FORWARD
    for function in triggers.POSTGRES_FUNCTIONS:
        assert function in migration.POSTGRES_FORWARD
