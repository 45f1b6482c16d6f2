"""The cheap identity path (docs/decisions/0011-signed-in-request-cost.md): one hand-written query
loads user, verified device and session record, and nothing is cached across requests — so a
revoked role, a disabled account, a reset TOTP device and an ended session each take effect on
the very next request. The changes below are made behind the session's back (directly in the
database, not through the actions that also end sessions), so each check is shown to hold on
its own."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY

from linli import testing
from linli.accounts.actions.roles import do_revoke_role
from linli.accounts.actions.sessions import do_end_session
from linli.accounts.middleware import SESSION_RECORD_KEY
from linli.accounts.models import Role, RoleAssignment, StaffTOTPDevice, User, UserSession

LOGIN_PAGES = ("/accounts/login/", "/accounts/staff-login/")  # which one is the guard's choice
SECOND_FACTOR = "/accounts/second-factor/"
START = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)


def signed_in_worker(tree) -> tuple[User, Client]:  # type: ignore[no-untyped-def]
    worker = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    for _ in range(3):  # the third request on runs the one-query path (the session is known)
        assert client.get("/residents/").status_code == 200
    return worker, client


def is_login_redirect(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and response["Location"].split("?")[0] in LOGIN_PAGES


def record_of(client: Client) -> UserSession:
    return UserSession.objects.get(id=client.session[SESSION_RECORD_KEY])


@pytest.mark.django_db
def test_a_revoked_role_stops_counting_on_the_next_request(tree) -> None:  # type: ignore[no-untyped-def]
    worker, client = signed_in_worker(tree)
    admin = testing.make_staff(Role.SECURITY_ADMIN, tree.district)
    assignment = RoleAssignment.objects.get(user=worker, role=Role.GRID_WORKER)
    do_revoke_role(assignment, acting_user=admin, reason="moved to another street")
    assert client.get("/residents/").status_code == 404
    assert client.get("/workbench/").status_code == 404  # no role left: no workbench either


@pytest.mark.django_db
def test_a_disabled_account_is_signed_out_on_the_next_request(tree) -> None:  # type: ignore[no-untyped-def]
    worker, client = signed_in_worker(tree)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    User.objects.filter(pk=worker.pk).update(is_active=False)
    response = client.get("/residents/")
    assert is_login_redirect(response)
    assert not response.wsgi_request.user.is_authenticated
    assert not Session.objects.filter(session_key=session_key).exists()  # flushed


@pytest.mark.django_db
def test_a_reset_device_unverifies_the_next_request(tree) -> None:  # type: ignore[no-untyped-def]
    worker, client = signed_in_worker(tree)
    StaffTOTPDevice.objects.filter(user=worker).delete()
    response = client.get("/residents/")
    assert response.status_code == 302
    assert response["Location"].startswith(SECOND_FACTOR)
    assert response.wsgi_request.user.is_authenticated
    assert response.wsgi_request.user.is_verified() is False
    assert DEVICE_ID_SESSION_KEY not in client.session


@pytest.mark.django_db
def test_an_unconfirmed_or_foreign_device_does_not_verify(tree) -> None:  # type: ignore[no-untyped-def]
    worker, client = signed_in_worker(tree)
    other = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = StaffTOTPDevice.objects.get(user=other).persistent_id
    session.save()
    response = client.get("/residents/")
    assert response.status_code == 302 and response["Location"].startswith(SECOND_FACTOR)
    own = StaffTOTPDevice.objects.get(user=worker)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = own.persistent_id
    session.save()
    StaffTOTPDevice.objects.filter(pk=own.pk).update(confirmed=False)
    response = client.get("/residents/")
    assert response.status_code == 302 and response["Location"].startswith(SECOND_FACTOR)


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["ended_by_admin", "logout_everywhere"])
def test_an_ended_session_is_signed_out_on_the_next_request(tree, reason) -> None:  # type: ignore[no-untyped-def]
    _worker, client = signed_in_worker(tree)
    admin = testing.make_staff(Role.SYSTEM_ADMIN, tree.district)
    do_end_session(record_of(client), reason=reason, acting_user=admin)
    response = client.get("/residents/")
    assert is_login_redirect(response)
    assert not response.wsgi_request.user.is_authenticated
    assert getattr(response.wsgi_request, "linli_session_expired", False) is True
    assert response["Location"].startswith("/accounts/staff-login/")  # staff go back to the staff sign-in


@pytest.mark.django_db
def test_a_password_changed_elsewhere_signs_the_session_out(tree) -> None:  # type: ignore[no-untyped-def]
    worker, client = signed_in_worker(tree)
    worker.set_password("Another-Horse-77?")
    worker.save(update_fields=["password"])
    response = client.get("/residents/")
    assert is_login_redirect(response)


@pytest.mark.django_db
def test_identity_costs_one_query_and_decrypts_nothing(tree) -> None:  # type: ignore[no-untyped-def]
    worker, client = signed_in_worker(tree)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert len(captured.captured_queries) == 1  # session row, user, device and record together
    sql = captured.captured_queries[0]["sql"]
    assert 'FROM "django_session"' in sql and '"accounts_user"' in sql and '"accounts_usersession"' in sql
    user = response.wsgi_request.user
    assert user.pk == worker.pk and user.is_verified() is True
    assert {"phone", "id_number"} <= user.get_deferred_fields()  # encrypted columns not read
    assert user.otp_device.pk == StaffTOTPDevice.objects.get(user=worker).pk
    assert response.wsgi_request.linli_session.id == record_of(client).id


@pytest.mark.django_db
def test_a_session_first_seen_costs_two_queries(tree) -> None:  # type: ignore[no-untyped-def]
    worker = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/manifest.webmanifest").status_code == 200
    tables = [query["sql"].split(" FROM ", 1)[1].split()[0].strip('"') for query in captured.captured_queries]
    assert tables == ["django_session", "accounts_user"]


@pytest.mark.django_db
def test_a_deleted_session_row_signs_out_on_the_one_query_path(tree) -> None:  # type: ignore[no-untyped-def]
    _worker, client = signed_in_worker(tree)
    Session.objects.filter(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value).delete()
    response = client.get("/residents/")
    assert is_login_redirect(response)
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_the_activity_write_runs_at_most_once_a_minute(tree) -> None:  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as traveller:
        _worker, client = signed_in_worker(tree)
        record = record_of(client)
        traveller.shift(datetime.timedelta(seconds=30))
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/manifest.webmanifest").status_code == 200
        assert not any(query["sql"].startswith("UPDATE") for query in captured.captured_queries)
        record.refresh_from_db()
        assert record.last_activity_at == START
        traveller.shift(datetime.timedelta(seconds=31))
        assert client.get("/manifest.webmanifest").status_code == 200
        record.refresh_from_db()
        assert record.last_activity_at == START + datetime.timedelta(seconds=61)


@pytest.mark.django_db
def test_anonymous_requests_without_a_cookie_read_nothing(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        response = Client().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated is False
    assert response.wsgi_request.user.is_verified() is False
