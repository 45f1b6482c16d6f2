"""Writing audit events. ``record_event`` joins the caller's transaction: if it fails, the
caller's business change rolls back with it (fail closed, SECURITY.md C5).

Also the audit administrator's export of events (``do_export_events``), itself audited."""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.audit.models import GENESIS_HASH, AuditChainHead, AuditEvent, Outcome, keying_seal
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
            id=1,
            defaults={"last_hash": GENESIS_HASH, "last_event_id": 0, "keyed_from": 1, "keyed_seal": keying_seal(1)},
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
        event.hash = event.compute_hash(keyed=event.id >= head.keyed_from)
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


# --- checkpoints -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckpointOutcome:
    """What ``do_write_checkpoint`` did: the checkpoint written (``None`` when the chain had not
    moved, or failed verification), whether the chain verified, and who was told."""

    checkpoint: Any
    verified: bool
    notified: int
    broken_id: int | None = None
    reason: str = ""


def _audit_administrators() -> list[Any]:
    from linli.accounts.models import Role, User

    return list(
        User.objects.filter(is_active=True, roles__role=Role.AUDIT_ADMIN, roles__revoked_at__isnull=True)
        .distinct()
        .order_by("id")
    )


def _notify_administrators(render: Callable[[], tuple[str, str]], *, kind: str, urgent: bool) -> int:
    """Each audit administrator gets the message in their own language: in-app for a routine
    checkpoint; an alert also goes out by SMS/e-mail as they chose."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from linli.notify.actions import do_send_notification

    administrators = _audit_administrators()
    for administrator in administrators:
        with translation.override(administrator.language or settings.LANGUAGE_CODE):
            title, body = render()
            do_send_notification(
                administrator,
                title=title,
                body=body,
                url=reverse("audit:events"),
                kind=kind,
                channels=None if urgent else [],
            )
    return len(administrators)


def _beijing(iso: str) -> str:
    """``2026-11-30 09:17:00 +08:00``: local time with its offset stated."""
    moment = timezone.localtime(datetime.datetime.fromisoformat(iso))
    offset = moment.strftime("%z")
    return f"{moment:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def do_write_checkpoint(*, notify: bool, skip_unchanged: bool = False, batch_size: int = 5000) -> CheckpointOutcome:
    """Verify the chain since the last checkpoint, then append a signed checkpoint (count + head)
    to the checkpoint file and, with ``notify``, put it in every audit administrator's inbox.

    A chain that fails verification is not checkpointed (that would anchor a rewritten chain);
    the audit administrators are alerted instead, by every channel they chose. With
    ``skip_unchanged`` nothing is written when the chain has not grown since the last checkpoint.
    Run by the job queue (``tasks.py``) with no acting user: it changes no business data (the
    notifications it sends are audited by ``do_send_notification``)."""
    from linli.audit import checkpoints
    from linli.audit.verification import verify_chain

    previous = checkpoints.last_valid()
    start = None
    if previous is not None and not checkpoints.check_state(previous):
        start = (previous.count, previous.head)
    result = verify_chain(batch_size=batch_size, start=start)
    if not result.ok:
        broken_id = result.broken_id

        def alert() -> tuple[str, str]:
            return _("The audit log failed its integrity check"), _(
                "Event %(event)s of the audit log does not verify: it was changed, removed or added outside "
                "the application. No checkpoint was written. Run “linli audit verify --checkpoint” on the "
                "server and keep the checkpoint copies you hold."
            ) % {"event": broken_id}

        notified = _notify_administrators(alert, kind="audit_integrity_alert", urgent=True)
        return CheckpointOutcome(None, False, notified, broken_id, result.reason)
    head = AuditChainHead.objects.filter(id=1).first()
    count, head_hash = (head.last_event_id, head.last_hash) if head is not None else (0, GENESIS_HASH)
    if skip_unchanged and previous is not None and (previous.count, previous.head) == (count, head_hash):
        return CheckpointOutcome(None, True, 0)
    written = checkpoints.Checkpoint(
        count=count, head=head_hash, created_at=timezone.localtime().isoformat(timespec="seconds")
    ).signed()
    checkpoints.append(written)
    notified = 0
    if notify:

        def message() -> tuple[str, str]:
            return _("Audit log checkpoint"), _(
                "The audit log held %(count)s events at %(time)s; the last one hashes to %(head)s. "
                "Signed checkpoint (keep a copy outside the server): %(line)s"
            ) % {
                "count": written.count,
                "time": _beijing(written.created_at),
                "head": written.head,
                "line": written.line(),
            }

        notified = _notify_administrators(message, kind="audit_checkpoint", urgent=False)
    return CheckpointOutcome(written, True, notified)
