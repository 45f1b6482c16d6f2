"""Writing audit events. ``record_event`` joins the caller's transaction: if it fails, the
caller's business change rolls back with it (fail closed, SECURITY.md C5)."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.utils import timezone

from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, Outcome
from linli.core import context
from linli.privacy.logging import scrub

FORBIDDEN_DETAIL_KEYS = {"password", "otp", "token", "secret", "session", "session_key", "login_code", "otp_code", "id_number", "phone"}


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if str(key).lower() in FORBIDDEN_DETAIL_KEYS:
                raise ValueError(f"audit detail must not carry {key!r}")
            cleaned[str(key)] = _clean(item)
        return cleaned
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        return scrub(value)[:500]
    if value is None or isinstance(value, bool | int):
        return value
    return scrub(str(value))[:500]


def record_event(
    event_type: str,
    *,
    actor: Any = None,
    outcome: str = Outcome.SUCCESS,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    role: str = "",
    area_id: int | None = None,
    actor_label: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Never put passwords, codes, session ids or full ID/phone
    numbers in ``detail``: known keys are refused and number patterns are masked."""
    request_context = context.current()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(
            id=1, defaults={"last_hash": GENESIS_HASH, "last_event_id": 0}
        )
        event = AuditEvent(
            id=head.last_event_id + 1,
            created_at=timezone.now(),
            actor=actor if authenticated else None,
            actor_label=(actor_label or (actor.get_username() if authenticated else ""))[:150],
            actor_role=role,
            area_id=area_id,
            source_ip=request_context.source_ip,
            request_id=request_context.request_id,
            source=request_context.source,
            event_type=event_type,
            object_type=object_type,
            object_id=str(object_id),
            outcome=str(outcome),
            detail=_clean(detail or {}),
            previous_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        AuditChainHead.objects.filter(id=1).update(last_event_id=event.id, last_hash=event.hash)
    return event
