"""Issue 5, security finding 3: the session id is rotated at every privilege change — the password
step, the TOTP step (and first enrolment), fresh re-authentication, and a change of the account's
roles — so a session id known before (fixated, or copied from a shared computer) signs no one in
afterwards."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import Client

from linli import testing
from linli.accounts.actions.roles import do_assign_role, do_revoke_role
from linli.accounts.models import Role, RoleAssignment, StaffTOTPDevice
from linli.accounts.tests.conftest import (
    SECOND_FACTOR_URL,
    fresh_totp,
    latest_code,
    new_client,
    password_step,
    staff_sign_in,
)
from linli.audit.models import AuditEvent

COOKIE = settings.SESSION_COOKIE_NAME


def cookie(client: Client) -> str:
    return client.cookies[COOKIE].value


def with_cookie(value: str) -> Client:
    """Another browser presenting a known session id."""
    client = new_client()
    client.cookies[COOKIE] = value
    return client


def is_anonymous(client: Client) -> bool:
    response = client.get("/accounts/")
    return response.status_code == 302 and "login/" in response["Location"]


@pytest.mark.django_db
def test_the_password_step_does_not_keep_a_planted_session_id(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    planted = SessionStore()
    planted["linli_language_hint"] = "zh-hans"
    planted.create()
    client = with_cookie(planted.session_key)
    assert password_step(client, staff.username).status_code == 302
    assert cookie(client) != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    attacker = with_cookie(planted.session_key)
    assert attacker.get(SECOND_FACTOR_URL)["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_totp_step_rotates_the_session_id(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = new_client()
    assert password_step(client, staff.username).status_code == 302
    before_totp = cookie(client)
    device = StaffTOTPDevice.objects.get(user=staff)
    assert client.post(SECOND_FACTOR_URL, {"code": fresh_totp(device)}).status_code == 302
    after_totp = cookie(client)
    assert after_totp != before_totp
    assert not Session.objects.filter(session_key=before_totp).exists()
    # the id known before the second factor is worth nothing now …
    old = with_cookie(before_totp)
    response = old.get("/workbench/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert is_anonymous(old)
    # … and the new one is a full staff session
    assert client.get("/workbench/").status_code == 200
    assert with_cookie(after_totp).get("/workbench/").status_code == 200


@pytest.mark.django_db
def test_staff_re_authentication_rotates_the_session_id(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = staff_sign_in(staff)
    before = cookie(client)
    device = StaffTOTPDevice.objects.get(user=staff)
    response = client.post(
        "/accounts/reauthenticate/?next=/accounts/", {"password": testing.STAFF_PASSWORD, "code": fresh_totp(device)}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/"
    assert cookie(client) != before
    assert is_anonymous(with_cookie(before))
    assert client.get("/workbench/").status_code == 200


@pytest.mark.django_db
def test_resident_re_authentication_rotates_the_session_id(resident_sign_in, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    phone = "13912345678"
    client = resident_sign_in(phone)
    before = cookie(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/reauthenticate/?next=/accounts/", {"send_code": "1"})
    assert response.status_code == 302
    assert cookie(client) == before  # asking for a code changes nothing
    response = client.post("/accounts/reauthenticate/?next=/accounts/", {"code": latest_code(phone)})
    assert response.status_code == 302
    assert cookie(client) != before
    assert is_anonymous(with_cookie(before))
    assert client.get("/accounts/").status_code == 200


@pytest.mark.django_db
def test_a_role_change_rotates_the_session_id_on_the_next_request(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    security_admin = make_staff(Role.SECURITY_ADMIN, tree.district)
    client = staff_sign_in(staff)
    assert client.get("/workbench/").status_code == 200
    stable = cookie(client)
    assert client.get("/workbench/").status_code == 200
    assert cookie(client) == stable  # no change, no rotation

    assignment = do_assign_role(staff, role=Role.GRID_WORKER, area=tree.grid_a2, acting_user=security_admin)
    assert client.get("/workbench/").status_code == 200
    after_grant = cookie(client)
    assert after_grant != stable
    assert is_anonymous(with_cookie(stable))
    assert (
        AuditEvent.objects.filter(
            event_type="auth.session_rotated", actor_id=staff.pk, detail__reason="roles_changed"
        ).count()
        == 1
    )

    do_revoke_role(assignment, acting_user=security_admin)
    assert client.get("/accounts/").status_code == 200
    assert cookie(client) != after_grant
    assert is_anonymous(with_cookie(after_grant))
    assert RoleAssignment.objects.active().filter(user=staff).count() == 1
