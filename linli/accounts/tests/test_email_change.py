"""Issue 5, security finding 1 (second part): changing an account's e-mail address needs a fresh
sign-in and a confirmation link sent to the NEW address; the address changes only when the
signed-in owner opens the link and confirms; the old address is told; every step is audited."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from linli import testing
from linli.accounts.models import EmailChangeRequest, Role, User
from linli.accounts.tests.conftest import new_client, staff_sign_in
from linli.audit.models import AuditEvent

CHANGE_URL = "/accounts/email/"
OLD = "old.address@example.cn"
NEW = "new.address@example.cn"


def signed_in(user: User, *, fresh: bool = True) -> Client:
    client = testing.client_for(user)
    client.defaults.update(HTTP_ACCEPT_LANGUAGE="en")
    if not fresh:
        session = client.session
        session["linli_reauthenticated_at"] = (timezone.now() - datetime.timedelta(minutes=6)).timestamp()
        session.save()
    return client


def request_change(client: Client, address: str, capture) -> str:  # type: ignore[no-untyped-def]
    """Ask for the change; returns the confirmation path from the e-mail sent to ``address``."""
    with capture(execute=True):
        response = client.post(CHANGE_URL, {"email": address})
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == "/accounts/"
    message = mail.outbox[-1]
    assert message.to == [address]
    match = re.search(r"http://testserver(/accounts/email/confirm/[^/\s]+/)", message.body)
    assert match is not None
    return match.group(1)


@pytest.fixture
def staff(tree, make_staff):  # type: ignore[no-untyped-def]
    user = make_staff(Role.GRID_WORKER, tree.grid_a1)
    User.objects.filter(pk=user.pk).update(email=OLD)
    user.refresh_from_db()
    return user


@pytest.mark.django_db
def test_the_change_needs_a_fresh_sign_in(staff):  # type: ignore[no-untyped-def]
    client = signed_in(staff, fresh=False)
    for response in (client.get(CHANGE_URL), client.post(CHANGE_URL, {"email": NEW})):
        assert response.status_code == 302
        assert response["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2Femail%2F"
    assert not EmailChangeRequest.objects.exists()
    assert mail.outbox == []
    assert User.objects.get(pk=staff.pk).email == OLD


@pytest.mark.django_db
def test_the_link_goes_to_the_new_address_and_only_the_owner_confirms_it(staff, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    client = signed_in(staff)
    path = request_change(client, NEW, django_capture_on_commit_callbacks)
    assert User.objects.get(pk=staff.pk).email == OLD  # nothing changes before the link is opened
    token = path.rstrip("/").rsplit("/", 1)[-1]
    change = EmailChangeRequest.objects.get()
    assert token not in change.token_hash and change.new_email == NEW

    # anonymous: sign in first; another signed-in account: refused
    response = new_client().get(path)
    assert response["Location"].startswith("/accounts/login/")
    other = testing.make_staff(Role.GRID_WORKER, staff.roles.first().area)
    response = signed_in(other).post(path)
    assert response.status_code == 410
    assert User.objects.get(pk=staff.pk).email == OLD
    assert User.objects.get(pk=other.pk).email == ""

    # the owner: opening shows the address (no change yet), confirming changes it
    page = client.get(path)
    assert page.status_code == 200
    assert NEW in page.content.decode()
    assert User.objects.get(pk=staff.pk).email == OLD
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response.status_code == 302
    assert User.objects.get(pk=staff.pk).email == NEW
    notice = mail.outbox[-1]
    assert notice.to == [OLD]
    assert "was changed" in notice.subject
    assert NEW not in notice.body  # masked

    # single use
    response = client.post(path)
    assert response.status_code == 410
    assert "already used" in response.content.decode()
    events = list(
        AuditEvent.objects.filter(event_type__startswith="account.email_change")
        .order_by("id")
        .values_list("event_type", "detail__reason")
    )
    assert events == [
        ("account.email_change_requested", None),
        ("account.email_change_refused", "other_account"),
        ("account.email_changed", None),
        ("account.email_change_refused", "used"),
    ]
    changed = AuditEvent.objects.get(event_type="account.email_changed")
    assert NEW not in str(changed.detail) and OLD not in str(changed.detail)


@pytest.mark.django_db
def test_an_expired_link_changes_nothing(staff, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = signed_in(staff)
        path = request_change(client, NEW, django_capture_on_commit_callbacks)
        traveller.shift(datetime.timedelta(hours=24, seconds=1))
        client = signed_in(staff)  # a new session (the first one timed out)
        response = client.post(path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert User.objects.get(pk=staff.pk).email == OLD
    assert AuditEvent.objects.filter(event_type="account.email_change_refused", detail__reason="expired").count() == 1


@pytest.mark.django_db
def test_a_forged_or_altered_link_changes_nothing(staff, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    client = signed_in(staff)
    path = request_change(client, NEW, django_capture_on_commit_callbacks)
    forged = path.replace(path.rstrip("/").rsplit(":", 1)[-1], "A" * 43)
    assert client.post(forged).status_code == 410
    assert User.objects.get(pk=staff.pk).email == OLD


@pytest.mark.django_db
def test_a_newer_request_cancels_the_older_link(staff, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    client = signed_in(staff)
    first = request_change(client, NEW, django_capture_on_commit_callbacks)
    second = request_change(client, "third@example.cn", django_capture_on_commit_callbacks)
    assert client.post(first).status_code == 410
    assert User.objects.get(pk=staff.pk).email == OLD
    assert client.post(second).status_code == 302
    assert User.objects.get(pk=staff.pk).email == "third@example.cn"


@pytest.mark.django_db
def test_a_resident_changes_the_address_the_same_way(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    resident = testing.make_resident()
    client = signed_in(resident)
    path = request_change(client, NEW, django_capture_on_commit_callbacks)
    assert client.post(path).status_code == 302
    assert User.objects.get(pk=resident.pk).email == NEW
    assert len(mail.outbox) == 1  # no old address to tell


@pytest.mark.django_db
def test_the_same_address_is_refused_next_to_the_field(staff):  # type: ignore[no-untyped-def]
    response = signed_in(staff).post(CHANGE_URL, {"email": OLD.upper()})
    assert response.status_code == 422
    assert "This is already your e-mail address." in response.content.decode()
    assert not EmailChangeRequest.objects.exists()


@pytest.mark.django_db
def test_the_real_sign_in_flow_counts_as_fresh(staff):  # type: ignore[no-untyped-def]
    client = staff_sign_in(staff)
    assert client.get(CHANGE_URL).status_code == 200


@pytest.mark.django_db
def test_confirmation_e_mails_are_limited_per_account(staff, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Review of issue 5: each request mails an address the user typed; an account may have at
    most REQUESTS_PER_DAY sent in a day, then the refusal is shown next to the field (429) and no
    e-mail leaves."""
    from linli.accounts.actions.email import REQUESTS_PER_DAY

    client = signed_in(staff)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC), tick=False):
        for number in range(REQUESTS_PER_DAY):
            request_change(client, f"someone{number}@example.cn", django_capture_on_commit_callbacks)
        sent = len(mail.outbox)
        with django_capture_on_commit_callbacks(execute=True):
            refused = client.post(CHANGE_URL, {"email": "victim@example.cn"})
        assert refused.status_code == 429
        assert "You asked for too many confirmation links today. Try again tomorrow." in refused.content.decode()
    assert len(mail.outbox) == sent
    open_requests = EmailChangeRequest.objects.filter(user=staff, cancelled_at__isnull=True)
    assert [change.new_email for change in open_requests] == [f"someone{REQUESTS_PER_DAY - 1}@example.cn"]
    staff.refresh_from_db()
    assert staff.email == OLD


@pytest.mark.django_db
def test_the_address_never_travels_in_a_cookie(staff, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """The flash message names the new address: it stays in the server-side session, never in a
    readable cookie on a shared phone (SECURITY.md D5, in spirit)."""
    client = signed_in(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHANGE_URL, {"email": NEW})
    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert all(NEW not in morsel.value for morsel in response.cookies.values())
    page = client.get("/accounts/")
    assert NEW in page.content.decode()  # the message is still shown, from the session
