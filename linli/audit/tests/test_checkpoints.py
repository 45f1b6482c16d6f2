"""Signed checkpoints of the audit chain outside the database (issue 5, security finding 2).

Even someone who holds the database and the chain key, and rewrites the chain so that
``linli audit verify`` says intact, is caught by ``--checkpoint FILE``: the database no longer holds
a state that was checkpointed before the rewrite."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from linli.accounts.models import Role
from linli.audit import checkpoints, tasks
from linli.audit.actions import do_write_checkpoint, record_event
from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from linli.audit.tests.helpers import drop_all_triggers, restore_triggers, rewrite_from, store_forged_with_updates
from linli.audit.verification import verify_chain
from linli.notify.models import Delivery, Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoint_file(tmp_path, settings):
    path = tmp_path / "audit" / "checkpoints.jsonl"
    settings.LINLI_AUDIT_CHECKPOINT_FILE = path
    return path


@pytest.fixture
def auditor(make_staff, tree):
    return make_staff(Role.AUDIT_ADMIN, tree.district, username="auditor")


@pytest.fixture
def chain():
    return [record_event("test.event", actor_label=f"user{number}", detail={"n": number}) for number in range(1, 11)]


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def verify(*files) -> str:
    out = io.StringIO()
    arguments = ["audit", "verify"]
    for name in files:
        arguments += ["--checkpoint", str(name)]
    call_command(*arguments, stdout=out)
    return out.getvalue()


def verify_failure(*files) -> str:
    with pytest.raises(CommandError) as caught:
        verify(*files)
    assert caught.value.returncode == 1
    return str(caught.value)


def test_a_checkpoint_is_appended_signed_owner_only_and_sent_to_the_audit_administrator(auditor, checkpoint_file):
    record_event("test.event")
    count, head = AuditChainHead.objects.values_list("last_event_id", "last_hash").get(id=1)
    outcome = do_write_checkpoint(notify=True)
    assert (outcome.verified, outcome.checkpoint.count, outcome.checkpoint.head) == (True, count, head)
    assert outcome.notified == 1
    [written] = lines(checkpoint_file)
    assert (written["count"], written["head"], written["version"]) == (count, head, 1)
    assert written["created_at"].endswith("+08:00")
    assert checkpoints.parse(checkpoint_file.read_text().strip()).signature_valid()
    assert stat.S_IMODE(checkpoint_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(checkpoint_file.parent.stat().st_mode) == 0o700
    notification = Notification.objects.get(recipient=auditor, kind="audit_checkpoint")
    assert notification.title == "审计日志检查点"
    assert f"共有 {count} 条事件" in notification.body and head in notification.body
    assert "+08:00" in notification.body
    assert notification.url == "/audit/"
    assert not Delivery.objects.filter(notification=notification).exists()  # in-app only
    second = do_write_checkpoint(notify=False)
    assert second.notified == 0
    assert [line["count"] for line in lines(checkpoint_file)] == [count, count + 1]  # + notification.sent


def test_an_unchanged_chain_is_not_checkpointed_again_by_the_hourly_job(chain, checkpoint_file):
    assert tasks.checkpoint_audit_chain_hourly.call_local() == {
        "verified": True, "count": 10, "notified": 0, "broken_id": None,
    }  # fmt: skip
    assert tasks.checkpoint_audit_chain_hourly.call_local()["count"] is None
    record_event("test.more")
    assert tasks.checkpoint_audit_chain_hourly.call_local()["count"] == 11
    assert [line["count"] for line in lines(checkpoint_file)] == [10, 11]


def test_the_daily_job_notifies_the_audit_administrators(auditor, checkpoint_file, make_staff, tree):
    make_staff(Role.SECURITY_ADMIN, tree.district)  # not an audit administrator: not told
    count = AuditChainHead.objects.get(id=1).last_event_id
    outcome = tasks.checkpoint_audit_chain_daily.call_local()
    assert (outcome["verified"], outcome["count"], outcome["notified"]) == (True, count, 1)
    assert list(Notification.objects.values_list("recipient__username", "kind")) == [("auditor", "audit_checkpoint")]


def test_a_broken_chain_is_not_checkpointed_and_the_administrators_are_alerted(auditor, checkpoint_file):
    record_event("test.event")
    do_write_checkpoint(notify=False)
    last = AuditChainHead.objects.get(id=1).last_event_id
    drop_all_triggers()
    store_forged_with_updates(rewrite_from(last, keyed=False, actor_label="forged"))
    restore_triggers()
    outcome = do_write_checkpoint(notify=False)
    assert (outcome.verified, outcome.checkpoint, outcome.broken_id) == (False, None, last)
    assert len(lines(checkpoint_file)) == 1
    alert = Notification.objects.get(recipient=auditor)
    assert alert.kind == "audit_integrity_alert"
    assert alert.title == "审计日志完整性检查未通过"
    assert f"审计日志第 {last} 条事件校验失败" in alert.body


def test_verify_with_the_checkpoint_file_passes_on_an_intact_chain(chain, checkpoint_file):
    do_write_checkpoint(notify=False)
    record_event("test.more")
    do_write_checkpoint(notify=False)
    assert verify(checkpoint_file) == (
        "Audit chain intact: 11 events checked.\nAppend-only triggers present.\n"
        f"Checkpoints in {checkpoint_file}: 2 verified; the latest ({lines(checkpoint_file)[-1]['created_at']}, "
        "11 events) is held by the database.\n"
    )


def test_a_rewrite_by_someone_with_the_database_and_the_key_is_caught_by_the_checkpoint(chain, checkpoint_file):
    """The strongest attacker short of the checkpoint copies: triggers dropped, event 5 rewritten,
    every later hash recomputed with the real key, head moved, triggers restored. Plain verify
    says intact; the checkpoint written before the rewrite names the loss."""
    do_write_checkpoint(notify=False)
    drop_all_triggers()
    store_forged_with_updates(rewrite_from(5, keyed=True, actor_label="someone-else"))
    restore_triggers()
    assert verify_chain().ok
    message = verify_failure(checkpoint_file)
    created_at = lines(checkpoint_file)[0]["created_at"]
    assert message == (
        f"checkpoint at {checkpoint_file}:1 ({created_at}, 10 events, head {lines(checkpoint_file)[0]['head'][:16]}…): "
        "event 10 no longer has the checkpointed hash (the chain was rewritten)"
    )


def test_a_database_rolled_back_behind_a_checkpoint_is_caught(chain, checkpoint_file):
    do_write_checkpoint(notify=False)
    drop_all_triggers()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id > 7")
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_event_id = 7, last_hash = (SELECT hash FROM audit_auditevent"
            " WHERE id = 7) WHERE id = 1"
        )
    restore_triggers()
    assert verify_chain().ok
    assert verify_failure(checkpoint_file).endswith("event 10 is missing from the database")


def test_a_forged_or_garbled_checkpoint_line_is_named(chain, checkpoint_file):
    do_write_checkpoint(notify=False)
    genuine = lines(checkpoint_file)[0]
    forged = dict(genuine, count=9, head=AuditEvent.objects.get(id=9).hash)
    with checkpoint_file.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
        handle.write("not a checkpoint\n")
    message = verify_failure(checkpoint_file)
    assert f"checkpoint at {checkpoint_file}:2 (" in message
    assert "its signature does not match (forged, or another key)" in message
    assert f"checkpoint at {checkpoint_file}:3: the line is not a checkpoint" in message


def test_a_missing_or_empty_checkpoint_file_fails(chain, tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    assert verify_failure(missing) == f"checkpoint file {missing} cannot be read"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    assert verify_failure(empty) == f"checkpoint file {empty} holds no checkpoint"


def test_an_empty_log_checkpoints_the_genesis_state(checkpoint_file):
    outcome = do_write_checkpoint(notify=False)
    assert (outcome.checkpoint.count, outcome.checkpoint.head) == (0, GENESIS_HASH)
    assert "0 events" in verify(checkpoint_file)


def test_the_checkpoint_command_writes_one_now(chain, checkpoint_file):
    out = io.StringIO()
    call_command("audit", "checkpoint", stdout=out)
    head = AuditEvent.objects.get(id=10).hash
    assert out.getvalue() == f"Checkpoint written: 10 events, head {head}, 0 audit administrators notified.\n"
    assert lines(checkpoint_file)[0]["count"] == 10


def test_the_checkpoint_file_is_only_ever_appended_to(chain, checkpoint_file):
    checkpoint_file.parent.mkdir(mode=0o700)
    checkpoint_file.write_text("earlier line kept\n")
    checkpoint_file.chmod(0o600)
    do_write_checkpoint(notify=False)
    assert checkpoint_file.read_text().splitlines()[0] == "earlier line kept"
    assert len(checkpoint_file.read_text().splitlines()) == 2
