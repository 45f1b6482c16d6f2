"""Reads of notifications; a user only ever sees their own."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from linli.notify.models import Notification


def unread_count_for(user: Any) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notifications_for(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=user.pk).order_by("-id")


def get_notification_for(user: Any, notification_id: int) -> Notification:
    return get_object_or_404(Notification, id=notification_id, recipient_id=user.pk)
