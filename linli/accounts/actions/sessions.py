"""Starting and ending signed-in sessions (SECURITY.md A5)."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from linli.accounts.middleware import SESSION_RECORD_KEY
from linli.accounts.models import User, UserSession
from linli.audit.actions import record_event
from linli.core import context


def do_start_session(request: HttpRequest, user: User, *, method: str) -> UserSession:
    """Log ``user`` in with a new session id and create its server-side record."""
    with transaction.atomic():
        login(request, user, backend="linli.accounts.backends.StaffPasswordBackend")  # cycles the key
        request_context = context.current()
        record = UserSession.objects.create(
            user=user, source_ip=request_context.source_ip, user_agent=request_context.user_agent
        )
        request.session[SESSION_RECORD_KEY] = str(record.id)
        User.objects.filter(pk=user.pk).update(last_seen_at=timezone.now())
        record_event("auth.login", actor=user, target=user, detail={"method": method})
    return record


def do_end_session(record: UserSession, *, reason: str, acting_user: Any = None) -> None:
    with transaction.atomic():
        updated = UserSession.objects.filter(id=record.id, ended_at__isnull=True).update(
            ended_at=timezone.now(), end_reason=reason
        )
        if updated:
            record_event(
                "auth.session_ended",
                actor=acting_user or record.user,
                target=record.user,
                detail={"reason": reason},
            )


def do_end_other_sessions(user: User, *, keep: UserSession | None, reason: str) -> int:
    with transaction.atomic():
        sessions = UserSession.objects.filter(user=user, ended_at__isnull=True)
        if keep is not None:
            sessions = sessions.exclude(id=keep.id)
        count = sessions.update(ended_at=timezone.now(), end_reason=reason)
        record_event("auth.sessions_ended", actor=user, target=user, detail={"reason": reason, "count": count})
    return count


def do_logout_everywhere(request: HttpRequest, user: User) -> int:
    """End every session of ``user``, this one included."""
    from django.contrib.auth import logout

    count = do_end_other_sessions(user, keep=None, reason="logout_everywhere")
    logout(request)
    return count


SESSION_RECORD_RETENTION_DAYS = 184
"""Ended session records (sign-in history: time, source IP, device) are kept six months, as the
Cybersecurity Law asks of access logs, then deleted."""


def do_purge_sessions(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Housekeeping job: end abandoned sessions past their idle or absolute limit (the middleware
    only ends a session when its cookie comes back), delete session records ended more than
    ``SESSION_RECORD_RETENTION_DAYS`` ago, and delete expired Django sessions."""
    from importlib import import_module

    from django.conf import settings

    now = now or timezone.now()
    idle_cutoff = now - datetime.timedelta(seconds=settings.LINLI_SESSION_IDLE_SECONDS)
    absolute_cutoff = now - datetime.timedelta(seconds=settings.LINLI_SESSION_ABSOLUTE_SECONDS)
    retention_cutoff = now - datetime.timedelta(days=SESSION_RECORD_RETENTION_DAYS)
    with transaction.atomic():
        open_records = UserSession.objects.filter(ended_at__isnull=True)
        absolute = open_records.filter(created_at__lt=absolute_cutoff).update(
            ended_at=now, end_reason="absolute_timeout"
        )
        idle = open_records.filter(last_activity_at__lt=idle_cutoff).update(ended_at=now, end_reason="idle_timeout")
        purged = UserSession.objects.filter(ended_at__lt=retention_cutoff).delete()[0]
        counts = {"ended_absolute": absolute, "ended_idle": idle, "purged": purged}
        if any(counts.values()):
            record_event("auth.sessions_purged", actor_label="system", detail=counts)
    import_module(settings.SESSION_ENGINE).SessionStore.clear_expired()
    return counts
