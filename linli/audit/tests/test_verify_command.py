"""``linli audit verify``: passes on an intact chain; after tampering (triggers dropped first, as an
attacker with database access would) it fails with exit status 1 naming the first broken row
(SECURITY.md C4, test 3)."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from linli.audit.actions import record_event
from linli.audit.models import AuditChainHead, AuditEvent
from linli.audit.tests.helpers import drop_trigger, drop_triggers, fire_deferred_constraints, raw_delete, raw_update
from linli.audit.verification import verify_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    return [record_event("test.event", actor_label=f"user{number}", detail={"n": number}) for number in range(1, 11)]


def verify() -> str:
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    return out.getvalue()


def verify_failure() -> CommandError:
    with pytest.raises(CommandError) as caught:
        verify()
    assert caught.value.returncode == 1
    return caught.value


def test_an_intact_chain_verifies_with_exit_status_zero(chain):
    assert verify() == "Audit chain intact: 10 events checked.\nAppend-only triggers present.\n"


def test_an_empty_log_verifies():
    assert verify() == "Audit chain intact: 0 events checked.\nAppend-only triggers present.\n"


def test_batches_smaller_than_the_chain_verify_the_same(chain):
    out = io.StringIO()
    call_command("audit", "verify", "--batch", "3", stdout=out)
    assert out.getvalue().startswith("Audit chain intact: 10 events checked.")


def test_editing_detail_by_hand_names_that_row(chain):
    drop_triggers()
    raw_update(4, "detail", {"n": 40})
    error = verify_failure()
    assert str(error).startswith(
        "audit chain broken at event 4: its content does not match its hash (3 events verified before it)"
    )
    assert "append-only triggers missing or disabled: audit_event_no_update, audit_event_no_delete" in str(error)


def test_editing_actor_label_by_hand_names_that_row(chain):
    drop_trigger("audit_event_no_update")
    raw_update(7, "actor_label", "someone-else")
    error = verify_failure()
    assert "audit chain broken at event 7: its content does not match its hash" in str(error)
    assert "audit_event_no_update" in str(error)
    assert "audit_event_no_delete" not in str(error)


def test_rewriting_a_row_and_its_hash_breaks_the_link_of_the_next_row(chain):
    drop_trigger("audit_event_no_update")
    forged = AuditEvent.objects.get(id=5)
    forged.actor_label = "forged"
    raw_update(5, "actor_label", "forged")
    raw_update(5, "hash", forged.compute_hash())
    result = verify_chain()
    assert (result.ok, result.broken_id, result.checked) == (False, 6, 5)
    assert result.reason == "its link to the previous event is broken"
    assert "audit chain broken at event 6" in str(verify_failure())


def test_deleting_a_middle_row_names_the_missing_id(chain):
    drop_trigger("audit_event_no_delete")
    raw_delete(5)
    error = verify_failure()
    assert str(error).startswith("audit chain broken at event 5: event 5 is missing (4 events verified before it)")


def test_deleting_the_last_rows_is_caught_by_the_chain_head(chain):
    drop_trigger("audit_event_no_delete")
    raw_delete(10)
    raw_delete(9)
    error = verify_failure()
    assert str(error).startswith("audit chain broken at event 9: event 9 is missing (the chain ends at 10)")


def test_a_row_inserted_behind_record_events_back_is_caught(chain):
    last = AuditEvent.objects.get(id=10)
    extra = AuditEvent(id=11, created_at=last.created_at, event_type="forged", previous_hash=last.hash)
    extra.hash = extra.compute_hash()
    extra.save(force_insert=True)
    error = verify_failure()
    assert "audit chain broken at event 11: it was added outside the chain" in str(error)


def test_a_missing_chain_head_is_reported(chain):
    drop_trigger("audit_chain_head_no_delete")
    AuditChainHead.objects.all().delete()
    assert "the chain head is missing" in str(verify_failure())


def test_unreadable_stored_content_names_the_row(chain):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's typed columns refuse malformed values on write")
    drop_trigger("audit_event_no_update")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET created_at = %s WHERE id = %s", ["yesterday-ish", 3])
    result = verify_chain(batch_size=4)
    assert (result.ok, result.broken_id, result.reason) == (False, 3, "its stored content cannot be read")


def test_missing_triggers_alone_fail_the_check(chain):
    drop_trigger("audit_event_no_delete")
    error = verify_failure()
    assert str(error) == "append-only triggers missing or disabled: audit_event_no_delete"


def test_a_disabled_trigger_on_postgresql_is_reported(chain):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite triggers cannot be disabled, only dropped")
    fire_deferred_constraints()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_event_no_update")
    assert str(verify_failure()) == "append-only triggers missing or disabled: audit_event_no_update"


def test_the_command_exits_with_status_one_from_the_command_line(chain, capsys):
    drop_triggers()
    raw_update(2, "actor_label", "x")
    from linli.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["audit", "verify"])
    assert exit_info.value.code == 1
    assert "audit chain broken at event 2" in capsys.readouterr().err


def test_grant_app_role_applies_to_postgresql_only():
    if connection.vendor == "postgresql":
        pytest.skip("tested in test_app_role.py")
    with pytest.raises(CommandError, match="grant-app-role applies to PostgreSQL only") as caught:
        call_command("audit", "grant-app-role", "linli_app")
    assert caught.value.returncode == 2
