"""Inbox pages, the polled unread-count badge and the demo SMS outbox."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from linli.accounts.decorators import public, signed_in
from linli.notify import actions, selectors
from linli.notify.sms import FileGateway
from linli.privacy.masking import mask_phone

PAGE_SIZE = 20


def _show(value: str | None) -> str:
    return value if value in selectors.INBOX_FILTERS else "all"


def _inbox_url(show: str) -> str:
    url = reverse("notify:inbox")
    return f"{url}?{urlencode({'show': show})}" if show != "all" else url


@signed_in
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    show = _show(request.GET.get("show"))
    page = Paginator(selectors.notifications_for(request.user, show=show), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "show": show})


@signed_in
@require_GET
def unread_badge(request: HttpRequest) -> HttpResponse:
    """The unread-count badge alone, polled by htmx from the top bar every 60 seconds."""
    count = selectors.unread_count_for(request.user)
    return HttpResponse(render_to_string("notify/_unread_count.html", {"unread_notifications": count}))


@signed_in
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.get_notification_for(request.user, notification_id)
    actions.do_mark_read(notification, acting_user=request.user)
    if notification.url and notification.url.startswith("/") and not notification.url.startswith("//"):
        return redirect(notification.url)
    return redirect(_inbox_url(_show(request.POST.get("show"))))


@signed_in
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    actions.do_mark_all_read(request.user)
    return redirect(_inbox_url(_show(request.POST.get("show"))))


def _parse_time(value: str) -> datetime | None:
    """The outbox stores ISO 8601 times in UTC; the page shows them in Beijing time (``|date``)."""
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@public
@require_GET
def sms_outbox(request: HttpRequest) -> HttpResponse:
    """Demo mode only: the file gateway's messages, so a newcomer can read their sign-in code."""
    if not settings.DEMO_MODE or settings.LINLI_SMS_GATEWAY != "file":
        raise Http404
    messages_sent = [
        {**item, "phone": mask_phone(item.get("phone", "")), "sent_at": _parse_time(item.get("sent_at", ""))}
        for item in FileGateway().read_recent(30)
    ]
    return render(request, "notify/sms_outbox.html", {"messages_sent": messages_sent})
