"""SECURITY.md test 5 (A5): the session lifecycle, through the real sign-in views.

New session id at sign-in; 30 minutes idle → signed out; 12 hours absolute even when active;
sign-out invalidates the session on the server (a replayed cookie fails); "sign out everywhere";
a password or second-factor change ends the other sessions; the account page lists the active
sessions and ends one.
"""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client

from linli import testing
from linli.accounts.actions.sessions import SESSION_RECORD_RETENTION_DAYS, do_purge_sessions
from linli.accounts.models import Role, StaffTOTPDevice, User, UserSession
from linli.accounts.tests.conftest import RESIDENT_LOGIN_URL, is_signed_in, new_client, staff_sign_in
from linli.audit.models import AuditEvent

START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
PHONE = "13912345678"
NEW_PASSWORD = "Another-Horse-77?"


def cookie(client: Client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def replay(session_key: str) -> Client:
    client = new_client()
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


@pytest.mark.django_db
def test_staff_sign_in_issues_a_new_session_id(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = new_client()
    client.get("/accounts/staff-login/")
    anonymous = client.session
    anonymous["probe"] = 1
    anonymous.save()
    before = cookie(client)
    staff_sign_in(staff, client=client)
    after = cookie(client)
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert is_signed_in(client)
    assert not is_signed_in(replay(before))


@pytest.mark.django_db
def test_resident_sign_in_issues_a_new_session_id(request_code):  # type: ignore[no-untyped-def]
    from linli.accounts.tests.conftest import latest_code

    client = new_client()
    request_code(client, PHONE)
    before = cookie(client)  # the session holding the pending phone number
    assert client.post(RESIDENT_LOGIN_URL, {"code": latest_code(PHONE)}).status_code == 302
    assert cookie(client) != before
    assert not Session.objects.filter(session_key=before).exists()
    assert is_signed_in(client)


@pytest.mark.django_db
def test_idle_for_thirty_minutes_signs_out(tree, make_staff, resident_sign_in):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        staff_client = staff_sign_in(staff)
        resident_client = resident_sign_in(PHONE)
        traveller.shift(datetime.timedelta(minutes=29))
        assert staff_client.get("/workbench/").status_code == 200  # activity resets the idle clock
        assert is_signed_in(resident_client)
        traveller.shift(datetime.timedelta(minutes=29))
        assert staff_client.get("/workbench/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=30, seconds=1))
        response = staff_client.get("/workbench/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/staff-login/?next=%2Fworkbench%2F"  # staff, not resident sign-in
        assert not is_signed_in(staff_client)
        assert not is_signed_in(resident_client)
    records = UserSession.objects.filter(ended_at__isnull=False)
    assert sorted(records.values_list("end_reason", flat=True)) == ["idle_timeout", "idle_timeout"]
    assert AuditEvent.objects.filter(event_type="auth.session_ended", detail__reason="idle_timeout").count() == 2


@pytest.mark.django_db
def test_twelve_hours_is_the_absolute_limit_even_when_active(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        client = staff_sign_in(staff)
        for _ in range(12 * 3 - 1):  # a request every 20 minutes for 11 h 40 min
            traveller.shift(datetime.timedelta(minutes=20))
            assert client.get("/workbench/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=20, seconds=1))
        response = client.get("/workbench/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/staff-login/?next=%2Fworkbench%2F"
        assert not is_signed_in(client)


@pytest.mark.django_db
def test_the_absolute_limit_is_enforced_by_the_session_record(tree, make_staff, settings):  # type: ignore[no-untyped-def]
    """With a shorter configured limit than the cookie's, the server-side record still ends it."""
    settings.LINLI_SESSION_ABSOLUTE_SECONDS = 2 * 3600
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        client = staff_sign_in(staff)
        for _ in range(5):
            traveller.shift(datetime.timedelta(minutes=20))
            assert client.get("/workbench/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=20, seconds=1))
        assert client.get("/workbench/").status_code == 302
    record = UserSession.objects.get(user=staff)
    assert record.end_reason == "absolute_timeout"
    assert record.ended_at == START + datetime.timedelta(hours=2, seconds=1)


@pytest.mark.django_db
def test_sign_out_invalidates_the_session_on_the_server(tree, make_staff, resident_sign_in):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    for client in (staff_sign_in(staff), resident_sign_in(PHONE)):
        key = cookie(client)
        assert is_signed_in(replay(key))
        assert client.post("/accounts/logout/").status_code == 302
        assert not is_signed_in(client)
        assert not is_signed_in(replay(key))
        assert not Session.objects.filter(session_key=key).exists()
    assert sorted(UserSession.objects.values_list("end_reason", flat=True)) == ["logout", "logout"]


@pytest.mark.django_db
def test_a_stolen_cookie_stops_working_when_the_record_is_ended(tree, make_staff):  # type: ignore[no-untyped-def]
    """Even if the Django session row survived, an ended server-side record refuses the cookie."""
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = staff_sign_in(staff)
    key = cookie(client)
    UserSession.objects.filter(user=staff).update(ended_at=START, end_reason="logout_everywhere")
    assert not is_signed_in(replay(key))


@pytest.mark.django_db
def test_sign_out_everywhere_ends_every_session(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        phone = staff_sign_in(staff, user_agent="phone")
        traveller.shift(datetime.timedelta(seconds=30))
        desktop = staff_sign_in(staff, user_agent="desktop")
        traveller.shift(datetime.timedelta(seconds=30))
        tablet = staff_sign_in(staff, user_agent="tablet")
        other_person = staff_sign_in(make_staff(Role.GRID_WORKER, tree.grid_a2))
        response = desktop.post("/accounts/sessions/end-all/")
        assert response.status_code == 302
        for client in (phone, desktop, tablet):
            assert not is_signed_in(client)
        assert is_signed_in(other_person)
    assert UserSession.objects.filter(user=staff, ended_at__isnull=True).count() == 0
    assert set(UserSession.objects.filter(user=staff).values_list("end_reason", flat=True)) == {"logout_everywhere"}
    event = AuditEvent.objects.get(event_type="auth.sessions_ended", object_id=str(staff.pk))
    assert event.detail == {"reason": "logout_everywhere", "count": 3}


@pytest.mark.django_db
def test_a_password_change_ends_the_other_sessions(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        here = staff_sign_in(staff, user_agent="here")
        traveller.shift(datetime.timedelta(seconds=30))
        elsewhere = staff_sign_in(staff, user_agent="elsewhere")
        key_before = cookie(here)
        response = here.post(
            "/accounts/password/",
            {"old_password": testing.STAFF_PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        )
        assert response.status_code == 302
        assert is_signed_in(here)
        assert cookie(here) != key_before  # the session id changes with the password
        assert not is_signed_in(elsewhere)
    ended = UserSession.objects.get(user=staff, user_agent="elsewhere")
    assert ended.end_reason == "password_changed"
    assert UserSession.objects.get(user=staff, user_agent="here").ended_at is None
    staff.refresh_from_db()
    assert staff.check_password(NEW_PASSWORD)
    assert staff.password_changed_at == START + datetime.timedelta(seconds=30)


@pytest.mark.django_db
def test_a_second_factor_reset_ends_every_session(tree, make_staff):  # type: ignore[no-untyped-def]
    from linli.accounts.actions.staff import do_reset_staff_second_factor

    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    security_admin = make_staff(Role.SECURITY_ADMIN, tree.district)
    client = staff_sign_in(staff)
    do_reset_staff_second_factor(staff, acting_user=security_admin)
    assert not is_signed_in(client)
    assert not StaffTOTPDevice.objects.filter(user=staff).exists()
    assert UserSession.objects.get(user=staff).end_reason == "second_factor_reset"


OFFICE_PC = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
LOST_PHONE = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36"
ENDED_TABLET = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15"


@pytest.mark.django_db
def test_the_account_page_lists_active_sessions_and_ends_one(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        mine = staff_sign_in(staff, user_agent=OFFICE_PC)
        traveller.shift(datetime.timedelta(seconds=30))
        lost = staff_sign_in(staff, user_agent=LOST_PHONE)
        old = UserSession.objects.create(user=staff, ended_at=START, end_reason="logout", user_agent=ENDED_TABLET)
        page = mine.get("/accounts/").content.decode()
        # Devices are named by browser and system, never by the raw user-agent string.
        assert "Firefox · Windows" in page
        assert "Chrome · Android" in page
        assert "Safari" not in page  # the ended session is not listed
        assert OFFICE_PC not in page and LOST_PHONE not in page
        lost_record = UserSession.objects.get(user_agent=LOST_PHONE)
        assert f"/accounts/sessions/{lost_record.id}/end/" in page
        mine_record = UserSession.objects.get(user_agent=OFFICE_PC)
        assert f"/accounts/sessions/{mine_record.id}/end/" not in page  # this device signs out normally

        # another account cannot end it (404, nothing changes)
        stranger = staff_sign_in(make_staff(Role.GRID_WORKER, tree.grid_a2))
        assert stranger.post(f"/accounts/sessions/{lost_record.id}/end/").status_code == 404
        assert is_signed_in(lost)
        assert mine.post(f"/accounts/sessions/{old.id}/end/").status_code == 404

        assert mine.post(f"/accounts/sessions/{lost_record.id}/end/").status_code == 302
        assert not is_signed_in(lost)
        assert is_signed_in(mine)
    lost_record.refresh_from_db()
    assert lost_record.end_reason == "ended_by_user"


@pytest.mark.django_db
def test_disabled_accounts_are_signed_out_on_their_next_request(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = staff_sign_in(staff)
    User.objects.filter(pk=staff.pk).update(is_active=False)
    assert not is_signed_in(client)


@pytest.mark.django_db
def test_housekeeping_ends_abandoned_sessions_and_purges_old_records(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    now = START + datetime.timedelta(days=400)
    day = datetime.timedelta(days=1)
    keep_ended = UserSession.objects.create(
        user=staff, created_at=now - 183 * day, last_activity_at=now - 183 * day, ended_at=now - 183 * day
    )
    purge_ended = UserSession.objects.create(
        user=staff, created_at=now - 185 * day, last_activity_at=now - 185 * day, ended_at=now - 185 * day
    )
    idle = UserSession.objects.create(
        user=staff, created_at=now - datetime.timedelta(hours=1), last_activity_at=now - datetime.timedelta(minutes=31)
    )
    too_old = UserSession.objects.create(
        user=staff,
        created_at=now - datetime.timedelta(hours=12, minutes=1),
        last_activity_at=now - datetime.timedelta(minutes=1),
    )
    live = UserSession.objects.create(
        user=staff, created_at=now - datetime.timedelta(hours=1), last_activity_at=now - datetime.timedelta(minutes=5)
    )
    with time_machine.travel(now - datetime.timedelta(hours=13), tick=False):
        expired = new_client()
        staff_sign_in(staff, client=expired)
        expired_key = cookie(expired)
    with time_machine.travel(now, tick=False):
        counts = do_purge_sessions()
    assert counts == {"ended_absolute": 2, "ended_idle": 1, "purged": 1}  # the signed-in one above is 13 h old
    assert SESSION_RECORD_RETENTION_DAYS == 184
    assert not UserSession.objects.filter(pk=purge_ended.pk).exists()
    assert UserSession.objects.filter(pk=keep_ended.pk).exists()
    idle.refresh_from_db()
    too_old.refresh_from_db()
    live.refresh_from_db()
    assert (idle.end_reason, too_old.end_reason, live.ended_at) == ("idle_timeout", "absolute_timeout", None)
    assert not Session.objects.filter(session_key=expired_key).exists()
    event = AuditEvent.objects.get(event_type="auth.sessions_purged")
    assert event.detail == counts
