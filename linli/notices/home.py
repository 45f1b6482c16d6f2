"""Resident home card of community notices (社区通知): the newest notices of the places the
resident lives in, unread ones marked."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from linli.notices.selectors import home_paths, notices_for_resident

LATEST = 3


def latest_notices(request: HttpRequest) -> dict[str, Any] | None:
    """Hidden until the resident has a verified home with at least one published notice (two queries)."""
    paths = home_paths(request.user)
    if not paths:
        return None
    notices = [notice for notice in notices_for_resident(request.user, paths=paths).filter(status="published")[:LATEST]]
    if not notices:
        return None
    return {"notices": notices}
