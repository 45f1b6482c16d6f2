"""Verifying the audit chain (``linli audit verify``, SECURITY.md C4).

The walk goes through every event in id order, in batches, and stops at the first row that is
missing, unreadable, linked to the wrong predecessor or whose content no longer matches its hash.
The chain head (the last id and hash recorded by ``record_event``) catches rows removed from the
end; its keying seal, the boundary between unkeyed (older) and keyed rows. The append-only
triggers are checked separately: their absence is itself a finding. Checkpoints kept outside the
database are checked by ``checkpoints.verify_file``."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import DatabaseError, connection

from linli.audit import triggers
from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, keying_seal


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    checked: int
    broken_id: int | None = None
    reason: str = ""


class _Unreadable(Exception):
    def __init__(self, event_id: int) -> None:
        super().__init__(event_id)
        self.event_id = event_id


def _events(batch_size: int, after: int = 0) -> Iterator[AuditEvent]:
    """Every event in id order (from ``after + 1``). A row whose stored content cannot even be
    decoded (hand-edited JSON, say) raises ``_Unreadable`` naming it."""
    last_id = after
    while True:
        batch = AuditEvent.objects.filter(id__gt=last_id).order_by("id")
        try:
            events = list(batch[:batch_size])
        except (ValueError, TypeError, DatabaseError):
            events = []
            for event_id in batch.values_list("id", flat=True)[:batch_size]:
                try:
                    events.append(AuditEvent.objects.get(id=event_id))
                except (ValueError, TypeError, DatabaseError):
                    raise _Unreadable(event_id) from None
        if not events:
            return
        yield from events
        last_id = events[-1].id


def verify_chain(batch_size: int = 5000, *, start: tuple[int, str] | None = None) -> VerificationResult:
    """Walk every event in id order; report the first row whose position, link or hash is wrong.

    Events from the head's ``keyed_from`` on must carry HMAC hashes under the chain key; earlier
    ones (from before the chain was keyed) plain SHA-256 hashes. ``start=(count, head)``, taken
    from a trusted checkpoint, verifies only the events after it (the checkpoint job's
    incremental check); ``checked`` then counts the events before it too."""
    head = AuditChainHead.objects.filter(id=1).first()
    keyed_from = 1
    if head is not None:
        if not hmac.compare_digest(head.keyed_seal, keying_seal(head.keyed_from)):
            return VerificationResult(
                False, 0, head.keyed_from, "the chain head's keying seal does not match (altered, or another chain key)"
            )
        keyed_from = head.keyed_from
    expected_previous = GENESIS_HASH if start is None else start[1]
    expected_id = 1 if start is None else start[0] + 1
    checked = 0 if start is None else start[0]
    try:
        for event in _events(batch_size, after=expected_id - 1):
            if event.id != expected_id:
                return VerificationResult(False, checked, expected_id, f"event {expected_id} is missing")
            if event.previous_hash != expected_previous:
                return VerificationResult(False, checked, event.id, "its link to the previous event is broken")
            try:
                actual = event.compute_hash(keyed=event.id >= keyed_from)
            except (AttributeError, TypeError, ValueError):
                raise _Unreadable(event.id) from None
            if actual != event.hash:
                return VerificationResult(False, checked, event.id, "its content does not match its hash")
            expected_previous = event.hash
            expected_id += 1
            checked += 1
    except _Unreadable as unreadable:
        return VerificationResult(False, checked, unreadable.event_id, "its stored content cannot be read")
    head = AuditChainHead.objects.filter(id=1).first()  # again: events may have been added meanwhile
    if head is None:
        if checked:
            return VerificationResult(False, checked, checked, "the chain head is missing")
        return VerificationResult(True, 0)
    if head.last_event_id > checked:
        return VerificationResult(
            False, checked, checked + 1, f"event {checked + 1} is missing (the chain ends at {head.last_event_id})"
        )
    if head.last_event_id < checked:
        return VerificationResult(
            False, checked, head.last_event_id + 1, "it was added outside the chain (after the recorded last event)"
        )
    if head.last_hash != expected_previous:
        return VerificationResult(False, checked, checked, "the last event does not match the recorded chain head")
    return VerificationResult(True, checked)


def missing_triggers() -> list[str]:
    """Names of the append-only triggers that are absent (or, on PostgreSQL, disabled)."""
    return triggers.missing(connection)


def append_only_triggers_present() -> bool:
    return not missing_triggers()
