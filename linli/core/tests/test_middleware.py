"""Security headers on every response (SECURITY.md G1, D5, F6)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/healthz", "/no-such-page/"])
def test_security_headers(path: str) -> None:
    response = Client().get(path)
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cache-Control"] == "no-store"
    assert len(response["X-Request-ID"]) == 32


@pytest.mark.django_db
def test_request_id_is_propagated_when_well_formed() -> None:
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] == "abc123"
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="bad id; drop")
    assert response["X-Request-ID"] != "bad id; drop"


@pytest.mark.django_db
def test_unknown_page_has_no_stack_trace() -> None:
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert b"Traceback" not in response.content


@pytest.mark.django_db
def test_healthz_reports_writable_database() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
