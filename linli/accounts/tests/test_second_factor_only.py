"""Issue 5, security finding 1: a staff session signed in with the password only (no TOTP yet)
reaches nothing but the second-factor step and sign-out — no page, no form, no API route — and
nothing it sends changes the database.

Every URL pattern of the project (HTML and API) is walked with GET and POST as such a session."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from linli.accounts.decorators import BEFORE_SECOND_FACTOR
from linli.accounts.models import Role, User
from linli.accounts.tests.conftest import SECOND_FACTOR_URL, new_client, password_step
from linli.audit.models import AuditEvent

SAMPLE_VALUES = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}

# What a password-only session may reach, and what each answers.
SECOND_FACTOR_STEP = "accounts:second_factor"
ENROLMENT_LINK = "accounts:enrolment_link"  # part of the step: 410 for an unknown link (audited)
DATA_FREE = {"web:healthz", "web:manifest", "web:service_worker", "web:offline", "api:openapi-json"}
DEMO_ONLY = {"demo:authenticator", "demo:authenticator_codes"}  # read-only; 404 outside demo mode


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    import re

    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "1"), route)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield "/" + path.replace("^", "").replace("$", "").replace("\\Z", ""), name


ROUTES = sorted(set(walk(get_resolver().url_patterns)))


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model (the session records included) except the audit trail, which is
    checked event by event."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
        if model._meta.managed and not model._meta.proxy and model._meta.app_label != "audit"
    }


def test_the_walk_sees_html_and_api_routes() -> None:
    names = {name for _path, name in ROUTES}
    assert {
        "accounts:preferences",
        "accounts:account",
        "web:workbench",
        "api:get_me",
        "api:update_preferences",
    } <= names
    assert "accounts:logout" in BEFORE_SECOND_FACTOR


def test_the_exceptions_are_reviewed() -> None:
    """Only sign-out, the enrolment link and data-free or demo-only pages are exempt."""
    assert (
        BEFORE_SECOND_FACTOR
        == {"accounts:logout", "accounts:enrolment_link"} | (DATA_FREE - {"api:openapi-json"}) | DEMO_ONLY
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STREET_OFFICER, Role.SYSTEM_ADMIN])
def test_a_password_only_session_reaches_only_the_second_factor_step(tree, make_staff, role):  # type: ignore[no-untyped-def]
    staff = make_staff(role, tree.street if role == Role.STREET_OFFICER else tree.district)
    client = new_client()
    assert password_step(client, staff.username).status_code == 302
    before = database_state()
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    reached = set()
    for path, name in ROUTES:
        if name == "accounts:logout":
            continue  # signs out: checked last
        for method in ("get", "post"):
            response = getattr(client, method)(path, {"email": "attacker@example.com", "language": "en"})
            status = response.status_code
            where = (method, path, name, status)
            if name == SECOND_FACTOR_STEP:
                assert status == (200 if method == "get" else 422), where
                reached.add(name)
            elif name == ENROLMENT_LINK:
                assert status == 410, where
                reached.add(name)
            elif name in DATA_FREE:
                assert status in ({200} if method == "get" else {405}), where
            elif name in DEMO_ONLY:
                assert status in ({200} if method == "get" else {405}), where
            elif path.startswith("/api/"):
                assert status in {401, 403, 404, 405}, where
                if status == 401:
                    assert response.json()["error"]["code"] in {"second_factor_required", "not_authenticated"}, where
            else:
                assert status == 302, where
                assert response["Location"].split("?")[0] == SECOND_FACTOR_URL, where
    assert reached == {SECOND_FACTOR_STEP, ENROLMENT_LINK}
    # the audit trail gained exactly one event: the refused enrolment link /accounts/enrol/x/
    new_events = AuditEvent.objects.filter(id__gt=last_event)
    assert list(new_events.values_list("event_type", "detail__reason")) == [("auth.enrolment_link_refused", "unknown")]
    after = database_state()
    changed = [label for label in before if before[label] != after[label]]
    assert changed == []
    staff.refresh_from_db()
    assert staff.email == "" and staff.language == ""

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get(SECOND_FACTOR_URL)["Location"].startswith("/accounts/staff-login/")


@pytest.mark.django_db
def test_preferences_post_from_a_password_only_session_changes_nothing(tree, make_staff):  # type: ignore[no-untyped-def]
    """The finding as reported: POST /accounts/preferences/ changed e-mail and notifications."""
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = new_client()
    password_step(client, staff.username)
    response = client.post(
        "/accounts/preferences/",
        {"email": "attacker@example.com", "notify_by_sms": "", "notify_by_email": "on", "language": "en"},
    )
    assert response.status_code == 302
    assert response["Location"] == SECOND_FACTOR_URL
    fresh = User.objects.get(pk=staff.pk)
    assert (fresh.email, fresh.notify_by_sms, fresh.notify_by_email, fresh.language) == ("", True, False, "")


@pytest.mark.django_db
def test_preferences_no_longer_change_the_e_mail_address_of_a_full_session(tree, make_staff):  # type: ignore[no-untyped-def]
    from linli.accounts.tests.conftest import staff_sign_in

    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = staff_sign_in(staff)
    response = client.post("/accounts/preferences/", {"email": "other@example.com", "notify_by_email": "on"})
    assert response.status_code == 302
    fresh = User.objects.get(pk=staff.pk)
    assert fresh.email == ""
    assert fresh.notify_by_email is True


@pytest.mark.django_db
def test_the_staff_login_page_sends_a_password_only_session_back_to_the_code(tree, make_staff):  # type: ignore[no-untyped-def]
    """Newcomer finding 5: the "Staff sign-in" link (on the demo authenticator page) restarted the
    password step; in the middle of sign-in it now leads back to the TOTP step."""
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = new_client()
    password_step(client, staff.username)
    response = client.get("/accounts/staff-login/?next=/residents/")
    assert response.status_code == 302
    assert response["Location"] == f"{SECOND_FACTOR_URL}?next=%2Fresidents%2F"


@pytest.mark.django_db
def test_the_code_step_offers_no_menu_and_no_inbox(tree, make_staff):  # type: ignore[no-untyped-def]
    """A password-only session reaches nothing but the code step, so its page shows no main menu
    (which held "Messages", a link that only bounced back) and no inbox link."""
    staff = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = new_client()
    password_step(client, staff.username)
    page = client.get(SECOND_FACTOR_URL).content.decode()
    assert 'class="mainnav"' not in page
    assert "/notifications/" not in page
    assert 'name="code"' in page or 'name="otp_token"' in page
