"""Issue 5, security finding 7: enrolling the first (or a replacement) authenticator of a staff
account needs a one-time enrolment link issued by a system administrator — the password alone is
not enough. Links expire, work once, are stored only as a digest, and only a system administrator
may issue them."""

from __future__ import annotations

import datetime
import hashlib
import re
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from linli import testing
from linli.accounts.actions.enrolment import do_issue_enrolment_link, enrolment_path
from linli.accounts.actions.staff import do_create_staff_account
from linli.accounts.models import Role, StaffEnrolmentLink, StaffTOTPDevice, User
from linli.accounts.tests.conftest import SECOND_FACTOR_URL, new_client, password_step
from linli.audit.models import AuditEvent
from linli.core.errors import Conflict, PermissionRefused

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
ASK_FOR_LINK = "Ask your system administrator for an enrolment link"
LINK_PATTERN = re.compile(
    r'data-testid="enrolment-link"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*data-testid="enrolment-link"'
)


def new_colleague(tree: testing.Tree, system_admin: User, username: str = "chen.jing", email: str = "") -> User:
    account = do_create_staff_account(
        username=username, display_name="陈静", password=testing.STAFF_PASSWORD, email=email, acting_user=system_admin
    )
    User.objects.filter(pk=account.pk).update(password_changed_at=timezone.now())  # not the password-change test
    testing.RoleAssignment.objects.create(user=account, role=Role.GRID_WORKER, area=tree.grid_a1)
    return account


def admin_client(user: User) -> Client:
    client = testing.client_for(user)  # signed in with a fresh re-authentication
    client.defaults.update(HTTP_ACCEPT_LANGUAGE="en")
    return client


def issue_through_the_page(client: Client, account: User, **data: str) -> str:
    response = client.post(f"/accounts/staff/{account.pk}/enrolment-link/", data)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/staff/{account.pk}/"
    page = client.get(response["Location"]).content.decode()
    match = LINK_PATTERN.search(page)
    assert match is not None, "the new link is shown on the detail page"
    url = match.group(1) or match.group(2)
    assert url.startswith("http://testserver/accounts/enrol/")
    assert LINK_PATTERN.search(client.get(response["Location"]).content.decode()) is None  # shown once
    return url.removeprefix("http://testserver")


def enrol(client: Client, account: User) -> Any:
    page = client.get(SECOND_FACTOR_URL)
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    pending = StaffTOTPDevice.objects.get(user=account, confirmed=False)
    return client.post(SECOND_FACTOR_URL, {"code": testing.totp_now(pending)})


@pytest.fixture
def system_admin(tree, make_staff):  # type: ignore[no-untyped-def]
    return make_staff(Role.SYSTEM_ADMIN, tree.district)


@pytest.mark.django_db
def test_the_password_alone_does_not_enrol_an_authenticator(tree, system_admin):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin)
    client = new_client()
    assert password_step(client, account.username).status_code == 302
    page = client.get(SECOND_FACTOR_URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert ASK_FOR_LINK in html
    assert "<svg" not in html and "totp-secret" not in html
    response = client.post(SECOND_FACTOR_URL, {"code": "123456"})
    assert response.status_code == 403
    assert not StaffTOTPDevice.objects.filter(user=account).exists()  # no seed was even created
    assert client.get("/workbench/")["Location"] == SECOND_FACTOR_URL
    refusal = AuditEvent.objects.get(event_type="auth.enrolment_link_refused")
    assert (refusal.actor_id, refusal.detail["reason"]) == (account.pk, "missing")


@pytest.mark.django_db
def test_a_link_from_the_system_administrator_enrols_once(tree, system_admin):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin)
    path = issue_through_the_page(admin_client(system_admin), account)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    link = StaffEnrolmentLink.objects.get(user=account)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    with connection.cursor() as cursor:  # only the digest is stored
        cursor.execute("SELECT * FROM accounts_staffenrolmentlink")
        assert token not in repr(cursor.fetchall())

    client = new_client()
    response = client.get(path)  # opened before signing in
    assert (response.status_code, response["Location"]) == (302, "/accounts/staff-login/")
    assert password_step(client, account.username)["Location"].startswith(SECOND_FACTOR_URL)
    response = enrol(client, account)
    assert response.status_code == 302
    assert client.get("/workbench/").status_code == 200
    assert StaffTOTPDevice.objects.get(user=account).confirmed is True
    link.refresh_from_db()
    assert link.used_at is not None

    # the same link again, in another browser: refused
    other = new_client()
    response = other.get(path)
    assert response.status_code == 410
    assert "The link was already used." in response.content.decode()
    events = list(
        AuditEvent.objects.filter(event_type__contains="enrolment_link")
        .order_by("id")
        .values_list("event_type", "detail__reason")
    )
    assert events == [
        ("account.enrolment_link_issued", "issued"),
        ("auth.enrolment_link_used", None),
        ("auth.enrolment_link_refused", "used"),
    ]


@pytest.mark.django_db
def test_a_used_link_does_not_enrol_a_second_authenticator(tree, system_admin):  # type: ignore[no-untyped-def]
    """After a reset, the old (used) link does not let the password holder enrol again."""
    account = new_colleague(tree, system_admin)
    first = new_client()
    token = do_issue_enrolment_link(account, acting_user=system_admin)
    first.get(enrolment_path(token))
    password_step(first, account.username)
    assert enrol(first, account).status_code == 302
    StaffTOTPDevice.objects.filter(user=account).delete()  # as a security administrator's reset does
    attacker = new_client()
    password_step(attacker, account.username)
    assert attacker.get(enrolment_path(token)).status_code == 410
    page = attacker.get(SECOND_FACTOR_URL).content.decode()
    assert ASK_FOR_LINK in page
    assert not StaffTOTPDevice.objects.filter(user=account).exists()


@pytest.mark.django_db
def test_an_expired_link_is_refused(tree, system_admin):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin)
    with time_machine.travel(START, tick=False) as traveller:
        token = do_issue_enrolment_link(account, acting_user=system_admin)
        traveller.shift(datetime.timedelta(hours=72, seconds=1))
        client = new_client()
        response = client.get(enrolment_path(token))
        assert response.status_code == 410
        assert "The link has expired." in response.content.decode()
        password_step(client, account.username)
        assert ASK_FOR_LINK in client.get(SECOND_FACTOR_URL).content.decode()
    assert not StaffTOTPDevice.objects.filter(user=account, confirmed=True).exists()
    assert AuditEvent.objects.filter(event_type="auth.enrolment_link_refused", detail__reason="expired").count() == 1


@pytest.mark.django_db
def test_a_link_that_expires_between_opening_and_enrolling_is_refused(tree, system_admin, settings):  # type: ignore[no-untyped-def]
    settings.LINLI_STAFF_ENROLMENT_LINK_HOURS = 1  # configurable
    settings.LINLI_SESSION_IDLE_SECONDS = 2 * 3600  # the sign-in session outlives the link here
    account = new_colleague(tree, system_admin)
    with time_machine.travel(START, tick=False) as traveller:
        token = do_issue_enrolment_link(account, acting_user=system_admin)
        assert StaffEnrolmentLink.objects.get(
            user=account, used_at=None, revoked_at=None
        ).expires_at == START + datetime.timedelta(hours=1)
        client = new_client()
        client.get(enrolment_path(token))
        password_step(client, account.username)
        assert "<svg" in client.get(SECOND_FACTOR_URL).content.decode()
        pending = StaffTOTPDevice.objects.get(user=account, confirmed=False)
        traveller.shift(datetime.timedelta(hours=1, seconds=1))
        response = client.post(SECOND_FACTOR_URL, {"code": testing.totp_now(pending)})
        assert response.status_code == 403
        assert ASK_FOR_LINK in response.content.decode()
    assert not StaffTOTPDevice.objects.filter(user=account, confirmed=True).exists()


@pytest.mark.django_db
def test_a_newer_link_replaces_the_older_one(tree, system_admin):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin)
    older = do_issue_enrolment_link(account, acting_user=system_admin)
    newer = do_issue_enrolment_link(account, acting_user=system_admin)
    response = new_client().get(enrolment_path(older))
    assert response.status_code == 410
    assert new_client().get(enrolment_path(newer)).status_code == 302


@pytest.mark.django_db
def test_another_accounts_link_is_refused(tree, system_admin):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin)
    other = new_colleague(tree, system_admin, username="li.ming")
    token = do_issue_enrolment_link(other, acting_user=system_admin)
    client = new_client()
    password_step(client, account.username)
    response = client.get(enrolment_path(token))
    assert response.status_code == 410
    assert ASK_FOR_LINK in client.get(SECOND_FACTOR_URL).content.decode()
    assert AuditEvent.objects.filter(event_type="auth.enrolment_link_refused", detail__reason="other_account").exists()


@pytest.mark.django_db
def test_creating_an_account_issues_a_link_shown_once(tree, system_admin):  # type: ignore[no-untyped-def]
    client = admin_client(system_admin)
    response = client.post(
        "/accounts/staff/new/",
        {
            "username": "wang.fang",
            "display_name": "王芳",
            "password": testing.STAFF_PASSWORD,
            "password_again": testing.STAFF_PASSWORD,
        },
    )
    assert response.status_code == 302
    account = User.objects.get(username="wang.fang")
    page = client.get(response["Location"]).content.decode()
    match = LINK_PATTERN.search(page)
    assert match is not None
    assert LINK_PATTERN.search(client.get(response["Location"]).content.decode()) is None
    link = StaffEnrolmentLink.objects.get(user=account)
    assert link.issued_by_id == system_admin.pk and link.used_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "area_name"),
    [
        (Role.SECURITY_ADMIN, "district"),
        (Role.AUDIT_ADMIN, "district"),
        (Role.STREET_OFFICER, "street"),
        (Role.COMMUNITY_WORKER, "community_a"),
        (Role.GRID_WORKER, "grid_a1"),
    ],
)
def test_only_a_system_administrator_issues_links(tree, make_staff, system_admin, role, area_name):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin)
    actor = make_staff(role, getattr(tree, area_name))
    response = admin_client(actor).post(f"/accounts/staff/{account.pk}/enrolment-link/", {"send_email": "1"})
    assert response.status_code == 404
    with pytest.raises(PermissionRefused):
        do_issue_enrolment_link(account, acting_user=actor)
    assert not StaffEnrolmentLink.objects.exists()
    # the system administrator may
    issue_through_the_page(admin_client(system_admin), account)
    assert StaffEnrolmentLink.objects.count() == 1


@pytest.mark.django_db
def test_issuing_asks_for_a_fresh_sign_in_and_never_for_an_account_with_an_authenticator(tree, system_admin):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin)
    client = testing.client_for(system_admin)
    session = client.session
    session["linli_reauthenticated_at"] = (START - datetime.timedelta(days=1)).timestamp()
    session.save()
    response = client.post(f"/accounts/staff/{account.pk}/enrolment-link/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not StaffEnrolmentLink.objects.exists()

    enrolled = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    with pytest.raises(Conflict):
        do_issue_enrolment_link(enrolled, acting_user=system_admin)
    assert not StaffEnrolmentLink.objects.filter(user=enrolled).exists()


@pytest.mark.django_db
def test_a_reset_e_mails_a_link_to_the_owner_only(tree, make_staff, system_admin, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    security_admin = make_staff(Role.SECURITY_ADMIN, tree.district)
    account = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    User.objects.filter(pk=account.pk).update(email="chen@example.cn")
    client = admin_client(security_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/accounts/staff/{account.pk}/second-factor/reset/")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert LINK_PATTERN.search(page) is None  # the security administrator never sees it
    assert "/accounts/enrol/" not in page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["chen@example.cn"]
    path = re.search(r"http://testserver(/accounts/enrol/[^/\s]+/)", message.body).group(1)  # type: ignore[union-attr]
    staff = new_client()
    assert staff.get(path).status_code == 302
    password_step(staff, account.username)
    assert enrol(staff, account).status_code == 302
    assert StaffEnrolmentLink.objects.get(user=account).issued_by_id == security_admin.pk


@pytest.mark.django_db
def test_a_reset_without_an_address_issues_nothing(tree, make_staff):  # type: ignore[no-untyped-def]
    security_admin = make_staff(Role.SECURITY_ADMIN, tree.district)
    account = testing.make_staff(Role.GRID_WORKER, tree.grid_a1)
    response = admin_client(security_admin).post(f"/accounts/staff/{account.pk}/second-factor/reset/")
    assert response.status_code == 302
    assert not StaffEnrolmentLink.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_link_can_be_e_mailed_when_issued(tree, system_admin, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    account = new_colleague(tree, system_admin, email="chen@example.cn")
    with django_capture_on_commit_callbacks(execute=True):
        path = issue_through_the_page(admin_client(system_admin), account, send_email="1")
    assert [message.to for message in mail.outbox] == [["chen@example.cn"]]
    assert f"http://testserver{path}" in mail.outbox[0].body


@pytest.mark.django_db
def test_the_first_administrator_gets_a_link_from_the_console(tree, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LINLI_INITIAL_PASSWORD", testing.STAFF_PASSWORD)
    out = StringIO()
    call_command(
        "create_administrator", "root.admin", "--name", "管理员", "--role", "system_admin",
        "--area-code", tree.district.code, stdout=out,
    )  # fmt: skip
    path = re.search(r"(/accounts/enrol/[^/\s]+/)", out.getvalue()).group(1)  # type: ignore[union-attr]
    account = User.objects.get(username="root.admin")
    client = new_client()
    assert client.get(path).status_code == 302
    password_step(client, account.username)
    assert enrol(client, account).status_code == 302
    assert StaffTOTPDevice.objects.get(user=account).confirmed is True


@pytest.mark.django_db
def test_guessing_links_is_limited_and_does_not_grow_the_audit_log(tree, system_admin):  # type: ignore[no-untyped-def]
    """Review of issue 5: every refused link is audited, so an anonymous visitor trying links is
    stopped after REFUSALS_PER_HOUR refusals from one address: 429 and no further audit events,
    even for a real link, until the hour passes."""
    from linli.accounts.actions.enrolment import REFUSALS_PER_HOUR

    account = new_colleague(tree, system_admin)
    token = do_issue_enrolment_link(account, acting_user=system_admin)
    with time_machine.travel(START, tick=False) as traveller:
        client = new_client()
        for attempt in range(REFUSALS_PER_HOUR):
            assert client.get(enrolment_path(f"guess-{attempt}")).status_code == 410
        refusals = AuditEvent.objects.filter(event_type="auth.enrolment_link_refused").count()
        assert refusals == REFUSALS_PER_HOUR
        blocked = client.get(enrolment_path("guess-more"))
        assert blocked.status_code == 429
        assert blocked["Retry-After"] == "3600"
        assert client.get(enrolment_path(token)).status_code == 429
        assert client.post("/accounts/enrol/", {"link": token}).status_code == 429
        assert AuditEvent.objects.filter(event_type="auth.enrolment_link_refused").count() == refusals
        assert "linli_enrolment_link" not in client.session
        traveller.shift(datetime.timedelta(hours=1))
        assert client.get(enrolment_path(token)).status_code == 302  # the next hour: the real link works
    assert not StaffTOTPDevice.objects.filter(user=account, confirmed=True).exists()
