"""The caller's own notification inbox; anyone else's notification answers 404."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from linli.api.pagination import paginate
from linli.api.schemas import (
    MarkedOut,
    NotificationFilter,
    NotificationOut,
    NotificationPage,
    PageQuery,
    error_responses,
)
from linli.notify import actions, selectors

router = Router(tags=["notifications"])


@router.get(
    "/notifications",
    response={200: NotificationPage, **error_responses(401, 422, 429)},
    summary="List my notifications",
)
def list_notifications(
    request: HttpRequest, filters: Query[NotificationFilter], page: Query[PageQuery]
) -> dict[str, Any]:
    """My inbox, newest first, with the number of unread notifications."""
    notifications = selectors.notifications_for(request.user, show="unread" if filters.unread else "all")
    result = paginate(notifications, page)
    result["unread"] = selectors.unread_count_for(request.user)
    return result


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **error_responses(401, 403, 404, 422, 429)},
    summary="Mark a notification read",
)
def mark_notification_read(request: HttpRequest, notification_id: int) -> Any:
    """Mark one of my notifications read (repeating it changes nothing)."""
    notification = selectors.get_notification_for(request.user, notification_id)
    actions.do_mark_read(notification, acting_user=request.user)
    return selectors.get_notification_for(request.user, notification_id)


@router.post(
    "/notifications/read-all",
    response={200: MarkedOut, **error_responses(401, 403, 429)},
    summary="Mark all my notifications read",
)
def mark_all_notifications_read(request: HttpRequest) -> MarkedOut:
    """Mark every unread notification of mine read; answers how many changed."""
    return MarkedOut(marked=actions.do_mark_all_read(request.user))
