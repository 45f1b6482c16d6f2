"""Writing audit events. ``record_event`` joins the caller's transaction: if it fails, the
caller's business change rolls back with it (fail closed, SECURITY.md C5).

Also the audit administrator's export of events (``do_export_events``), itself audited."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, Outcome
from linli.core import context
from linli.core.errors import PermissionRefused
from linli.privacy.logging import scrub

# Keys that would carry secrets or full personal numbers (SECURITY.md C3). Matched on the
# lower-cased key with "-" read as "_".
FORBIDDEN_DETAIL_KEYS = frozenset(
    {
        "password", "passwd", "new_password", "old_password", "password1", "password2",
        "otp", "otp_code", "totp", "token", "api_token", "access_token", "csrf_token", "cookie",
        "secret", "secret_key", "session", "session_key", "session_id", "sessionid",
        "login_code", "verification_code", "id_number", "id_card", "phone", "mobile",
    }
)  # fmt: skip
MAX_TEXT_LENGTH = 500
MAX_ROLE_LENGTH = 40
EXPORT_BATCH_SIZE = 2000
MAX_EXPORT_ROWS = 100_000


def _text(value: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """Mask ID and phone numbers, drop NUL (PostgreSQL JSON refuses it), cap the length."""
    return scrub(value.replace("\x00", ""))[:limit]


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if str(key).lower().replace("-", "_") in FORBIDDEN_DETAIL_KEYS:
                raise ValueError(f"audit detail must not carry {key!r}")
            cleaned[_text(str(key), 64)] = _clean(item)
        return cleaned
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        return _text(value)
    if value is None or isinstance(value, bool | int):
        return value
    return _text(str(value))


def _canonical_ip(value: str | None) -> str | None:
    """The address in the form the database gives back, so the hash survives a round trip."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _cached_roles(actor: Any) -> str:
    """The actor's roles as already computed for this request (no extra query)."""
    from linli.accounts.scoping import CACHE_ATTRIBUTE

    cached = getattr(actor, CACHE_ATTRIBUTE, None)
    if not cached:
        return ""
    return ",".join(sorted({grant.role for grant in cached}))[:MAX_ROLE_LENGTH]


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
    """Append one event to the chain, inside the caller's transaction.

    Never put passwords, codes, session ids or full ID/phone numbers in ``detail``: known keys are
    refused with ``ValueError`` and ID/phone number patterns in any text are masked. ``role``
    defaults to the actor's roles already resolved in this request; ``area_id`` defaults to the
    target's ``area_id`` when it has one."""
    request_context = context.current()
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        if area_id is None:
            target_area = getattr(target, "area_id", None)
            area_id = target_area if isinstance(target_area, int) else None
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    cleaned_detail = _clean(detail or {})
    label = actor_label or (actor.get_username() if authenticated else "")
    with transaction.atomic():
        head, _created = AuditChainHead.objects.select_for_update().get_or_create(
            id=1, defaults={"last_hash": GENESIS_HASH, "last_event_id": 0}
        )
        event = AuditEvent(
            id=head.last_event_id + 1,
            created_at=timezone.now(),
            actor=actor if authenticated else None,
            actor_label=_text(str(label), 150),
            actor_role=(role or (_cached_roles(actor) if authenticated else ""))[:MAX_ROLE_LENGTH],
            area_id=area_id,
            source_ip=_canonical_ip(request_context.source_ip),
            request_id=request_context.request_id[:64],
            source=request_context.source[:16],
            event_type=event_type[:64],
            object_type=str(object_type)[:64],
            object_id=_text(str(object_id), 64),
            outcome=str(outcome),
            detail=cleaned_detail,
            previous_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
        AuditChainHead.objects.filter(id=1).update(last_event_id=event.id, last_hash=event.hash)
    return event


# --- export ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventExport:
    """What ``do_export_events`` hands to the view: the ids to write, newest first, and whether
    the filter matched more than ``MAX_EXPORT_ROWS``."""

    ids: list[int]
    truncated: bool

    def events(self, batch_size: int = EXPORT_BATCH_SIZE) -> Iterator[AuditEvent]:
        for start in range(0, len(self.ids), batch_size):
            batch = self.ids[start : start + batch_size]
            yield from AuditEvent.objects.filter(id__in=batch).order_by("-id")


def do_export_events(filters: Any, *, acting_user: Any, limit: int = MAX_EXPORT_ROWS) -> EventExport:
    """Export the events matching ``filters`` (a ``selectors.EventFilters``) for the audit
    administrator; the export itself is recorded as ``audit.exported`` with the filter and the
    number of rows."""
    from linli.audit.selectors import filtered_events

    if not acting_user.has_perm("audit.export_events"):
        raise PermissionRefused(_("You may not export audit events."), code="audit_export_forbidden")
    with transaction.atomic():
        ids = list(filtered_events(filters).values_list("id", flat=True)[: limit + 1])
        truncated = len(ids) > limit
        ids = ids[:limit]
        record_event(
            "audit.exported",
            actor=acting_user,
            object_type="audit.auditevent",
            detail={
                "filters": {key: str(value) for key, value in asdict(filters).items() if value not in ("", None)},
                "rows": len(ids),
                "truncated": truncated,
            },
        )
    return EventExport(ids=ids, truncated=truncated)
