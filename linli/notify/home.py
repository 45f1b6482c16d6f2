"""Resident home card of the notification centre: the latest messages (最新消息)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from linli.notify.selectors import notifications_for

LATEST = 3


def latest_messages(request: HttpRequest) -> dict[str, Any] | None:
    """The three newest messages; hidden while the inbox is empty."""
    latest = list(notifications_for(request.user)[:LATEST])
    if not latest:
        return None
    return {"notifications": latest}
