"""The periodic account jobs (SECURITY.md A1, A5): dormant staff accounts are disabled, old session
records and expired sessions are purged, expired sign-in codes are deleted. The job logic lives in
actions, tested here with time travel; the huey tasks only call them."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from huey.api import PeriodicTask

from linli.accounts import tasks
from linli.accounts.actions.staff import DORMANT_REASON, do_disable_dormant_accounts
from linli.accounts.models import LoginCode, Role, User, UserSession
from linli.accounts.tests.conftest import is_signed_in, new_client, staff_sign_in
from linli.audit.models import AuditEvent

NOW = datetime.datetime(2026, 6, 1, 2, 10, tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


def staff_seen(
    make_staff, tree, username: str, *, last_seen: datetime.datetime | None, joined: datetime.datetime
) -> User:  # type: ignore[no-untyped-def]
    account = make_staff(Role.GRID_WORKER, tree.grid_a1, username=username)
    User.objects.filter(pk=account.pk).update(last_seen_at=last_seen, date_joined=joined)
    account.refresh_from_db()
    return account


@pytest.mark.django_db
def test_dormant_staff_accounts_are_disabled(tree, make_staff, make_resident):  # type: ignore[no-untyped-def]
    long_ago = NOW - 400 * DAY
    dormant = staff_seen(
        make_staff, tree, "dormant", last_seen=NOW - 90 * DAY - datetime.timedelta(minutes=1), joined=long_ago
    )
    recent = staff_seen(make_staff, tree, "recent", last_seen=NOW - 89 * DAY, joined=long_ago)
    never_old = staff_seen(make_staff, tree, "never.old", last_seen=None, joined=NOW - 91 * DAY)
    never_new = staff_seen(make_staff, tree, "never.new", last_seen=None, joined=NOW - 10 * DAY)
    already = staff_seen(make_staff, tree, "already", last_seen=long_ago, joined=long_ago)
    User.objects.filter(pk=already.pk).update(is_active=False, disabled_reason="left")
    resident = make_resident()
    User.objects.filter(pk=resident.pk).update(last_seen_at=long_ago, date_joined=long_ago)
    session = UserSession.objects.create(user=dormant, created_at=NOW - DAY, last_activity_at=NOW - DAY)

    with time_machine.travel(NOW, tick=False):
        disabled = do_disable_dormant_accounts()
    assert sorted(disabled) == sorted([dormant.pk, never_old.pk])
    states = dict(User.objects.values_list("pk", "is_active"))
    assert (states[dormant.pk], states[never_old.pk]) == (False, False)
    assert (states[recent.pk], states[never_new.pk]) == (True, True)
    assert User.objects.get(pk=resident.pk).is_active is True
    assert User.objects.get(pk=already.pk).disabled_reason == "left"
    assert User.objects.get(pk=dormant.pk).disabled_reason == DORMANT_REASON
    session.refresh_from_db()
    assert session.end_reason == "account_disabled"
    events = AuditEvent.objects.filter(event_type="account.disabled").order_by("id")
    assert [(event.object_id, event.actor_id, event.actor_label, event.detail) for event in events] == [
        (str(dormant.pk), None, "system", {"reason": "dormant", "dormant_days": 90}),
        (str(never_old.pk), None, "system", {"reason": "dormant", "dormant_days": 90}),
    ]
    with time_machine.travel(NOW + DAY, tick=False):
        assert do_disable_dormant_accounts() == []  # idempotent


@pytest.mark.django_db
def test_the_dormancy_period_is_configurable(tree, make_staff, settings):  # type: ignore[no-untyped-def]
    settings.LINLI_STAFF_DORMANT_DAYS = 30
    account = staff_seen(make_staff, tree, "monthly", last_seen=NOW - 31 * DAY, joined=NOW - 400 * DAY)
    with time_machine.travel(NOW, tick=False):
        assert do_disable_dormant_accounts() == [account.pk]
    assert AuditEvent.objects.get(event_type="account.disabled").detail == {"reason": "dormant", "dormant_days": 30}


@pytest.mark.django_db
def test_a_dormant_account_that_signs_in_keeps_working(tree, make_staff):  # type: ignore[no-untyped-def]
    """Signing in resets the clock: someone signing in every 80 days is never disabled."""
    account = staff_seen(make_staff, tree, "regular", last_seen=NOW - 200 * DAY, joined=NOW - 400 * DAY)
    with time_machine.travel(NOW - 100 * DAY, tick=False):
        staff_sign_in(account)
    with time_machine.travel(NOW - 20 * DAY, tick=False):
        staff_sign_in(account)
    with time_machine.travel(NOW, tick=False):
        assert do_disable_dormant_accounts() == []
        client = staff_sign_in(account)
        assert is_signed_in(client)


@pytest.mark.django_db
def test_a_signed_in_dormant_account_is_signed_out(tree, make_staff):  # type: ignore[no-untyped-def]
    account = staff_seen(make_staff, tree, "idle.admin", last_seen=NOW - 95 * DAY, joined=NOW - 400 * DAY)
    with time_machine.travel(NOW - datetime.timedelta(minutes=5), tick=False):
        client = staff_sign_in(account, client=new_client())
        User.objects.filter(pk=account.pk).update(last_seen_at=NOW - 95 * DAY)  # as if the sign-in were long ago
    with time_machine.travel(NOW, tick=False):
        assert do_disable_dormant_accounts() == [account.pk]
        assert not is_signed_in(client)


def test_the_jobs_are_periodic_huey_tasks() -> None:
    for task in (tasks.disable_dormant_staff_accounts, tasks.purge_sessions, tasks.expire_login_codes):
        assert isinstance(task.task_class(), PeriodicTask)
    daily = tasks.disable_dormant_staff_accounts.task_class().validate_datetime
    assert daily(datetime.datetime(2026, 6, 1, 2, 10))
    assert not daily(datetime.datetime(2026, 6, 1, 3, 10))
    assert tasks.expire_login_codes.task_class().validate_datetime(datetime.datetime(2026, 6, 1, 7, 45))


@pytest.mark.django_db
def test_the_tasks_run_the_actions_as_jobs(tree, make_staff):  # type: ignore[no-untyped-def]
    account = staff_seen(make_staff, tree, "job.target", last_seen=NOW - 100 * DAY, joined=NOW - 400 * DAY)
    LoginCode.objects.create(phone_index="x" * 64, code_hash="y" * 64, expires_at=NOW - DAY)
    with time_machine.travel(NOW, tick=False):
        assert tasks.disable_dormant_staff_accounts.call_local() == [account.pk]
        assert tasks.expire_login_codes.call_local() == 1
        assert tasks.purge_sessions.call_local() == {"ended_absolute": 0, "ended_idle": 0, "purged": 0}
    events = AuditEvent.objects.filter(
        event_type__in=["account.disabled", "auth.login_codes_purged", "auth.sessions_ended"]
    )
    assert events.count() == 3
    assert set(events.values_list("source", flat=True)) == {"job"}
