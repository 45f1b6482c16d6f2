"""Audit events cannot be changed: the model refuses, and database triggers refuse raw SQL on
SQLite and PostgreSQL alike (SECURITY.md C4)."""

from __future__ import annotations

import pytest
from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from linli.audit.actions import record_event
from linli.audit.models import AuditChainHead, AuditEvent
from linli.audit.tests.helpers import fire_deferred_constraints, raw_delete, raw_update
from linli.audit.verification import missing_triggers, verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    return [record_event("test.event", detail={"n": number}) for number in range(3)]


def _unchanged(events):
    stored = list(AuditEvent.objects.order_by("id").values_list("id", "actor_label", "hash"))
    assert stored == [(event.id, event.actor_label, event.hash) for event in events]
    assert verify_chain().ok


def test_saving_an_existing_event_through_the_orm_is_refused(events):
    event = AuditEvent.objects.get(id=2)
    event.actor_label = "forged"
    with pytest.raises(PermissionError, match="append-only"):
        event.save()
    with pytest.raises(PermissionError, match="append-only"):
        event.save(update_fields=["actor_label"])
    _unchanged(events)


def test_a_new_event_without_record_event_is_refused():
    with pytest.raises(PermissionError, match="append-only"):
        AuditEvent(event_type="forged", previous_hash="0" * 64, hash="1" * 64).save()
    assert AuditEvent.objects.count() == 0


def test_deleting_an_event_through_the_orm_is_refused(events):
    with pytest.raises(PermissionError, match="append-only"):
        AuditEvent.objects.get(id=2).delete()
    _unchanged(events)


def test_queryset_update_is_refused_by_the_trigger(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=2).update(actor_label="forged")
    _unchanged(events)


def test_queryset_delete_is_refused_by_the_trigger(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(id=2).delete()
    _unchanged(events)


def test_raw_sql_update_is_refused_by_the_trigger(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_update(2, "actor_label", "forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_update(2, "detail", {"n": 99})
    _unchanged(events)


def test_raw_sql_delete_is_refused_by_the_trigger(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_delete(2)
    _unchanged(events)


def test_the_chain_head_cannot_be_deleted(events):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditChainHead.objects.all().delete()
    assert AuditChainHead.objects.get(id=1).last_event_id == 3


def test_flushing_the_audit_tables_is_refused(events):
    fire_deferred_constraints()
    statements = connection.ops.sql_flush(no_style(), ["audit_auditevent", "audit_auditchainhead"])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        connection.ops.execute_sql_flush(statements)
    _unchanged(events)


def test_the_triggers_exist_after_migration():
    expected = [
        "audit_event_no_update", "audit_event_no_delete", "audit_chain_head_no_delete",
        "audit_event_append_only_insert", "audit_chain_head_insert_once", "audit_chain_head_advance_only",
    ]  # fmt: skip
    if connection.vendor == "postgresql":
        expected += ["audit_event_no_truncate", "audit_chain_head_no_truncate"]
    assert missing_triggers() == []
    from linli.audit import triggers

    assert sorted(trigger.name for trigger in triggers.expected(connection.vendor)) == sorted(expected)
    assert triggers.present(connection) >= set(expected)


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_can_flush_and_the_triggers_come_back():
    """The test database's flush (run after this test) lifts the delete guards and restores them;
    the next test checks they are back."""
    record_event("test.transactional")
    assert missing_triggers() == []


@pytest.mark.django_db(transaction=True)
def test_triggers_are_back_after_a_flush():
    assert AuditEvent.objects.count() == 0
    assert missing_triggers() == []
    record_event("test.transactional")
    assert verify_chain().checked == 1
