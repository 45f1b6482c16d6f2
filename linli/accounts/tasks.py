"""Periodic account jobs run by the huey consumer. Thin: each calls one action with a job context
(audit events they write carry ``source='job'``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from linli.accounts.actions.login import do_expire_login_codes
from linli.accounts.actions.sessions import do_purge_sessions
from linli.accounts.actions.staff import do_disable_dormant_accounts
from linli.core import context


@db_periodic_task(crontab(minute="10", hour="2"))
def disable_dormant_staff_accounts() -> list[int]:
    """Daily: disable staff accounts without a sign-in for ``LINLI_STAFF_DORMANT_DAYS`` (A1)."""
    with context.bind(context.RequestContext(source="job")):
        return do_disable_dormant_accounts()


@db_periodic_task(crontab(minute="25", hour="*"))
def purge_sessions() -> dict[str, int]:
    """Hourly: end abandoned sessions, delete old session records and expired Django sessions."""
    with context.bind(context.RequestContext(source="job")):
        return do_purge_sessions()


@db_periodic_task(crontab(minute="*/15"))
def expire_login_codes() -> int:
    """Every 15 minutes: delete expired sign-in codes."""
    with context.bind(context.RequestContext(source="job")):
        return do_expire_login_codes()
