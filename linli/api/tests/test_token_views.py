"""The API-token pages (/accounts/tokens/): system administrator only, re-authentication before
issuing, secret shown once, revocation, navigation entry."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import timezone

from linli import testing
from linli.accounts.models import ApiToken, Role
from linli.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
LIST_URL = "/accounts/tokens/"
ISSUE_URL = "/accounts/tokens/new/"


def _form(owner, area, **extra):
    return {"name": "water meters", "owner": owner.pk, "area": area.pk, "lifetime_days": 90, **extra}


def test_list_shows_tokens_without_secrets(tree, make_staff, mint_token, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1, username="meterbot")
    plaintext = mint_token(worker, tree.grid_a1, name="water meters")
    response = admin_client.get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<td class="list-primary" data-label="Name">water meters<br>' in html
    assert '<td data-label="Owner">测试员</td>' in html  # the owner's display name
    assert tree.grid_a1.name in html
    assert f"lnl_{ApiToken.objects.get().prefix}_…" in html
    assert plaintext.split("_", 2)[2] not in html
    assert f'action="/accounts/tokens/{ApiToken.objects.get().pk}/revoke/"' in html


@pytest.mark.parametrize(
    ("role", "area_name"),
    [(Role.GRID_WORKER, "grid_a1"), (Role.SECURITY_ADMIN, "district"), (Role.STREET_OFFICER, "street")],
)
def test_pages_are_404_for_other_roles(tree, make_staff, role, area_name) -> None:
    actor = make_staff(role, getattr(tree, area_name))
    client = testing.client_for(actor)
    assert client.get(LIST_URL).status_code == 404
    assert client.get(ISSUE_URL).status_code == 404
    assert AuditEvent.objects.filter(event_type="authz.denied", actor=actor).count() == 2


def test_anonymous_and_password_only_sessions_are_sent_to_sign_in(tree, system_admin) -> None:
    response = Client().get(LIST_URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    response = testing.client_for(system_admin, second_factor=False).get(LIST_URL)
    assert (response.status_code, response["Location"]) == (302, "/accounts/second-factor/")


def test_issue_needs_fresh_reauthentication(tree, make_staff, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    session = admin_client.session
    session["linli_reauthenticated_at"] = timezone.now().timestamp() - 301
    session.save()
    for response in (admin_client.get(ISSUE_URL), admin_client.post(ISSUE_URL, _form(worker, tree.grid_a1))):
        assert response.status_code == 302
        assert response["Location"] == "/accounts/reauthenticate/?next=%2Faccounts%2Ftokens%2Fnew%2F"
    assert not ApiToken.objects.exists()


def test_issue_form_offers_owners_and_areas_in_remit(tree, make_staff, system_admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1, username="gridbot")
    other_admin = make_staff(Role.SECURITY_ADMIN, tree.district, username="secadmin")
    client = testing.client_for(make_staff(Role.SYSTEM_ADMIN, tree.community_a))
    html = client.get(ISSUE_URL).content.decode()
    owner_options = re.findall(r'<option value="(\d+)"', html.split('name="owner"')[1].split("</select>")[0])
    area_options = re.findall(r'<option value="(\d+)"', html.split('name="area"')[1].split("</select>")[0])
    assert owner_options == [str(worker.pk)]
    assert str(other_admin.pk) not in owner_options and str(system_admin.pk) not in owner_options
    assert area_options == [str(tree.community_a.pk), str(tree.grid_a1.pk), str(tree.grid_a2.pk)]


def test_issue_shows_secret_once(tree, make_staff, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    response = admin_client.post(ISSUE_URL, _form(worker, tree.grid_a1, lifetime_days=30))
    assert response.status_code == 201
    html = response.content.decode()
    match = re.search(r'value="(lnl_[0-9a-f]{8}_[A-Za-z0-9_-]{43})"', html)
    assert match is not None
    plaintext = match.group(1)
    token = ApiToken.objects.get()
    assert (token.name, token.owner_id, token.area_id, (token.expires_at - token.created_at).days) == (
        "water meters",
        worker.pk,
        tree.grid_a1.pk,
        30,
    )
    assert response["Cache-Control"] == "no-store"
    assert plaintext not in admin_client.get(LIST_URL).content.decode()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get("/api/v1/me").json()["id"] == worker.pk
    assert AuditEvent.objects.filter(event_type="api_token.issued").count() == 1


def test_issue_refuses_area_outside_owner_roles(tree, make_staff, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    response = admin_client.post(ISSUE_URL, _form(worker, tree.grid_b1))
    assert response.status_code == 422
    assert "The owner holds no role at an area containing this area." in response.content.decode()
    assert not ApiToken.objects.exists()
    response = admin_client.post(ISSUE_URL, _form(worker, tree.grid_a1, name=""))
    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_issue_post_needs_csrf(tree, make_staff, system_admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.sign_in(Client(enforce_csrf_checks=True), system_admin)
    assert client.post(ISSUE_URL, _form(worker, tree.grid_a1)).status_code == 403
    assert not ApiToken.objects.exists()


def test_revoke(tree, make_staff, mint_token, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    plaintext = mint_token(worker, tree.grid_a1)
    token = ApiToken.objects.get()
    assert admin_client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    response = admin_client.post(f"/accounts/tokens/{token.pk}/revoke/")
    assert (response.status_code, response["Location"]) == (302, LIST_URL)
    assert ApiToken.objects.get().revoked_at is not None
    assert Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(event_type="api_token.revoked").count() == 1
    assert "revoked" in admin_client.get(LIST_URL).content.decode()


def test_revoke_outside_remit_is_404(tree, make_staff, mint_token) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    mint_token(worker, tree.grid_a1)
    token = ApiToken.objects.get()
    client = testing.client_for(make_staff(Role.SYSTEM_ADMIN, tree.community_b))
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_navigation_entry_for_system_admin_only(tree, make_staff, admin_client) -> None:
    assert 'href="/accounts/tokens/"' in admin_client.get("/accounts/").content.decode()
    worker_client = testing.client_for(make_staff(Role.GRID_WORKER, tree.grid_a1))
    assert 'href="/accounts/tokens/"' not in worker_client.get("/accounts/").content.decode()
