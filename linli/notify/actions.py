"""Writes to notifications: marking read (sending is added with the channels)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from linli.notify.models import Notification


def do_mark_read(notification: Notification, *, acting_user: Any) -> None:
    if notification.recipient_id != acting_user.pk:
        raise PermissionError("not the recipient")
    if notification.read_at is None:
        Notification.objects.filter(id=notification.id, read_at__isnull=True).update(read_at=timezone.now())


def do_mark_all_read(user: Any) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
