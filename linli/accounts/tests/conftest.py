"""Fixtures for the accounts tests: sign-in through the real views (staff password → TOTP, resident
phone → SMS code read from the file gateway's outbox), as SECURITY.md tests 4 and 5 ask.

The database cache table (rate limits) is created for the whole test run by the project's
``conftest.py`` (``django_db_setup``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from linli import testing
from linli.accounts.models import StaffTOTPDevice, User

STAFF_LOGIN_URL = "/accounts/staff-login/"
SECOND_FACTOR_URL = "/accounts/second-factor/"
RESIDENT_LOGIN_URL = "/accounts/login/"


def new_client(user_agent: str = "pytest", **extra: Any) -> Client:
    """A browser in English (messages are asserted in their English msgids)."""
    return Client(HTTP_USER_AGENT=user_agent, HTTP_ACCEPT_LANGUAGE="en", **extra)


def fresh_totp(device: StaffTOTPDevice) -> str:
    """A currently valid code the device has not used yet (codes are single use, so a second
    sign-in within the same 30 s uses the next step, which verification also accepts)."""
    from django.utils import timezone

    device.refresh_from_db()
    current_t = int(timezone.now().timestamp()) // 30
    for offset in (0, 1):
        if current_t + offset > device.last_t:
            return testing.totp_now(device, offset)
    raise AssertionError("no unused TOTP step left in this window; move the clock forward")


def password_step(client: Client, username: str, password: str = testing.STAFF_PASSWORD, **extra: Any) -> Any:
    return client.post(STAFF_LOGIN_URL, {"username": username, "password": password}, **extra)


def staff_sign_in(user: User, *, client: Client | None = None, user_agent: str = "pytest") -> Client:
    """The real staff flow: password, then a TOTP code. Asserts each step succeeded."""
    client = client or new_client(user_agent)
    response = password_step(client, user.username)
    assert response.status_code == 302, response.content[:500]
    assert response["Location"].startswith(SECOND_FACTOR_URL)
    device = StaffTOTPDevice.objects.get(user=user, confirmed=True)
    response = client.post(SECOND_FACTOR_URL, {"code": fresh_totp(device)})
    assert response.status_code == 302, response.content[:500]
    return client


def open_enrolment_link(client: Client, user: User) -> str:
    """Issue an enrolment link for ``user`` (as the operator's command does) and open it in
    ``client``, as a new staff member does before enrolling the authenticator app. Returns the token."""
    from linli.accounts.actions.enrolment import enrolment_path, issue_for_operator

    token = issue_for_operator(user)
    response = client.get(enrolment_path(token))
    assert response.status_code == 302, response.content[:500]
    return token


def outbox_messages(phone: str) -> list[dict[str, str]]:
    path = settings.LINLI_SMS_OUTBOX
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = [json.loads(line) for line in lines if line.strip()]
    return [record for record in records if record["phone"] == phone]


def latest_code(phone: str) -> str:
    messages = outbox_messages(phone)
    assert messages, f"no SMS was sent to {phone}"
    match = re.search(r"\b(\d{6})\b", messages[-1]["message"])
    assert match is not None
    return match.group(1)


@pytest.fixture
def request_code(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """POST a phone number to the resident sign-in page; the SMS is sent after commit, so the
    test runs the on-commit callbacks (the test transaction never commits)."""

    def request(client: Client, phone: str, **extra: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(RESIDENT_LOGIN_URL, {"phone": phone}, **extra)

    return request


@pytest.fixture
def resident_sign_in(request_code: Callable[..., Any]) -> Callable[..., Client]:
    def sign_in(phone: str, *, client: Client | None = None, user_agent: str = "pytest") -> Client:
        client = client or new_client(user_agent)
        response = request_code(client, phone)
        assert response.status_code == 302, response.content[:500]
        response = client.post(RESIDENT_LOGIN_URL, {"code": latest_code(phone)})
        assert response.status_code == 302, response.content[:500]
        return client

    return sign_in


def error_messages(response: Any) -> list[str]:
    """The error texts a page shows (form-level and field-level)."""
    text = response.content.decode()
    found = re.findall(r'<p class="message message-error">(.*?)</p>', text, re.S)
    found += re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', text, re.S)
    return [re.sub(r"<[^>]+>", " ", item).strip() for item in found]


def is_signed_in(client: Client) -> bool:
    response = client.get("/accounts/")
    return response.status_code == 200
