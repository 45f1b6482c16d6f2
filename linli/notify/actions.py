"""Writes to notifications: sending (in-app plus SMS/e-mail deliveries), delivering, marking read.

Sending creates the inbox entry and one ``Delivery`` per outside channel in one transaction with its
audit event; the job queue is told after commit (``transaction.on_commit``), so a rolled-back action
sends nothing. ``do_deliver`` is the body of the delivery job: it claims the delivery, sends it through
the channel and records the outcome; it is idempotent (a delivery already sent is never sent again).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.audit.actions import record_event
from linli.core.errors import ValidationFailed
from linli.notify import channels as channel_senders
from linli.notify.models import Channel, Delivery, DeliveryStatus, Notification
from linli.privacy.logging import scrub

if TYPE_CHECKING:
    from linli.accounts.models import User

logger = logging.getLogger(__name__)

OUTSIDE_CHANNELS = (Channel.SMS, Channel.EMAIL)
CLAIM_SECONDS = 5 * 60
TITLE_MAX = 200
URL_MAX = 300
KIND_MAX = 64
BULK_BATCH_SIZE = 500


class DeliveryRetry(Exception):
    """A delivery failed for a reason that may pass (timeout, throttle): the job queue retries it."""

    def __init__(self, delivery_id: int, code: str) -> None:
        super().__init__(f"delivery {delivery_id} failed ({code}); will retry")
        self.delivery_id = delivery_id
        self.code = code


# --- sending -------------------------------------------------------------------------------------


def _validated(title: str, body: str, url: str, kind: str) -> tuple[str, str, str, str]:
    title = (title or "").strip()
    if not title:
        raise ValidationFailed(_("A notification needs a title."), field="title")
    if len(title) > TITLE_MAX:
        raise ValidationFailed(_("The title is too long."), field="title")
    url = (url or "").strip()
    if url and (not url.startswith("/") or url.startswith("//") or "\\" in url or len(url) > URL_MAX):
        raise ValidationFailed(_("A notification can only link to a page of this site."), field="url")
    kind = (kind or "general").strip()[:KIND_MAX]
    return title, body or "", url, kind


def outside_channels_for(recipient: User, channels: Iterable[str] | None = None) -> list[str]:
    """The outside channels (SMS, e-mail) a notification to ``recipient`` goes out on.

    ``channels=None`` follows the recipient's preferences: SMS when ``notify_by_sms`` and a phone number
    is on file, e-mail when ``notify_by_email`` and an address is on file. An explicit list overrides the
    preferences (for messages the recipient must get) but a channel without an address is still left out.
    Disabled accounts get the inbox entry only. The in-app channel is always used and needs no delivery.
    """
    if channels is None:
        wanted = set()
        if recipient.notify_by_sms:
            wanted.add(Channel.SMS)
        if recipient.notify_by_email:
            wanted.add(Channel.EMAIL)
    else:
        wanted = set()
        for channel in channels:
            if channel not in Channel.values:
                raise ValueError(f"unknown channel {channel!r}")
            wanted.add(Channel(channel))
    if not recipient.is_active:
        return []
    result = []
    if Channel.SMS in wanted and recipient.phone:
        result.append(Channel.SMS.value)
    if Channel.EMAIL in wanted and recipient.email:
        result.append(Channel.EMAIL.value)
    return result


def _enqueue_after_commit(delivery_ids: list[int]) -> None:
    if not delivery_ids:
        return

    def enqueue_deliveries_after_commit() -> None:
        from linli.notify.tasks import enqueue_deliveries

        enqueue_deliveries(delivery_ids)

    # robust: the write is already committed; a queue that cannot be reached must not turn the request
    # into an error. The deliveries stay queued and ``requeue_stalled_deliveries`` picks them up.
    transaction.on_commit(enqueue_deliveries_after_commit, robust=True)


def do_send_notification(
    recipient: User,
    *,
    title: str,
    body: str,
    url: str = "",
    kind: str = "general",
    channels: Iterable[str] | None = None,
    acting_user: Any = None,
) -> Notification:
    """Put a notification in ``recipient``'s inbox and send it by SMS/e-mail after commit."""
    title, body, url, kind = _validated(title, body, url, kind)
    outside = outside_channels_for(recipient, channels)
    with transaction.atomic():
        notification = Notification.objects.create(recipient=recipient, kind=kind, title=title, body=body, url=url)
        deliveries = [Delivery.objects.create(notification=notification, channel=channel) for channel in outside]
        record_event(
            "notification.sent",
            actor=acting_user,
            actor_label="" if acting_user is not None else "system",
            target=notification,
            detail={"kind": kind, "recipient_id": recipient.pk, "channels": [Channel.IN_APP.value, *outside]},
        )
        _enqueue_after_commit([delivery.id for delivery in deliveries])
    return notification


def do_send_bulk(
    recipients: Iterable[User],
    *,
    title: str,
    body: str,
    url: str = "",
    kind: str = "general",
    channels: Iterable[str] | None = None,
    acting_user: Any = None,
) -> list[Notification]:
    """The same notification to many recipients (broadcasts): a constant number of inserts per
    ``BULK_BATCH_SIZE`` recipients, one audit event, and the deliveries handed to the job queue in
    batches after commit. A recipient listed twice gets one notification."""
    title, body, url, kind = _validated(title, body, url, kind)
    unique: dict[Any, User] = {}
    for recipient in recipients:
        unique.setdefault(recipient.pk, recipient)
    people = list(unique.values())
    if not people:
        return []
    channel_list = list(channels) if channels is not None else None
    plans = [outside_channels_for(person, channel_list) for person in people]
    with transaction.atomic():
        notifications = [
            Notification(recipient=person, kind=kind, title=title, body=body, url=url) for person in people
        ]
        if connection.features.can_return_rows_from_bulk_insert:
            notifications = Notification.objects.bulk_create(notifications, batch_size=BULK_BATCH_SIZE)
        else:  # pragma: no cover - SQLite older than 3.35 cannot return the new ids
            for notification in notifications:
                notification.save(force_insert=True)
        deliveries = [
            Delivery(notification=notification, channel=channel)
            for notification, plan in zip(notifications, plans, strict=True)
            for channel in plan
        ]
        if connection.features.can_return_rows_from_bulk_insert:
            deliveries = Delivery.objects.bulk_create(deliveries, batch_size=BULK_BATCH_SIZE)
        else:  # pragma: no cover
            for delivery in deliveries:
                delivery.save(force_insert=True)
        counts = {channel: sum(plan.count(channel) for plan in plans) for channel in (Channel.SMS, Channel.EMAIL)}
        record_event(
            "notification.sent",
            actor=acting_user,
            actor_label="" if acting_user is not None else "system",
            object_type=Notification._meta.label_lower,
            object_id=f"{notifications[0].pk}..{notifications[-1].pk}",
            detail={
                "kind": kind,
                "bulk": True,
                "recipients": len(notifications),
                "sms": counts[Channel.SMS],
                "email": counts[Channel.EMAIL],
            },
        )
        _enqueue_after_commit([delivery.id for delivery in deliveries])
    return notifications


# --- delivering (the job) --------------------------------------------------------------------------


def _safe_error(code: str) -> str:
    return scrub(code)[:300]


def _finish(delivery_id: int, **changes: Any) -> None:
    Delivery.objects.filter(id=delivery_id).update(claimed_until=None, **changes)


def do_deliver(delivery_id: int, *, final_attempt: bool = True) -> str:
    """Send one delivery through its channel and record the outcome; returns the resulting status.

    Idempotent: only a queued delivery that no other worker holds is sent (a claim with an expiry
    guards against two workers sending the same message). A failure that may pass raises
    ``DeliveryRetry`` unless ``final_attempt``; a final or permanent failure is recorded as ``failed``.
    ``last_error`` holds a code only, never the phone number, the address or the text."""
    now = timezone.now()
    claimed = (
        Delivery.objects.filter(id=delivery_id, status=DeliveryStatus.QUEUED)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .update(claimed_until=now + datetime.timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if not claimed:
        status = Delivery.objects.filter(id=delivery_id).values_list("status", flat=True).first()
        if status is None:
            logger.info("delivery %s no longer exists", delivery_id)
            return "missing"
        logger.info("delivery %s not sent again (%s)", delivery_id, status)
        return str(status) if status != DeliveryStatus.QUEUED else "claimed"
    delivery = Delivery.objects.select_related("notification__recipient").get(id=delivery_id)
    notification = delivery.notification
    recipient = notification.recipient
    try:
        if delivery.channel == Channel.SMS:
            if not recipient.phone:
                _finish(delivery_id, status=DeliveryStatus.SKIPPED, last_error="no_phone")
                return DeliveryStatus.SKIPPED.value
            reference = channel_senders.send_sms(notification, recipient.phone)
        elif delivery.channel == Channel.EMAIL:
            if not recipient.email:
                _finish(delivery_id, status=DeliveryStatus.SKIPPED, last_error="no_email")
                return DeliveryStatus.SKIPPED.value
            reference = channel_senders.send_email(notification, recipient.email)
        else:
            _finish(delivery_id, status=DeliveryStatus.SKIPPED, last_error="no_sender")
            return DeliveryStatus.SKIPPED.value
    except channel_senders.DeliveryError as error:
        code = _safe_error(error.code)
        if error.retryable and not final_attempt:
            _finish(delivery_id, last_error=code)
            logger.warning("delivery %s failed (%s); will retry", delivery_id, code)
            raise DeliveryRetry(delivery_id, code) from error
        _finish(delivery_id, status=DeliveryStatus.FAILED, last_error=code)
        logger.warning("delivery %s failed for good (%s)", delivery_id, code)
        return DeliveryStatus.FAILED.value
    except Exception as error:
        # An unexpected fault: release the claim so the queue's retry can run, then let it propagate.
        _finish(delivery_id, last_error=_safe_error(f"error:{type(error).__name__}"))
        raise
    _finish(
        delivery_id,
        status=DeliveryStatus.SENT,
        sent_at=timezone.now(),
        provider_reference=(reference or "")[:100],
        last_error="",
    )
    return DeliveryStatus.SENT.value


# --- reading -----------------------------------------------------------------------------------


def do_mark_read(notification: Notification, *, acting_user: Any) -> None:
    if notification.recipient_id != acting_user.pk:
        raise PermissionError("not the recipient")
    if notification.read_at is None:
        Notification.objects.filter(id=notification.id, read_at__isnull=True).update(read_at=timezone.now())


def do_mark_all_read(user: Any) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
