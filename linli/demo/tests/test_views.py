"""The demo authenticator page: demo mode only, demo staff accounts only, correct codes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django_otp.oath import hotp

from linli.accounts.models import StaffTOTPDevice, User
from linli.areas.models import Area, AreaKind
from linli.demo.models import DemoAccount
from linli.demo.selectors import authenticator_codes

DEMO_STAFF = [
    "demo-street",
    "demo-leader",
    "demo-worker",
    "demo-grid1",
    "demo-grid2",
    "demo-police",
    "demo-sysadmin",
    "demo-secadmin",
    "demo-auditor",
]
FROZEN = datetime.datetime(2026, 11, 30, 9, 0, 7, tzinfo=datetime.UTC)


def codes_on_page(html: str) -> dict[str, str]:
    rows = re.findall(r"<strong>([^<]+)</strong>.*?<span class=\"totp-code\">(\d{6})</span>", html, re.S)
    return dict(rows)


@pytest.mark.parametrize("url", ["/dev/authenticator/", "/dev/authenticator/codes/"])
def test_not_found_without_demo_mode(demo_street, settings, url) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = False
    assert Client().get(url).status_code == 404


@time_machine.travel(FROZEN, tick=False)
def test_page_lists_every_demo_staff_account_with_its_current_code(demo_street) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.cookies["linli_language"] = "en"
    response = client.get("/dev/authenticator/")
    assert response.status_code == 200
    html = response.content.decode()
    codes = codes_on_page(html)
    assert list(codes) == DEMO_STAFF
    step = int(FROZEN.timestamp()) // 30
    for username, code in codes.items():
        device = StaffTOTPDevice.objects.get(user__username=username)
        assert code == f"{hotp(device.bin_key, step, digits=6):06d}"
    assert "23 seconds left" in html
    assert 'hx-get="/dev/authenticator/codes/"' in html
    assert 'hx-trigger="every 5s"' in html
    assert "13800000001" not in html
    assert "<code>Linli-Demo-2026!</code>" in html


def test_page_never_lists_accounts_that_are_not_demo_accounts(demo_street, make_staff) -> None:  # type: ignore[no-untyped-def]
    make_staff("street_officer", Area.objects.get(kind=AreaKind.STREET), username="real-officer")
    html = Client().get("/dev/authenticator/codes/").content.decode()
    assert "real-officer" not in html
    assert list(codes_on_page(html)) == DEMO_STAFF
    assert set(DemoAccount.objects.values_list("user__username", flat=True)) == {
        *DEMO_STAFF,
        "demo-resident",
        "demo-newcomer",
    }
    assert User.objects.filter(username="real-officer").count() == 1


def test_codes_fragment_query_count_is_fixed(demo_street, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    with django_assert_num_queries(4):
        response = client.get("/dev/authenticator/codes/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]


def test_empty_database_shows_how_to_load_the_demo(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    response = Client().get("/dev/authenticator/")
    assert response.status_code == 200
    assert "linli demo --scale small" in response.content.decode()
    assert authenticator_codes() == []


def test_staff_login_page_links_to_the_authenticator_in_demo_mode_only(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    assert 'href="/dev/authenticator/"' in Client().get("/accounts/staff-login/").content.decode()
    settings.DEMO_MODE = False
    assert 'href="/dev/authenticator/"' not in Client().get("/accounts/staff-login/").content.decode()
