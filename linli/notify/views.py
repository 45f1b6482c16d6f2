"""Inbox pages and the demo SMS outbox."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from linli.accounts.decorators import public, signed_in
from linli.notify import actions, selectors
from linli.notify.sms import FileGateway


@signed_in
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notifications_for(request.user), 20).get_page(request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page})


@signed_in
@require_POST
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    notification = selectors.get_notification_for(request.user, notification_id)
    actions.do_mark_read(notification, acting_user=request.user)
    if notification.url and notification.url.startswith("/") and not notification.url.startswith("//"):
        return redirect(notification.url)
    return redirect("notify:inbox")


@signed_in
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    actions.do_mark_all_read(request.user)
    return redirect("notify:inbox")


@public
def sms_outbox(request: HttpRequest) -> HttpResponse:
    """Demo mode only: the file gateway's messages, so a newcomer can read their sign-in code."""
    if not settings.DEMO_MODE or settings.LINLI_SMS_GATEWAY != "file":
        raise Http404
    return render(request, "notify/sms_outbox.html", {"messages_sent": FileGateway().read_recent(30)})
