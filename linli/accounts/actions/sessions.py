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


PRIVILEGE_SESSION_KEY = "linli_privilege"
"""A digest of the staff grants (role, area, department) this session id was issued for."""


def privilege_fingerprint(user: Any) -> str:
    """A short digest of ``user``'s effective grants (computed once per request by ``grants``)."""
    import hashlib

    from linli.accounts.scoping import grants

    granted = sorted((grant.role, grant.path, grant.department_id or 0) for grant in grants(user))
    return hashlib.sha256(repr(granted).encode()).hexdigest()[:16]


def rotate_session_key(request: HttpRequest, user: Any) -> None:
    """A privilege change (second factor passed, fresh re-authentication, roles changed): give the
    session a new id so the one it had before (perhaps fixated or copied) no longer signs anyone
    in; the session data (the ``UserSession`` record, the OTP device) moves to the new id. Records
    the privileges the new id was issued for."""
    request.session.cycle_key()
    request.session[PRIVILEGE_SESSION_KEY] = privilege_fingerprint(user)


def rotate_if_privilege_changed(request: HttpRequest, user: Any) -> bool:
    """Called by the view guards on every signed-in staff request after the second factor: when
    the account's grants differ from those the session id was issued for (a role was granted or
    revoked, possibly from an administrator's session), the id is rotated on this request."""
    current = privilege_fingerprint(user)
    stored = request.session.get(PRIVILEGE_SESSION_KEY)
    if stored == current:
        return False
    if stored is None:
        request.session[PRIVILEGE_SESSION_KEY] = current
        return False
    request.session.cycle_key()
    request.session[PRIVILEGE_SESSION_KEY] = current
    record_event("auth.session_rotated", actor=user, target=user, detail={"reason": "roles_changed"})
    return True


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
