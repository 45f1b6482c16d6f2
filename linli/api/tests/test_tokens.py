"""Token management through the API: system administrator only, fresh re-authentication to
issue, secret shown once and stored only as a hash, scoped to the administrator's remit,
immediate revocation, audited."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.db import connection
from django.utils import timezone

from linli import testing
from linli.accounts.models import ApiToken, Role, RoleAssignment
from linli.api.tests.conftest import bearer
from linli.audit.models import AuditEvent

pytestmark = pytest.mark.django_db
TOKEN_FORMAT = re.compile(r"^lnl_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


def _issue(client, owner, area, **extra):
    payload = {"name": "gateway", "owner_id": owner.pk, "area_id": area.pk, **extra}
    return client.post("/api/v1/tokens", payload, content_type="application/json")


def test_issue_token_returns_secret_once_and_stores_only_hash(tree, make_staff, admin_client, system_admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1, username="gridbot")
    response = _issue(admin_client, worker, tree.grid_a1, expires_in_days=30)
    assert response.status_code == 201
    body = response.json()
    plaintext = body.pop("token")
    match = TOKEN_FORMAT.fullmatch(plaintext)
    assert match is not None
    prefix, secret = match.groups()
    row = ApiToken.objects.get()
    assert body == {
        "id": row.pk,
        "name": "gateway",
        "prefix": prefix,
        "owner_id": worker.pk,
        "owner_username": "gridbot",
        "area_id": tree.grid_a1.pk,
        "area_name": tree.grid_a1.name,
        "created_at": body["created_at"],
        "expires_at": body["expires_at"],
        "last_used_at": None,
        "revoked_at": None,
        "status": "active",
    }
    assert (row.expires_at - row.created_at).days == 30
    # A3: only SHA-256 of the secret is stored; the raw row holds neither secret nor token.
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken")
        raw_rows = cursor.fetchall()
        cursor.execute("SELECT * FROM audit_auditevent")
        raw_audit = cursor.fetchall()
    assert secret not in repr(raw_rows) and plaintext not in repr(raw_rows)
    assert secret not in repr(raw_audit)
    event = AuditEvent.objects.filter(event_type="api_token.issued").get()
    assert (event.actor_id, event.object_type, event.object_id, event.area_id) == (
        system_admin.pk,
        "accounts.apitoken",
        str(row.pk),
        tree.grid_a1.pk,
    )
    assert event.detail == {
        "name": "gateway",
        "prefix": prefix,
        "owner_id": worker.pk,
        "expires_at": row.expires_at.isoformat(),
    }
    # Never shown again.
    listing = admin_client.get("/api/v1/tokens")
    assert secret.encode() not in listing.content
    assert "token" not in listing.json()["items"][0]
    assert bearer(plaintext).get("/api/v1/me").json()["id"] == worker.pk


def test_issue_requires_fresh_reauthentication(tree, make_staff, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    session = admin_client.session
    session["linli_reauthenticated_at"] = timezone.now().timestamp() - 301
    session.save()
    response = _issue(admin_client, worker, tree.grid_a1)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "reauthentication_required", "message": "Confirm your identity first."}
    }
    assert not ApiToken.objects.exists()
    assert not AuditEvent.objects.filter(event_type="api_token.issued").exists()
    assert admin_client.get("/api/v1/tokens").status_code == 200  # listing needs no re-authentication


@pytest.mark.parametrize(
    ("role", "area_name"),
    [
        (Role.GRID_WORKER, "grid_a1"),
        (Role.STREET_OFFICER, "street"),
        (Role.SECURITY_ADMIN, "district"),
        (Role.AUDIT_ADMIN, "district"),
    ],
)
def test_only_system_admin_manages_tokens(tree, make_staff, mint_token, role, area_name) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    mint_token(worker, tree.grid_a1)
    token = ApiToken.objects.get()
    actor = make_staff(role, getattr(tree, area_name))
    client = testing.client_for(actor)
    for response in (
        client.get("/api/v1/tokens"),
        _issue(client, worker, tree.grid_a1),
        client.post(f"/api/v1/tokens/{token.pk}/revoke"),
    ):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
    assert ApiToken.objects.count() == 1
    assert ApiToken.objects.get().revoked_at is None
    assert AuditEvent.objects.filter(event_type="authz.denied", actor=actor).count() == 3


def test_resident_cannot_manage_tokens(tree, make_resident, make_staff) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    client = testing.client_for(make_resident())
    assert client.get("/api/v1/tokens").status_code == 403
    assert _issue(client, worker, tree.grid_a1).status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("owner_spec", "area_name", "field", "code"),
    [
        ((Role.GRID_WORKER, "grid_a1"), "grid_b1", "area_id", "token_area_outside_roles"),
        ((Role.GRID_WORKER, "grid_a1"), "community_a", "area_id", "token_area_outside_roles"),
        ((Role.SYSTEM_ADMIN, "district"), "grid_a1", "owner_id", "token_owner"),
        ((Role.SECURITY_ADMIN, "district"), "grid_a1", "owner_id", "token_owner"),
        (None, "grid_a1", "owner_id", "token_owner"),
    ],
)
def test_issue_refuses_owner_or_area_mismatch(
    tree, make_staff, admin_client, owner_spec, area_name, field, code
) -> None:
    owner = make_staff(owner_spec[0], getattr(tree, owner_spec[1])) if owner_spec else make_staff()
    response = _issue(admin_client, owner, getattr(tree, area_name))
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], [item["field"] for item in error["fields"]]) == (code, [field])
    assert not ApiToken.objects.exists()


def test_issue_refuses_resident_owner_and_unknown_ids(tree, make_resident, make_staff, admin_client) -> None:
    resident = make_resident()
    assert _issue(admin_client, resident, tree.grid_a1).json()["error"]["code"] == "token_owner"
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    response = admin_client.post(
        "/api/v1/tokens", {"name": "x", "owner_id": worker.pk, "area_id": 999999}, content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]["code"]) == (422, "token_area")
    assert not ApiToken.objects.exists()


def test_issue_refuses_area_outside_admin_remit(tree, make_staff) -> None:
    admin = make_staff(Role.SYSTEM_ADMIN, tree.community_a)
    owner = make_staff(Role.COMMUNITY_WORKER, tree.community_a)
    RoleAssignment.objects.create(user=owner, role=Role.GRID_WORKER, area=tree.grid_b1)
    client = testing.client_for(admin)
    response = _issue(client, owner, tree.grid_b1)
    assert (response.status_code, response.json()["error"]["code"]) == (422, "token_area")
    assert not ApiToken.objects.exists()
    officer = make_staff(Role.STREET_OFFICER, tree.street)  # roles outside the remit: not an owner here
    assert _issue(client, officer, tree.grid_a1).json()["error"]["code"] == "token_owner"
    assert _issue(client, owner, tree.grid_a1).status_code == 201


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 366}, "expires_in_days"),
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"secret_hash": "0" * 64}, "secret_hash"),
        ({"prefix": "deadbeef"}, "prefix"),
        ({"revoked_at": None}, "revoked_at"),
    ],
)
def test_issue_validates_body(tree, make_staff, admin_client, extra, field) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    response = _issue(admin_client, worker, tree.grid_a1, **extra)
    assert response.status_code == 422
    assert [item["field"] for item in response.json()["error"]["fields"]] == [field]
    assert not ApiToken.objects.exists()


def test_issue_refuses_blank_name(tree, make_staff, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    response = _issue(admin_client, worker, tree.grid_a1, name="   ")
    assert (response.status_code, response.json()["error"]["code"]) == (422, "token_name")
    assert not ApiToken.objects.exists()


def test_list_tokens_scoped_to_admin_remit(tree, make_staff, mint_token) -> None:
    worker_a = make_staff(Role.GRID_WORKER, tree.grid_a1)
    worker_b = make_staff(Role.GRID_WORKER, tree.grid_b1)
    mint_token(worker_a, tree.grid_a1, name="a1")
    mint_token(worker_b, tree.grid_b1, name="b1")
    token_b = ApiToken.objects.get(name="b1")
    district_admin = testing.client_for(make_staff(Role.SYSTEM_ADMIN, tree.street))
    body = district_admin.get("/api/v1/tokens").json()
    assert [item["name"] for item in body["items"]] == ["b1", "a1"]
    assert body["count"] == 2
    community_admin = testing.client_for(make_staff(Role.SYSTEM_ADMIN, tree.community_b))
    body = community_admin.get("/api/v1/tokens").json()
    assert [item["name"] for item in body["items"]] == ["b1"]
    assert body["items"][0]["status"] == "active"
    assert community_admin.get("/api/v1/tokens?limit=1&offset=1").json()["items"] == []
    token_a = ApiToken.objects.get(name="a1")
    response = community_admin.post(f"/api/v1/tokens/{token_a.pk}/revoke")
    assert response.status_code == 404
    assert ApiToken.objects.get(name="a1").revoked_at is None
    assert community_admin.post(f"/api/v1/tokens/{token_b.pk}/revoke").status_code == 200


def test_revoked_token_is_refused_immediately(tree, make_staff, mint_token, admin_client, system_admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    plaintext = mint_token(worker, tree.grid_a1)
    token = ApiToken.objects.get()
    assert bearer(plaintext).get("/api/v1/areas").status_code == 200
    response = admin_client.post(f"/api/v1/tokens/{token.pk}/revoke")
    assert response.status_code == 200
    assert response.json()["status"] == "revoked"
    assert response.json()["revoked_at"] is not None
    assert bearer(plaintext).get("/api/v1/areas").status_code == 401
    event = AuditEvent.objects.filter(event_type="api_token.revoked").get()
    assert (event.actor_id, event.object_id, event.area_id) == (system_admin.pk, str(token.pk), tree.grid_a1.pk)
    assert event.detail == {"name": "integration", "prefix": token.prefix, "owner_id": worker.pk}
    revoked_at = ApiToken.objects.get().revoked_at
    again = admin_client.post(f"/api/v1/tokens/{token.pk}/revoke")
    assert again.status_code == 200
    assert ApiToken.objects.get().revoked_at == revoked_at
    assert AuditEvent.objects.filter(event_type="api_token.revoked").count() == 1
    assert admin_client.post("/api/v1/tokens/999999/revoke").status_code == 404
    assert admin_client.get("/api/v1/tokens").json()["items"][0]["status"] == "revoked"


def test_expired_status_in_listing(tree, make_staff, mint_token, admin_client) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    mint_token(worker, tree.grid_a1)
    ApiToken.objects.update(expires_at=timezone.now())
    assert admin_client.get("/api/v1/tokens").json()["items"][0]["status"] == "expired"
