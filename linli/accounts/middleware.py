"""Session lifecycle (SECURITY.md A5) and per-user preferences (language, elderly mode)."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from linli.accounts.models import UserSession

SESSION_RECORD_KEY = "linli_session_id"
ACTIVITY_WRITE_INTERVAL = datetime.timedelta(seconds=60)


class SessionLifecycleMiddleware:
    """Every signed-in session has a ``UserSession`` row. A request whose row is ended, idle for
    longer than the idle timeout, or older than the absolute lifetime is signed out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> None:
        from linli.accounts import actions

        record_id = request.session.get(SESSION_RECORD_KEY)
        record = (
            UserSession.objects.filter(id=record_id, user_id=int(request.user.pk or 0)).first() if record_id else None
        )
        now = timezone.now()
        reason = ""
        if record is None or record.ended_at is not None:
            reason = "ended"
        elif now - record.last_activity_at > datetime.timedelta(seconds=settings.LINLI_SESSION_IDLE_SECONDS):
            reason = "idle_timeout"
        elif now - record.created_at > datetime.timedelta(seconds=settings.LINLI_SESSION_ABSOLUTE_SECONDS):
            reason = "absolute_timeout"
        if reason:
            if record is not None and record.ended_at is None:
                actions.do_end_session(record, reason=reason)
            logout(request)
            request.linli_session_expired = True  # type: ignore[attr-defined]
            return
        assert record is not None
        request.linli_session = record  # type: ignore[attr-defined]
        # Background polls (the inbox badge) do not count as activity, or an open tab would keep
        # its session alive for ever (A5 idle timeout).
        background = request.headers.get("X-Linli-Background") == "1"
        if not background and now - record.last_activity_at > ACTIVITY_WRITE_INTERVAL:
            UserSession.objects.filter(id=record.id).update(last_activity_at=now)


class UserPreferencesMiddleware:
    """Signed-in users' saved language wins over the cookie; elderly mode comes from the account
    or, for anonymous visitors, a cookie."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = user.language  # type: ignore[attr-defined]
            request.elderly_mode = user.elderly_mode  # type: ignore[attr-defined]
        else:
            request.elderly_mode = request.COOKIES.get("linli_elderly") == "1"  # type: ignore[attr-defined]
        return self.get_response(request)
