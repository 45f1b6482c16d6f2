"""Issue 5, newcomer finding 5 (sign-in parts): an ended staff session leads back to the STAFF
sign-in (residents to theirs), saying why; the demo authenticator's sign-in link returns a user in
the middle of a staff sign-in to the code step instead of the password step."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from linli.accounts.models import Role, UserSession
from linli.accounts.tests.conftest import SECOND_FACTOR_URL, new_client, password_step, staff_sign_in

START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)
ENDED_MESSAGE = "Your session has ended. Please sign in again."


@pytest.mark.django_db
def test_an_ended_staff_session_leads_to_the_staff_sign_in(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = staff_sign_in(staff)
    UserSession.objects.filter(user=staff).update(ended_at=START, end_reason="ended_by_user")
    response = client.get("/residents/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/staff-login/?next=%2Fresidents%2F"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert ENDED_MESSAGE in page.content.decode()


@pytest.mark.django_db
def test_an_idle_staff_session_leads_to_the_staff_sign_in(tree, make_staff):  # type: ignore[no-untyped-def]
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with time_machine.travel(START, tick=False) as traveller:
        client = staff_sign_in(staff)
        traveller.shift(datetime.timedelta(minutes=31))
        response = client.get("/accounts/")
        assert response["Location"] == "/accounts/staff-login/?next=%2Faccounts%2F"


@pytest.mark.django_db
def test_an_ended_resident_session_leads_to_the_resident_sign_in(resident_sign_in):  # type: ignore[no-untyped-def]
    client = resident_sign_in("13912345678")
    UserSession.objects.update(ended_at=START, end_reason="ended_by_user")
    response = client.get("/accounts/")
    assert response["Location"] == "/accounts/login/?next=%2Faccounts%2F"
    assert ENDED_MESSAGE in client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_browser_that_never_signed_in_gets_the_resident_sign_in(db):  # type: ignore[no-untyped-def]
    response = new_client().get("/workbench/")
    assert response["Location"] == "/accounts/login/?next=%2Fworkbench%2F"
    assert ENDED_MESSAGE not in new_client().get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_the_demo_authenticator_leads_back_to_the_code_step(tree, make_staff, settings):  # type: ignore[no-untyped-def]
    settings.DEMO_MODE = True
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = new_client()
    anonymous_page = client.get("/dev/authenticator/").content.decode()
    assert 'href="/accounts/staff-login/"' in anonymous_page
    password_step(client, staff.username)
    page = client.get("/dev/authenticator/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{SECOND_FACTOR_URL}"' in html
    assert 'href="/accounts/staff-login/"' not in html
    # and the staff sign-in page itself no longer restarts the password step
    response = client.get("/accounts/staff-login/")
    assert (response.status_code, response["Location"]) == (302, SECOND_FACTOR_URL)
    assert client.get(SECOND_FACTOR_URL).status_code == 200
