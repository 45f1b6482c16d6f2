"""record_event: chaining, canonical content, sensitive values, context, fail closed (SECURITY.md
C2, C3, C4, C5)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import threading
from unittest import mock

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from linli.accounts.models import Role
from linli.accounts.scoping import grants
from linli.areas.actions import do_create_area
from linli.areas.models import Area, AreaKind
from linli.audit.actions import record_event
from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from linli.audit.verification import verify_chain
from linli.core import context

pytestmark = pytest.mark.django_db


def test_first_event_links_to_the_genesis_hash_and_each_next_to_its_predecessor():
    first = record_event("test.first", detail={"n": 1})
    second = record_event("test.second", detail={"n": 2})
    third = record_event("test.third")

    assert (first.id, second.id, third.id) == (1, 2, 3)
    assert first.previous_hash == GENESIS_HASH
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    # Keyed: HMAC-SHA256 under the chain key, not a plain hash anyone could recompute.
    message = first.hash.encode() + second.canonical_content()
    assert second.hash == hmac.new(settings.LINLI_AUDIT_CHAIN_KEY, message, hashlib.sha256).hexdigest()
    assert second.hash != hashlib.sha256(message).hexdigest()
    head = AuditChainHead.objects.get(id=1)
    assert (head.last_event_id, head.last_hash) == (3, third.hash)


def test_hash_of_an_event_depends_on_the_previous_hash():
    record_event("test.first")
    second = record_event("test.second")
    stored = AuditEvent.objects.get(id=second.id)
    assert stored.compute_hash() == second.hash
    stored.previous_hash = "f" * 64
    assert stored.compute_hash() != second.hash


def test_canonical_content_is_sorted_compact_json_of_every_audited_column():
    with context.bind(context.RequestContext(request_id="req-1", source_ip="203.0.113.9", source="web")):
        event = record_event(
            "test.canonical", object_type="demo.thing", object_id=42, role="grid_worker", area_id=7,
            actor_label="someone", detail={"b": 2, "a": [1, "x"], "nested": {"z": True, "y": None}},
        )  # fmt: skip
    stored = AuditEvent.objects.get(id=event.id)
    content = stored.canonical_content()
    decoded = json.loads(content)
    assert list(decoded) == sorted(decoded)
    assert b" " not in content.replace(b"test.canonical", b"")
    assert decoded == {
        "id": event.id,
        "created_at": event.created_at.astimezone(datetime.UTC).isoformat(),
        "actor_id": None,
        "actor_label": "someone",
        "actor_role": "grid_worker",
        "area_id": 7,
        "source_ip": "203.0.113.9",
        "request_id": "req-1",
        "source": "web",
        "event_type": "test.canonical",
        "object_type": "demo.thing",
        "object_id": "42",
        "outcome": "success",
        "detail": {"a": [1, "x"], "b": 2, "nested": {"y": None, "z": True}},
    }
    # What was hashed at write time is what the database gives back.
    assert content == event.canonical_content()
    assert stored.compute_hash() == stored.hash


def test_values_that_json_cannot_hold_stably_become_strings():
    event = record_event(
        "test.types",
        detail={"ratio": 0.5, "when": datetime.date(2026, 1, 2), "items": ("a", "b"), "nul": "a\x00b"},
    )
    stored = AuditEvent.objects.get(id=event.id)
    assert stored.detail == {"ratio": "0.5", "when": "2026-01-02", "items": ["a", "b"], "nul": "ab"}
    assert stored.compute_hash() == stored.hash


@pytest.mark.parametrize(
    "key", ["password", "Password", "new_password", "otp", "otp_code", "token", "secret", "session_key",
            "login_code", "id_number", "phone", "session-id"],
)  # fmt: skip
def test_detail_keys_that_carry_secrets_or_full_numbers_are_refused(key):
    with pytest.raises(ValueError, match="must not carry"):
        record_event("test.refused", detail={"ok": 1, key: "x"})
    with pytest.raises(ValueError, match="must not carry"):
        record_event("test.refused", detail={"outer": {key: "x"}})
    assert AuditEvent.objects.count() == 0
    assert not AuditChainHead.objects.filter(last_event_id__gt=0).exists()


def test_phone_and_id_numbers_in_any_text_are_masked():
    event = record_event(
        "test.masked",
        actor_label="13812345678",
        object_id="110105199001011234",
        detail={"note": "called 13812345678 about 11010519900101123X", "list": ["+86 139-1234-5678"]},
    )
    stored = AuditEvent.objects.get(id=event.id)
    assert stored.actor_label == "138****5678"
    assert stored.object_id == "1101**********1234"
    assert stored.detail == {"note": "called 138****5678 about 1101**********123X", "list": ["+86 139****5678"]}
    raw = json.dumps(stored.detail) + stored.actor_label + stored.object_id
    for plaintext in ("13812345678", "110105199001011234", "11010519900101123X", "13912345678"):
        assert plaintext not in raw


def test_long_text_is_capped():
    event = record_event("test.long", detail={"text": "x" * 2000})
    assert len(AuditEvent.objects.get(id=event.id).detail["text"]) == 500


def test_request_context_and_actor_are_recorded(make_staff, tree, rf):
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    staff.is_verified = lambda: True  # as django-otp marks a TOTP-verified request user
    assert [grant.role for grant in grants(staff)] == ["grid_worker"]
    with context.bind(context.RequestContext(request_id="abc123", source_ip="::ffff:198.51.100.7", source="api")):
        event = record_event("test.context", actor=staff, target=tree.dwelling_a1, outcome="failure")
    stored = AuditEvent.objects.get(id=event.id)
    assert stored.actor_id == staff.id
    assert stored.actor_label == staff.username
    assert stored.actor_role == "grid_worker"
    assert stored.request_id == "abc123"
    assert stored.source_ip == "198.51.100.7"
    assert stored.source == "api"
    assert (stored.object_type, stored.object_id) == ("areas.area", str(tree.dwelling_a1.id))
    assert stored.outcome == "failure"
    assert stored.created_at.tzinfo is not None
    assert stored.compute_hash() == stored.hash


def test_ipv6_source_is_stored_in_canonical_form_and_still_verifies():
    with context.bind(context.RequestContext(source_ip="2001:DB8:0:0:0:0:0:1")):
        event = record_event("test.ipv6")
    stored = AuditEvent.objects.get(id=event.id)
    assert stored.source_ip == "2001:db8::1"
    assert verify_chain().ok


def test_an_unparseable_source_ip_is_dropped():
    with context.bind(context.RequestContext(source_ip="not-an-ip")):
        event = record_event("test.bad_ip")
    assert AuditEvent.objects.get(id=event.id).source_ip is None


def test_area_comes_from_the_target_when_not_given(tree):
    class Target:
        class _meta:
            label_lower = "demo.thing"

        pk = 5
        area_id = tree.grid_a1.id

    event = record_event("test.area", target=Target())  # type: ignore[arg-type]
    assert AuditEvent.objects.get(id=event.id).area_id == tree.grid_a1.id


def test_fail_closed_when_the_audit_insert_fails_the_business_change_rolls_back(tree):
    areas_before = Area.objects.count()
    events_before = AuditEvent.objects.count()
    with mock.patch.object(AuditEvent, "save", side_effect=DatabaseError("disk full")), pytest.raises(DatabaseError):
        do_create_area(kind=AreaKind.GRID, code="99", name="新网格", parent=tree.community_a, acting_user=None)
    assert Area.objects.count() == areas_before
    assert not Area.objects.filter(code="99").exists()
    assert AuditEvent.objects.count() == events_before
    assert verify_chain().ok


def test_fail_closed_when_the_chain_head_cannot_be_locked(tree):
    areas_before = Area.objects.count()
    with mock.patch.object(AuditChainHead.objects, "select_for_update", side_effect=DatabaseError("locked")):
        with pytest.raises(DatabaseError):
            do_create_area(kind=AreaKind.GRID, code="98", name="新网格", parent=tree.community_a, acting_user=None)
    assert Area.objects.count() == areas_before


def test_a_rolled_back_transaction_leaves_no_event_and_no_gap():
    record_event("test.kept")
    with pytest.raises(RuntimeError), transaction.atomic():
        record_event("test.rolled_back")
        raise RuntimeError("business failure")
    later = record_event("test.after")
    assert later.id == 2
    assert list(AuditEvent.objects.order_by("id").values_list("event_type", flat=True)) == ["test.kept", "test.after"]
    assert verify_chain().ok


def test_two_hundred_appends_keep_a_valid_chain():
    for number in range(200):
        record_event("test.bulk", object_id=number, detail={"n": number})
    result = verify_chain(batch_size=37)
    assert (result.ok, result.checked) == (True, 200)


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_from_two_connections_keep_a_valid_chain():
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database: the SQLite test database is one in-memory connection")
    per_thread = 40
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def append(name: str) -> None:
        try:
            barrier.wait()
            for number in range(per_thread):
                with transaction.atomic():
                    record_event("test.concurrent", object_id=f"{name}-{number}")
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = verify_chain()
    assert (result.ok, result.checked) == (True, 2 * per_thread)
    assert AuditEvent.objects.filter(object_id__startswith="a-").count() == per_thread
