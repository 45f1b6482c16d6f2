"""Verifying the audit chain (``linli audit verify``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


def verify_chain(batch_size: int = 5000) -> VerificationResult:
    """Walk every event in id order; report the first row whose hash, link or position is wrong."""
    expected_previous = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        events = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not events:
            break
        for event in events:
            if event.id != expected_id:
                return VerificationResult(False, checked, expected_id, f"row {expected_id} is missing")
            if event.previous_hash != expected_previous:
                return VerificationResult(False, checked, event.id, "link to the previous row is broken")
            if event.compute_hash() != event.hash:
                return VerificationResult(False, checked, event.id, "content does not match its hash")
            expected_previous = event.hash
            expected_id += 1
            checked += 1
        last_id = events[-1].id
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and (head.last_event_id != checked or head.last_hash != expected_previous):
        return VerificationResult(False, checked, head.last_event_id, "rows after the last one are missing")
    return VerificationResult(True, checked)


def append_only_triggers_present() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE 'audit_event_no_%'"
            )
        else:
            cursor.execute(
                "SELECT count(*) FROM information_schema.triggers WHERE trigger_name LIKE 'audit_event_no_%%'"
            )
        return int(cursor.fetchone()[0]) >= 2
