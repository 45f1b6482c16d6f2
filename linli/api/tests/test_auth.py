"""Authentication: bearer tokens (valid, revoked, expired, malformed, inactive owner), sessions
(password-only staff sessions refused), CSRF on session writes, failed-auth auditing."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from linli import testing
from linli.accounts.models import ApiToken, Role, RoleAssignment, User
from linli.api.tests.conftest import bearer
from linli.audit.models import AuditEvent
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def _csrf_client(user: User) -> tuple[Client, str]:
    client = testing.sign_in(Client(enforce_csrf_checks=True), user)
    assert client.get("/accounts/").status_code == 200  # sets the CSRF cookie
    return client, client.cookies["csrftoken"].value


def test_token_authenticates_as_owner_narrowed_to_its_area(tree, make_staff, mint_token) -> None:
    officer = make_staff(Role.STREET_OFFICER, tree.street)
    token = mint_token(officer, tree.grid_a1)
    response = bearer(token).get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == officer.pk
    assert body["token_area_id"] == tree.grid_a1.pk
    assert body["roles"] == [
        {
            "role": "street_officer",
            "role_label": "street officer",
            "area_id": tree.grid_a1.pk,
            "area_name": tree.grid_a1.name,
            "department_id": None,
        }
    ]


def test_malformed_and_wrong_tokens_are_refused(tree, make_staff, mint_token) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    prefix = token.split("_")[1]
    wrong_secret = f"lnl_{prefix}_{'A' * 43}"
    for header in (
        f"Bearer {token[:-1]}",
        f"Bearer {wrong_secret}",
        "Bearer lnl_00000000_" + "B" * 43,
        "Bearer garbage",
        "bearer " + token[:-1],
        "Bearer ",
    ):
        response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
        assert response.status_code == 401, header
        assert response.json()["error"]["code"] == "invalid_token", header
    # Other schemes are not API tokens: without a session that is simply not signed in.
    for header in (f"Token {token}", f"Basic {token}"):
        response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
        assert (response.status_code, response.json()["error"]["code"]) == (401, "not_authenticated"), header


def test_other_authorization_schemes_leave_the_session_alone(tree, make_staff) -> None:
    """A proxy's Basic auth in front of the site must not break the web session's API calls."""
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert (response.status_code, response.json()["id"]) == (200, worker.pk)


def test_invalid_token_never_falls_back_to_the_session(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer lnl_00000000_" + "C" * 43)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_revoked_token_is_refused_on_the_next_request(tree, make_staff, mint_token, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    client = bearer(token)
    assert client.get("/api/v1/areas").status_code == 200
    row = ApiToken.objects.get()
    assert admin_client.post(f"/api/v1/tokens/{row.pk}/revoke").status_code == 200
    response = client.get("/api/v1/areas")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_expired_token_is_refused(tree, make_staff, mint_token) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1, days=1)
    assert bearer(token).get("/api/v1/me").status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        response = bearer(token).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"


def test_token_of_disabled_owner_is_refused(tree, make_staff, mint_token) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    User.objects.filter(pk=worker.pk).update(is_active=False)
    assert bearer(token).get("/api/v1/me").status_code == 401


def test_role_revocation_narrows_token_on_next_request(tree, make_staff, mint_token) -> None:
    """B6: the token acts with its owner's current roles."""
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    assert bearer(token).get("/api/v1/areas").json()["count"] == 5
    RoleAssignment.objects.filter(user=worker).update(revoked_at=timezone.now())
    response = bearer(token).get("/api/v1/areas")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_last_used_is_written_at_most_once_a_minute(tree, make_staff, mint_token) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    assert ApiToken.objects.get().last_used_at is None
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        bearer(token).get("/api/v1/me")
    assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=59), tick=False):
        bearer(token).get("/api/v1/me")
    assert ApiToken.objects.get().last_used_at == start
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        bearer(token).get("/api/v1/me")
    assert ApiToken.objects.get().last_used_at == start + datetime.timedelta(seconds=61)


def test_failed_token_auth_is_audited_once_per_ip_per_minute(tree, make_staff, mint_token) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    prefix = token.split("_")[1]
    bad = f"lnl_{prefix}_{'D' * 43}"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            assert bearer(bad).get("/api/v1/me").status_code == 401
    events = list(AuditEvent.objects.filter(event_type="api.auth_failed"))
    assert len(events) == 1
    assert events[0].outcome == "failure"
    assert events[0].actor_label == f"lnl_{prefix}"
    assert events[0].detail == {"reason": "unknown", "method": "api_token"}
    assert "D" * 43 not in str(events[0].detail) + events[0].actor_label
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        assert bearer(bad).get("/api/v1/me").status_code == 401
        assert Client(HTTP_AUTHORIZATION="Bearer x", REMOTE_ADDR="10.0.0.9").get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(event_type="api.auth_failed").count() == 3


def test_expired_and_revoked_failures_name_the_reason(tree, make_staff, mint_token, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    row = ApiToken.objects.get()
    admin_client.post(f"/api/v1/tokens/{row.pk}/revoke")
    assert bearer(token).get("/api/v1/me").status_code == 401
    event = AuditEvent.objects.filter(event_type="api.auth_failed").get()
    assert (event.object_type, event.object_id, event.detail["reason"]) == ("accounts.apitoken", str(row.pk), "revoked")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/areas"),
        ("get", "/api/v1/notifications"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/notifications/read-all"),
    ],
)
def test_password_only_staff_session_gets_401(tree, make_staff, method, path) -> None:
    """A6: a staff session without TOTP reaches no staff data through the API."""
    admin = make_staff(Role.SYSTEM_ADMIN, tree.district)
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    Notification.objects.create(recipient=worker, title="t")
    for user in (admin, worker):
        client = testing.client_for(user, second_factor=False)
        response = getattr(client, method)(path)
        assert response.status_code == 401, (user, path)
        assert response.json()["error"]["code"] == "second_factor_required"
    assert Notification.objects.get().read_at is None


def test_staff_session_with_totp_reaches_staff_data(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    assert testing.client_for(worker).get("/api/v1/areas").status_code == 200


def test_resident_session_is_refused_staff_functions_and_audited(tree, make_resident) -> None:
    resident = make_resident()
    client = testing.client_for(resident)
    assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/areas")
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "forbidden", "message": "You may not do this."}}
    event = AuditEvent.objects.filter(event_type="authz.denied").get()
    assert (event.actor_id, event.outcome, event.object_id) == (resident.pk, "denied", "/api/v1/areas")


def test_disabled_account_session_is_refused(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(worker)
    User.objects.filter(pk=worker.pk).update(is_active=False)
    assert client.get("/api/v1/me").status_code == 401


def test_session_post_without_csrf_token_is_refused(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    notification = Notification.objects.create(recipient=worker, title="t")
    client, csrf = _csrf_client(worker)
    for path in ("/api/v1/notifications/read-all", f"/api/v1/notifications/{notification.pk}/read"):
        response = client.post(path)
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "csrf_failed"
    assert Notification.objects.get().read_at is None
    response = client.post("/api/v1/notifications/read-all", HTTP_X_CSRFTOKEN=csrf)
    assert response.status_code == 200
    assert response.json() == {"marked": 1}


def test_session_patch_without_csrf_token_is_refused(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client, csrf = _csrf_client(worker)
    response = client.patch("/api/v1/me/preferences", {"elderly_mode": True}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    worker.refresh_from_db()
    assert worker.elderly_mode is False
    response = client.patch(
        "/api/v1/me/preferences", {"elderly_mode": True}, content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert response.status_code == 200
    worker.refresh_from_db()
    assert worker.elderly_mode is True


def test_session_get_needs_no_csrf_token(tree, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.sign_in(Client(enforce_csrf_checks=True), worker)
    assert client.get("/api/v1/me").status_code == 200


def test_token_writes_need_no_csrf_token(tree, make_staff, mint_token) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    Notification.objects.create(recipient=worker, title="t")
    response = bearer(token, enforce_csrf_checks=True).post("/api/v1/notifications/read-all")
    assert response.status_code == 200
    assert response.json() == {"marked": 1}


def test_token_cannot_manage_tokens(tree, make_staff, mint_token, system_admin) -> None:
    """Token management is session-only: a bearer token there is no sign-in at all."""
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = mint_token(worker, tree.grid_a1)
    client = bearer(token)
    assert client.get("/api/v1/tokens").status_code == 401
    payload = {"name": "x", "owner_id": worker.pk, "area_id": tree.grid_a1.pk}
    assert client.post("/api/v1/tokens", payload, content_type="application/json").status_code == 401
    assert client.post(f"/api/v1/tokens/{ApiToken.objects.get().pk}/revoke").status_code == 401
    assert ApiToken.objects.get().revoked_at is None
    assert ApiToken.objects.count() == 1
