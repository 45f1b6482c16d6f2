"""Reads of notifications; a user only ever sees their own."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from linli.core.sql import cached_sql, connection_for, fetch, table
from linli.notify.models import Delivery, DeliveryStatus, Notification

INBOX_FILTERS = ("all", "unread")


def unread_count_for(user: Any) -> int:
    """The inbox badge, on every signed-in page: ``Notification.objects.filter(recipient_id=…,
    read_at__isnull=True).count()`` written by hand (one index range scan; the ORM spent ten times
    the SQL's time building it — docs/decisions/0011-signed-in-request-cost.md). Always current:
    a new or read notification shows on the next page without any invalidation."""
    connection = connection_for(Notification)
    sql = cached_sql(
        ("notify.unread_count",),
        connection,
        lambda quote: (
            f"SELECT COUNT(*) FROM {quote(table(Notification))} "  # noqa: S608
            f"WHERE {quote('recipient_id')} = %s AND {quote('read_at')} IS NULL"
        ),
    )
    return int(fetch(connection, sql, [user.pk])[0][0])


def notifications_for(user: Any, *, show: str = "all") -> QuerySet[Notification]:
    """The user's inbox, newest first; ``show="unread"`` keeps the unread ones only."""
    notifications = Notification.objects.filter(recipient_id=user.pk)
    if show == "unread":
        notifications = notifications.filter(read_at__isnull=True)
    return notifications.order_by("-id")


def get_notification_for(user: Any, notification_id: int) -> Notification:
    """One of the user's own notifications; anyone else's answers 404."""
    return get_object_or_404(Notification, id=notification_id, recipient_id=user.pk)


def stalled_delivery_ids(*, older_than: datetime.timedelta, limit: int = 5000) -> list[int]:
    """Deliveries still queued ``older_than`` after they were created and held by no worker (for the
    requeue job; not reachable by users)."""
    now = timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.QUEUED, created_at__lt=now - older_than)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
