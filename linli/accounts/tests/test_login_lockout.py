"""SECURITY.md test 4 (A4): brute-force lockout with time travel, through the real sign-in views.

* Staff: 5 wrong passwords for a username lock it for 30 minutes; the 6th attempt is refused even
  with the right password, with the same answer whether the account exists or not; every failure is
  audited; a per-IP limit across usernames answers 429.
* Residents: a code dies after 5 wrong tries, expires after 5 minutes, works once; a phone gets at
  most 5 codes an hour.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client

from linli import testing
from linli.accounts.actions.login import LOGIN_CODE_MAX_ATTEMPTS, do_expire_login_codes
from linli.accounts.models import LoginCode, Role, User, UserSession
from linli.accounts.tests.conftest import (
    RESIDENT_LOGIN_URL,
    SECOND_FACTOR_URL,
    error_messages,
    is_signed_in,
    latest_code,
    new_client,
    outbox_messages,
    password_step,
)
from linli.accounts.views.login import PENDING_PHONE_KEY
from linli.audit.models import AuditEvent
from linli.privacy import crypto

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
WRONG = "Wrong-Guess-123!"
WRONG_MESSAGE = "Wrong username or password."
LOCKED_MESSAGE = "Too many failed attempts. Try again in 30 minutes."
IP_LIMIT_MESSAGE = "Too many sign-in attempts. Try again in 30 minutes."


def failures_for(label: str) -> list[tuple[str, str]]:
    events = AuditEvent.objects.filter(event_type="auth.login_failed", actor_label=label).order_by("id")
    return [(event.outcome, event.detail.get("reason", "")) for event in events]


def hammer(client: Client, username: str, times: int = 5) -> list[tuple[int, list[str]]]:
    answers = []
    for _ in range(times):
        response = password_step(client, username, WRONG)
        answers.append((response.status_code, error_messages(response)))
    return answers


@pytest.mark.django_db
def test_five_failures_lock_the_account_name_for_thirty_minutes(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1, username="wang.grid")
    with time_machine.travel(START, tick=False) as traveller:
        client = new_client()
        # the fifth failure is refused and starts the lock (django-axes answers it already)
        assert hammer(client, "wang.grid") == [(422, [WRONG_MESSAGE])] * 4 + [(429, [LOCKED_MESSAGE])]

        response = password_step(client, "wang.grid", testing.STAFF_PASSWORD)
        assert response.status_code == 429
        assert error_messages(response) == [LOCKED_MESSAGE]
        assert "_auth_user_id" not in client.session
        assert not UserSession.objects.filter(user=staff).exists()
        assert failures_for("wang.grid") == [("failure", "bad_credentials")] * 5 + [("denied", "locked")]
        fifth = AuditEvent.objects.filter(event_type="auth.login_failed", actor_label="wang.grid").order_by("id")[4]
        assert fifth.detail == {"method": "password", "reason": "bad_credentials", "lockout_started": True}

        traveller.shift(datetime.timedelta(minutes=29))
        assert password_step(new_client(), "wang.grid", testing.STAFF_PASSWORD).status_code == 429

        traveller.shift(datetime.timedelta(minutes=31))
        response = password_step(new_client(), "wang.grid", testing.STAFF_PASSWORD)
        assert response.status_code == 302
        assert response["Location"].startswith(SECOND_FACTOR_URL)


@pytest.mark.django_db
def test_failures_spread_over_more_than_thirty_minutes_do_not_lock(tree, make_staff):  # type: ignore[no-untyped-def]
    make_staff(Role.GRID_WORKER, tree.grid_a1, username="li.grid")
    with time_machine.travel(START, tick=False) as traveller:
        hammer(new_client(), "li.grid", times=4)
        traveller.shift(datetime.timedelta(minutes=31))
        hammer(new_client(), "li.grid", times=1)
        response = password_step(new_client(), "li.grid", testing.STAFF_PASSWORD)
        assert response.status_code == 302


@pytest.mark.django_db
def test_unknown_and_existing_names_get_the_same_answers(tree, make_staff):  # type: ignore[no-untyped-def]
    make_staff(Role.GRID_WORKER, tree.grid_a1, username="zhao.grid")
    with time_machine.travel(START, tick=False):
        existing = hammer(new_client(), "zhao.grid") + [
            (response.status_code, error_messages(response))
            for response in [password_step(new_client(), "zhao.grid", testing.STAFF_PASSWORD)]
        ]
        unknown = hammer(new_client(), "nobody.here") + [
            (response.status_code, error_messages(response))
            for response in [password_step(new_client(), "nobody.here", testing.STAFF_PASSWORD)]
        ]
    assert existing == unknown == [(422, [WRONG_MESSAGE])] * 4 + [(429, [LOCKED_MESSAGE])] * 2
    assert failures_for("nobody.here") == [("failure", "bad_credentials")] * 5 + [("denied", "locked")]
    assert not User.objects.filter(username="nobody.here").exists()


@pytest.mark.django_db
def test_a_disabled_account_gets_the_wrong_password_answer(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1, username="sun.grid")
    User.objects.filter(pk=staff.pk).update(is_active=False)
    response = password_step(new_client(), "sun.grid", testing.STAFF_PASSWORD)
    assert response.status_code == 422
    assert error_messages(response) == [WRONG_MESSAGE]
    assert failures_for("sun.grid") == [("failure", "bad_credentials")]


@pytest.mark.django_db
def test_residents_cannot_use_the_staff_password_form(make_resident):  # type: ignore[no-untyped-def]
    resident = make_resident()
    response = password_step(new_client(), resident.username, testing.STAFF_PASSWORD)
    assert response.status_code == 422
    assert error_messages(response) == [WRONG_MESSAGE]


@pytest.mark.django_db
def test_per_ip_limit_across_usernames_answers_429(tree, make_staff, settings):  # type: ignore[no-untyped-def]
    settings.LINLI_LOGIN_IP_LIMIT = 6
    make_staff(Role.GRID_WORKER, tree.grid_a1, username="qian.grid")
    with time_machine.travel(START, tick=False) as traveller:
        client = new_client(REMOTE_ADDR="198.51.100.7")
        for number in range(6):
            assert password_step(client, f"guess{number}", WRONG).status_code == 422
        response = password_step(client, "qian.grid", testing.STAFF_PASSWORD)
        assert response.status_code == 429
        assert error_messages(response) == [IP_LIMIT_MESSAGE]
        assert failures_for("qian.grid") == [("denied", "ip_limit")]
        assert "_auth_user_id" not in client.session

        other_network = new_client(REMOTE_ADDR="203.0.113.9")
        assert password_step(other_network, "qian.grid", testing.STAFF_PASSWORD).status_code == 302

        traveller.shift(datetime.timedelta(minutes=31))
        assert (
            password_step(new_client(REMOTE_ADDR="198.51.100.7"), "qian.grid", testing.STAFF_PASSWORD).status_code
            == 302
        )


# --- residents: phone + one-time code ---------------------------------------------------------------

PHONE = "13912345678"


@pytest.mark.django_db
def test_a_code_dies_after_five_wrong_tries(request_code):  # type: ignore[no-untyped-def]
    client = new_client()
    assert request_code(client, PHONE).status_code == 302
    code = latest_code(PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(LOGIN_CODE_MAX_ATTEMPTS):
        response = client.post(RESIDENT_LOGIN_URL, {"code": wrong})
        assert response.status_code == 422
        assert error_messages(response) == ["The code is wrong or has expired."]
    response = client.post(RESIDENT_LOGIN_URL, {"code": code})
    assert response.status_code == 422
    assert not is_signed_in(client)
    assert not User.objects.exists()
    assert AuditEvent.objects.filter(event_type="auth.login_failed", outcome="failure").count() == 6


@pytest.mark.django_db
def test_a_code_expires_after_five_minutes(request_code):  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as traveller:
        client = new_client()
        request_code(client, PHONE)
        code = latest_code(PHONE)
        traveller.shift(datetime.timedelta(seconds=301))
        response = client.post(RESIDENT_LOGIN_URL, {"code": code})
        assert response.status_code == 422
        assert not User.objects.exists()

        request_code(client, PHONE)  # a new code works within its 5 minutes
        fresh = latest_code(PHONE)
        traveller.shift(datetime.timedelta(seconds=299))
        assert client.post(RESIDENT_LOGIN_URL, {"code": fresh}).status_code == 302
        assert is_signed_in(client)


@pytest.mark.django_db
def test_a_code_is_single_use(request_code):  # type: ignore[no-untyped-def]
    client = new_client()
    request_code(client, PHONE)
    code = latest_code(PHONE)
    assert client.post(RESIDENT_LOGIN_URL, {"code": code}).status_code == 302
    resident = User.objects.get()

    replay = new_client()
    session = replay.session
    session[PENDING_PHONE_KEY] = crypto.encrypt(PHONE, context=PENDING_PHONE_KEY)
    session.save()
    response = replay.post(RESIDENT_LOGIN_URL, {"code": code})
    assert response.status_code == 422
    assert not is_signed_in(replay)
    assert UserSession.objects.filter(user=resident).count() == 1


@pytest.mark.django_db
def test_a_new_code_replaces_the_previous_one(request_code):  # type: ignore[no-untyped-def]
    client = new_client()
    request_code(client, PHONE)
    first = latest_code(PHONE)
    client.post("/accounts/login/restart/")
    request_code(client, PHONE)
    second = latest_code(PHONE)
    if first != second:
        assert client.post(RESIDENT_LOGIN_URL, {"code": first}).status_code == 422
    assert client.post(RESIDENT_LOGIN_URL, {"code": second}).status_code == 302


@pytest.mark.django_db
def test_at_most_five_codes_per_phone_per_hour(request_code):  # type: ignore[no-untyped-def]
    with time_machine.travel(START.replace(minute=1), tick=False) as traveller:
        for _ in range(5):
            assert request_code(new_client(), PHONE).status_code == 302
        response = request_code(new_client(), PHONE)
        assert response.status_code == 429
        assert error_messages(response) == ["Too many codes were sent to this number. Try again in an hour."]
        assert len(outbox_messages(PHONE)) == 5
        assert LoginCode.objects.count() == 5
        # another phone is not affected
        assert request_code(new_client(), "13800000000").status_code == 302

        traveller.shift(datetime.timedelta(hours=1))
        assert request_code(new_client(), PHONE).status_code == 302
        assert len(outbox_messages(PHONE)) == 6


@pytest.mark.django_db
def test_expired_codes_are_deleted_by_the_housekeeping_action(request_code):  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as traveller:
        request_code(new_client(), PHONE)
        request_code(new_client(), "13800000000")
        traveller.shift(datetime.timedelta(seconds=200))
        request_code(new_client(), "13700000000")
        traveller.shift(datetime.timedelta(seconds=101))
        assert do_expire_login_codes() == 2
        assert LoginCode.objects.count() == 1
        event = AuditEvent.objects.get(event_type="auth.login_codes_purged")
        assert event.detail == {"count": 2}
        assert do_expire_login_codes() == 0
        assert AuditEvent.objects.filter(event_type="auth.login_codes_purged").count() == 1
