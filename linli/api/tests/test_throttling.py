"""G2 throttles: per source IP for anonymous callers (failed sign-ins included), per account for
signed-in callers; 429 with Retry-After and the JSON error body."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from linli import testing
from linli.accounts.models import Role
from linli.api.tests.conftest import bearer
from linli.api.throttling import parse_rate

FROZEN = datetime.datetime(2026, 11, 2, 9, 0, 5, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("60/min", (60, 60)),
        ("600/m", (600, 60)),
        ("5/s", (5, 1)),
        ("10/sec", (10, 1)),
        ("100/hour", (100, 3600)),
        ("1000/day", (1000, 86400)),
        ("7/5min", (7, 300)),
        (" 3 / h ", (3, 3600)),
    ],
)
def test_parse_rate(rate, expected) -> None:
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["", "x/min", "10/fortnight", "10", "-1/min"])
def test_parse_rate_refuses_nonsense(rate) -> None:
    with pytest.raises(ValueError, match="invalid rate"):
        parse_rate(rate)


def _assert_throttled(response) -> None:
    assert response.status_code == 429
    assert response.json() == {"error": {"code": "rate_limited", "message": "Too many requests. Try again later."}}
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.django_db
def test_anonymous_requests_are_throttled_per_ip(settings) -> None:
    settings.LINLI_API_RATE_ANONYMOUS = "3/min"
    with time_machine.travel(FROZEN, tick=False):
        client = Client(REMOTE_ADDR="192.0.2.10")
        for _ in range(3):
            assert client.get("/api/v1/me").status_code == 401
        _assert_throttled(client.get("/api/v1/me"))
        _assert_throttled(client.get("/api/v1/areas", HTTP_AUTHORIZATION="Bearer lnl_00000000_" + "x" * 43))
        _assert_throttled(client.get("/api/v1/openapi.json"))
        # X-Forwarded-For from the client is not trusted: the peer address counts.
        _assert_throttled(client.get("/api/v1/me", HTTP_X_FORWARDED_FOR="198.51.100.7"))
        assert Client(REMOTE_ADDR="192.0.2.11").get("/api/v1/me").status_code == 401
    with time_machine.travel(FROZEN + datetime.timedelta(seconds=60), tick=False):
        assert client.get("/api/v1/me").status_code == 401


@pytest.mark.django_db
def test_schema_is_throttled_for_anonymous_clients(settings) -> None:
    settings.LINLI_API_RATE_ANONYMOUS = "2/min"
    with time_machine.travel(FROZEN, tick=False):
        client = Client()
        assert client.get("/api/v1/openapi.json").status_code == 200
        assert client.get("/api/v1/openapi.json").status_code == 200
        _assert_throttled(client.get("/api/v1/openapi.json"))


@pytest.mark.django_db
def test_signed_in_requests_are_throttled_per_account(tree, make_staff, mint_token, settings) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    other = make_staff(Role.GRID_WORKER, tree.grid_a2)
    token = mint_token(worker, tree.grid_a1)
    settings.LINLI_API_RATE_AUTHENTICATED = "3/min"
    settings.LINLI_API_RATE_ANONYMOUS = "1/min"  # a signed-in caller is not held to the anonymous rate
    with time_machine.travel(FROZEN, tick=False):
        session = testing.client_for(worker)
        assert session.get("/api/v1/me").status_code == 200
        assert session.get("/api/v1/areas").status_code == 200
        assert bearer(token).get("/api/v1/me").status_code == 200  # same account, same budget
        _assert_throttled(session.get("/api/v1/me"))
        _assert_throttled(bearer(token).get("/api/v1/areas"))
        assert testing.client_for(other).get("/api/v1/me").status_code == 200
    with time_machine.travel(FROZEN + datetime.timedelta(minutes=1), tick=False):
        assert session.get("/api/v1/me").status_code == 200


@pytest.mark.django_db
def test_throttled_write_changes_nothing(tree, make_resident, settings) -> None:
    from linli.notify.models import Notification

    resident = make_resident()
    Notification.objects.create(recipient=resident, title="t")
    settings.LINLI_API_RATE_AUTHENTICATED = "1/min"
    with time_machine.travel(FROZEN, tick=False):
        client = testing.client_for(resident)
        assert client.get("/api/v1/notifications").status_code == 200
        _assert_throttled(client.post("/api/v1/notifications/read-all"))
    assert Notification.objects.get().read_at is None
    assert timezone.now() > FROZEN
