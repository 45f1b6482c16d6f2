"""The staff password policy (SECURITY.md A2): a new account changes its initial password at first
sign-in, passwords expire after 90 days, and until the change every staff guard sends the staff
member to the password change page. Residents have no password and no rotation."""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import URLPattern, URLResolver, get_resolver

from linli import testing
from linli.accounts.actions.staff import do_create_staff_account
from linli.accounts.models import Role, RoleAssignment, StaffTOTPDevice, User
from linli.accounts.passwords import password_expired
from linli.accounts.tests.conftest import (
    SECOND_FACTOR_URL,
    error_messages,
    fresh_totp,
    new_client,
    open_enrolment_link,
    password_step,
    staff_sign_in,
)

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
CHANGE_URL = "/accounts/password/"
INITIAL = "Spring-Garden-2026"
CHOSEN = "Autumn-River-7781"


def change(client: Any, old: str, new: str) -> Any:
    return client.post(CHANGE_URL, {"old_password": old, "new_password": new, "new_password_again": new})


def guarded_paths() -> list[str]:
    samples = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}

    def walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern), entry.callback

    paths = set()
    for route, callback in walk(get_resolver().url_patterns):
        if getattr(callback, "linli_guard", None) in {"rule", "signed_in"}:
            paths.add("/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: samples.get(m.group(1) or "str", "1"), route))
    return sorted(paths - {CHANGE_URL})


@pytest.mark.django_db
def test_a_new_account_changes_its_initial_password_at_first_sign_in(tree, make_staff):  # type: ignore[no-untyped-def]
    system_admin = make_staff(Role.SYSTEM_ADMIN, tree.district)
    account = do_create_staff_account(
        username="chen.jing", display_name="陈静", password=INITIAL, acting_user=system_admin
    )
    RoleAssignment.objects.create(user=account, role=Role.GRID_WORKER, area=tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        client = new_client()
        assert password_step(client, "chen.jing", INITIAL)["Location"].startswith(SECOND_FACTOR_URL)
        open_enrolment_link(client, account)  # issued by the system administrator
        client.get(SECOND_FACTOR_URL)  # enrolment: the QR code
        pending = StaffTOTPDevice.objects.get(user=account)
        response = client.post(SECOND_FACTOR_URL, {"code": testing.totp_now(pending)})
        assert response["Location"] == CHANGE_URL

        for path in ("/workbench/", "/accounts/", "/residents/"):
            response = client.get(path)
            assert (response.status_code, response["Location"]) == (302, CHANGE_URL), path
        assert client.get(CHANGE_URL).status_code == 200

        response = change(client, INITIAL, "too-simple")
        assert response.status_code == 422
        assert "This password is too short. It must contain at least 12 characters." in error_messages(response)[0]
        response = change(client, INITIAL, INITIAL)
        assert error_messages(response) == ["Choose a password different from the current one."]
        response = change(client, "not-the-password", CHOSEN)
        assert error_messages(response) == ["The current password is wrong."]
        assert client.get("/workbench/")["Location"] == CHANGE_URL

        traveller.shift(datetime.timedelta(minutes=1))
        assert change(client, INITIAL, CHOSEN).status_code == 302
        assert client.get("/workbench/").status_code == 200
    account.refresh_from_db()
    assert account.password_changed_at == START + datetime.timedelta(minutes=1)
    assert account.check_password(CHOSEN)


@pytest.mark.django_db
def test_passwords_expire_after_ninety_days_on_every_guarded_page(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.STREET_OFFICER, tree.street)
    User.objects.filter(pk=staff.pk).update(password_changed_at=START)
    with time_machine.travel(START + datetime.timedelta(days=89, hours=23), tick=False):
        assert staff_sign_in(staff).get("/workbench/").status_code == 200
    with time_machine.travel(START + datetime.timedelta(days=90, minutes=1), tick=False) as traveller:
        client = new_client()
        password_step(client, staff.username)
        device = StaffTOTPDevice.objects.get(user=staff)
        response = client.post(SECOND_FACTOR_URL, {"code": fresh_totp(device)})
        assert response["Location"] == CHANGE_URL
        paths = guarded_paths()
        assert len(paths) >= 10
        for path in paths:
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                assert (response.status_code, response.get("Location")) == (302, CHANGE_URL), (method, path)
        assert client.get(CHANGE_URL).status_code == 200  # the change page itself stays open
        traveller.shift(datetime.timedelta(seconds=10))
        assert change(client, testing.STAFF_PASSWORD, CHOSEN).status_code == 302
        assert client.get("/workbench/").status_code == 200


@pytest.mark.django_db
def test_the_rotation_period_is_configurable(tree, make_staff, settings):  # type: ignore[no-untyped-def]
    settings.LINLI_STAFF_PASSWORD_MAX_AGE_DAYS = 30
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    User.objects.filter(pk=staff.pk).update(password_changed_at=START)
    staff.refresh_from_db()
    assert not password_expired(staff, now=START + datetime.timedelta(days=30))
    assert password_expired(staff, now=START + datetime.timedelta(days=30, seconds=1))


@pytest.mark.django_db
def test_residents_have_no_password_rotation(make_resident, resident_sign_in):  # type: ignore[no-untyped-def]
    resident = make_resident("13912345678")
    assert not password_expired(resident, now=START + datetime.timedelta(days=1000))
    with time_machine.travel(START + datetime.timedelta(days=400), tick=False):
        client = resident_sign_in("13912345678")
        assert client.get("/accounts/").status_code == 200
        assert client.get(CHANGE_URL)["Location"] == "/accounts/"
