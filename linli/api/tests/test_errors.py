"""G1: one JSON error body for every failure, LinliError codes mapped to statuses, never a stack
trace; security headers on API responses."""

from __future__ import annotations

import pytest

from linli import testing
from linli.accounts.models import Role
from linli.api.routers import me as me_router
from linli.core.errors import Conflict, LinliError, PermissionRefused, RateLimited, ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [False, True])
def test_unexpected_error_is_json_without_trace(tree, make_resident, monkeypatch, settings, caplog, debug) -> None:
    settings.DEBUG = debug

    def explode(user):
        raise RuntimeError("internal detail 13812345678")

    monkeypatch.setattr(me_router, "me_payload", explode)
    client = testing.client_for(make_resident())
    response = client.get("/api/v1/me", HTTP_X_REQUEST_ID="req42")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {
        "error": {"code": "server_error", "message": "Something went wrong. Quote request req42 if you report it."}
    }
    assert b"Traceback" not in response.content and b"internal detail" not in response.content
    assert response["X-Request-ID"] == "req42"
    assert any("API error (request req42)" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (Conflict("Already done."), 409, {"code": "conflict", "message": "Already done."}),
        (RateLimited("Slow down."), 429, {"code": "rate_limited", "message": "Slow down."}),
        (PermissionRefused("No."), 403, {"code": "forbidden", "message": "No."}),
        (LinliError("Odd.", code="odd"), 400, {"code": "odd", "message": "Odd."}),
        (
            ValidationFailed("Bad name.", code="name_bad", field="name"),
            422,
            {
                "code": "name_bad",
                "message": "Bad name.",
                "fields": [{"location": "query", "field": "name", "type": "name_bad", "message": "Bad name."}],
            },
        ),
    ],
)
def test_linli_errors_keep_their_code_and_status(tree, make_resident, monkeypatch, error, status, body) -> None:
    def refuse(user):
        raise error

    monkeypatch.setattr(me_router, "me_payload", refuse)
    response = testing.client_for(make_resident()).get("/api/v1/me")
    assert response.status_code == status
    assert response.json() == {"error": body}


def test_permission_error_from_an_action_is_403(tree, make_resident, monkeypatch) -> None:
    from linli.notify import actions

    def refuse(notification, *, acting_user):
        raise PermissionError("not the recipient")

    resident = make_resident()
    from linli.notify.models import Notification

    notification = Notification.objects.create(recipient=resident, title="t")
    monkeypatch.setattr(actions, "do_mark_read", refuse)
    response = testing.client_for(resident).post(f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 403
    assert response.json() == {"error": {"code": "forbidden", "message": "You may not do this."}}


def test_wrong_method_is_405(tree, make_staff) -> None:
    client = testing.client_for(make_staff(Role.GRID_WORKER, tree.grid_a1))
    assert client.put("/api/v1/me", {}, content_type="application/json").status_code == 405
    assert client.delete(f"/api/v1/areas/{tree.grid_a1.pk}").status_code == 405


def test_api_responses_carry_security_headers(tree, make_resident) -> None:
    response = testing.client_for(make_resident()).get("/api/v1/me")
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_messages_follow_the_language_codes_do_not(settings) -> None:
    """zh-Hans is the default language: messages are translated, codes stay stable."""
    from django.test import Client

    settings.LANGUAGE_CODE = "zh-hans"
    chinese = Client().get("/api/v1/me").json()["error"]
    english = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/me").json()["error"]
    assert chinese["code"] == english["code"] == "not_authenticated"
    assert english["message"] == "Sign in or send a valid API token."
    assert chinese["message"] != english["message"]
