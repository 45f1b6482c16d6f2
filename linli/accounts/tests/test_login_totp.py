"""The staff second factor (SECURITY.md A3, A6), through the real views: TOTP codes are single use
and throttled, enrolment shows a QR code and enables the device, and a session signed in with the
password only reaches no staff page."""

from __future__ import annotations

import base64
import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver

from linli import testing
from linli.accounts.models import Role, StaffTOTPDevice, User
from linli.accounts.tests.conftest import (
    SECOND_FACTOR_URL,
    error_messages,
    is_signed_in,
    new_client,
    open_enrolment_link,
    password_step,
)
from linli.audit.models import AuditEvent

START = datetime.datetime(2026, 3, 2, 9, 0, 0, tzinfo=datetime.UTC)
WRONG_CODE_MESSAGE = "The code is wrong or was already used. Wait for the next code and try again."


def wrong_code(device: StaffTOTPDevice) -> str:
    right = {testing.totp_now(device, offset) for offset in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in right)


def is_verified(client: Any) -> bool:
    response = client.get("/accounts/")
    return response.status_code == 200


@pytest.mark.django_db
def test_a_totp_code_is_single_use(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    device = StaffTOTPDevice.objects.get(user=staff)
    with time_machine.travel(START, tick=False) as traveller:
        code = testing.totp_now(device)
        first = new_client()
        assert password_step(first, staff.username).status_code == 302
        assert first.post(SECOND_FACTOR_URL, {"code": code}).status_code == 302
        assert first.get("/workbench/").status_code == 200

        traveller.shift(datetime.timedelta(seconds=5))
        replay = new_client()
        assert password_step(replay, staff.username).status_code == 302
        response = replay.post(SECOND_FACTOR_URL, {"code": code})
        assert response.status_code == 422
        assert error_messages(response) == [WRONG_CODE_MESSAGE]
        assert replay.get("/workbench/")["Location"].startswith(SECOND_FACTOR_URL)

        traveller.shift(datetime.timedelta(seconds=30))  # the next code works
        assert replay.post(SECOND_FACTOR_URL, {"code": testing.totp_now(device)}).status_code == 302
        assert replay.get("/workbench/").status_code == 200
    outcomes = list(
        AuditEvent.objects.filter(event_type__startswith="auth.second_factor")
        .order_by("id")
        .values_list("event_type", flat=True)
    )
    assert outcomes == ["auth.second_factor_passed", "auth.second_factor_failed", "auth.second_factor_passed"]


@pytest.mark.django_db
def test_wrong_codes_are_throttled_with_growing_delays(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    device = StaffTOTPDevice.objects.get(user=staff)
    with time_machine.travel(START, tick=False) as traveller:
        client = new_client()
        password_step(client, staff.username)
        assert client.post(SECOND_FACTOR_URL, {"code": wrong_code(device)}).status_code == 422
        device.refresh_from_db()
        assert device.throttling_failure_count == 1

        # within 1 s of a failure even the right code is refused, and the refusal does not count
        assert client.post(SECOND_FACTOR_URL, {"code": testing.totp_now(device)}).status_code == 422
        device.refresh_from_db()
        assert device.throttling_failure_count == 1

        traveller.shift(datetime.timedelta(seconds=1))
        assert client.post(SECOND_FACTOR_URL, {"code": wrong_code(device)}).status_code == 422
        device.refresh_from_db()
        assert device.throttling_failure_count == 2

        traveller.shift(datetime.timedelta(seconds=1))  # a second failure needs 2 s
        assert client.post(SECOND_FACTOR_URL, {"code": testing.totp_now(device)}).status_code == 422

        # the throttle lives on the device: a fresh sign-in does not escape it
        other = new_client()
        password_step(other, staff.username)
        assert other.post(SECOND_FACTOR_URL, {"code": testing.totp_now(device)}).status_code == 422
        assert not is_verified(other)

        traveller.shift(datetime.timedelta(seconds=1))
        assert client.post(SECOND_FACTOR_URL, {"code": testing.totp_now(device)}).status_code == 302
        device.refresh_from_db()
        assert device.throttling_failure_count == 0
        assert is_verified(client)
    failures = AuditEvent.objects.filter(event_type="auth.second_factor_failed", outcome="failure").order_by("id")
    assert [event.detail["reason"] for event in failures] == [
        "wrong_code",
        "throttled",
        "wrong_code",
        "throttled",
        "throttled",
    ]


@pytest.mark.django_db
def test_malformed_codes_are_refused_and_counted(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False):
        client = new_client()
        password_step(client, staff.username)
        response = client.post(SECOND_FACTOR_URL, {"code": "12345a"})
        assert response.status_code == 422
        assert not is_verified(client)


@pytest.mark.django_db
def test_enrolment_shows_a_qr_code_and_a_confirmed_code_enables_the_device(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    StaffTOTPDevice.objects.filter(user=staff).delete()
    with time_machine.travel(START, tick=False) as traveller:
        client = new_client()
        response = password_step(client, staff.username)
        assert response["Location"].startswith(SECOND_FACTOR_URL)
        open_enrolment_link(client, staff)
        page = client.get(SECOND_FACTOR_URL)
        assert page.status_code == 200
        html = page.content.decode()
        assert "<svg" in html
        pending = StaffTOTPDevice.objects.get(user=staff)
        assert pending.confirmed is False
        secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)  # type: ignore[union-attr]
        assert base64.b32decode(secret + "=" * (-len(secret) % 8)) == pending.bin_key
        # the seed is not stored in plaintext (A3)
        with connection.cursor() as cursor:
            cursor.execute("SELECT encrypted_key FROM accounts_stafftotpdevice WHERE id = %s", [pending.id])
            stored = cursor.fetchone()[0]
        assert pending.encrypted_key not in stored
        assert secret not in stored

        # a second visit reuses the same pending device (the QR code the user scanned stays valid)
        client.get(SECOND_FACTOR_URL)
        assert StaffTOTPDevice.objects.filter(user=staff).count() == 1

        assert client.post(SECOND_FACTOR_URL, {"code": wrong_code(pending)}).status_code == 422
        pending.refresh_from_db()
        assert pending.confirmed is False
        assert not is_verified(client)

        traveller.shift(datetime.timedelta(seconds=2))
        response = client.post(SECOND_FACTOR_URL, {"code": testing.totp_now(pending)})
        assert response.status_code == 302
        device = StaffTOTPDevice.objects.get(user=staff)
        assert device.pk == pending.pk
        assert device.confirmed is True
        assert device.confirmed_at == START + datetime.timedelta(seconds=2)
        assert client.get("/workbench/").status_code == 200
    events = set(AuditEvent.objects.filter(object_id=str(staff.pk)).values_list("event_type", flat=True))
    assert {"auth.totp_enrolment_started", "auth.totp_enrolment_failed", "auth.totp_enrolled"} <= events

    # the next sign-in asks for a code from the enrolled device, not a new QR code
    with time_machine.travel(START + datetime.timedelta(minutes=1), tick=False):
        again = new_client()
        password_step(again, staff.username)
        assert "<svg" not in again.get(SECOND_FACTOR_URL).content.decode()
        assert again.post(SECOND_FACTOR_URL, {"code": testing.totp_now(device)}).status_code == 302


@pytest.mark.django_db
def test_residents_have_no_second_factor_step(resident_sign_in):  # type: ignore[no-untyped-def]
    client = resident_sign_in("13912345678")
    assert client.get(SECOND_FACTOR_URL).status_code == 404
    assert is_signed_in(client)


# --- a password-only staff session reaches no staff page (A6) ---------------------------------------

SAMPLE_VALUES = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}


def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def concrete_path(route: str) -> str:
    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "1"), route)
    return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "")


GUARDED_ROUTES = sorted(
    {
        concrete_path(route)
        for route, callback in walk(get_resolver().url_patterns)
        if getattr(callback, "linli_guard", None) in {"rule", "signed_in"}
    }
)


def test_the_sweep_covers_the_staff_pages() -> None:
    assert {"/workbench/", "/accounts/", "/accounts/staff/", "/accounts/staff/1/roles/new/"} <= set(GUARDED_ROUTES)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STREET_OFFICER, Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN])
def test_a_password_only_session_reaches_no_guarded_url(tree, make_staff, role):  # type: ignore[no-untyped-def]
    staff = make_staff(role, tree.street if role == Role.STREET_OFFICER else tree.district)
    client = new_client()
    assert password_step(client, staff.username).status_code == 302
    for path in GUARDED_ROUTES:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 302, (method, path, response.status_code)
            assert response["Location"] == SECOND_FACTOR_URL, (method, path, response["Location"])
    assert User.objects.get(pk=staff.pk).roles.active().count() == 1
    assert not AuditEvent.objects.filter(event_type="authz.denied").exists()
