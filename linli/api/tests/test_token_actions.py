"""linli.accounts.actions.tokens: issuing, revoking and authenticating tokens without HTTP."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from linli.accounts.actions import tokens
from linli.accounts.models import ApiToken, Role, RoleAssignment
from linli.accounts.scoping import grants
from linli.areas.models import Area
from linli.core.errors import PermissionRefused, ReauthenticationRequired, ValidationFailed

pytestmark = pytest.mark.django_db


def _request(user, *, fresh: bool = True):
    user.is_verified = lambda: True  # a TOTP-verified session, as django-otp marks it
    stamp = timezone.now().timestamp() - (0 if fresh else 3600)
    return SimpleNamespace(user=user, session={"linli_reauthenticated_at": stamp})


@pytest.fixture
def admin(tree, make_staff):
    return make_staff(Role.SYSTEM_ADMIN, tree.district)


def test_issue_and_authenticate(tree, make_staff, admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    issued = tokens.do_issue_api_token(_request(admin), owner=worker, area=tree.grid_a1, name=" sensor hub ")
    assert issued.token.name == "sensor hub"
    user = tokens.authenticate_token(issued.plaintext)
    assert user is not None and user.pk == worker.pk
    assert user.linli_api_token.pk == issued.token.pk
    assert user.is_verified() is False  # a token is not a TOTP session …
    assert [(g.role, g.area_id) for g in grants(user)] == [(Role.GRID_WORKER, tree.grid_a1.pk)]  # … but has grants


def test_issue_needs_rule_and_fresh_reauthentication(tree, make_staff, admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    with pytest.raises(PermissionRefused):
        tokens.do_issue_api_token(_request(worker), owner=worker, area=tree.grid_a1, name="x")
    with pytest.raises(ReauthenticationRequired):
        tokens.do_issue_api_token(_request(admin, fresh=False), owner=worker, area=tree.grid_a1, name="x")
    assert not ApiToken.objects.exists()


def test_issue_refuses_administrator_owner(tree, make_staff, admin) -> None:
    """三员: an account holding an administrator role cannot own a token, even alongside an
    operational role."""
    owner = make_staff(Role.STREET_OFFICER, tree.street)
    RoleAssignment.objects.create(user=owner, role=Role.AUDIT_ADMIN, area=tree.district)
    with pytest.raises(ValidationFailed) as refused:
        tokens.do_issue_api_token(_request(admin), owner=owner, area=tree.grid_a1, name="x")
    assert (refused.value.code, refused.value.field) == ("token_owner_admin", "owner_id")
    assert not ApiToken.objects.exists()


def test_issue_refuses_inactive_area_and_lifetimes(tree, make_staff, admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    Area.objects.filter(pk=tree.dwelling_a1.pk).update(is_active=False)
    inactive = Area.objects.get(pk=tree.dwelling_a1.pk)
    for kwargs, code in (
        ({"area": inactive}, "token_area"),
        ({"area": None}, "token_area"),
        ({"area": tree.grid_a1, "lifetime_days": 0}, "token_lifetime"),
        ({"area": tree.grid_a1, "lifetime_days": 366}, "token_lifetime"),
        ({"area": tree.grid_a1, "name": "y" * 101}, "token_name"),
    ):
        arguments = {"owner": worker, "name": "x", **kwargs}
        with pytest.raises(ValidationFailed) as refused:
            tokens.do_issue_api_token(_request(admin), **arguments)
        assert refused.value.code == code
    assert not ApiToken.objects.exists()


def test_authenticate_refuses_inactive_area_and_non_staff_owner(tree, make_staff, admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    issued = tokens.do_issue_api_token(_request(admin), owner=worker, area=tree.grid_a1, name="x")
    Area.objects.filter(pk=tree.grid_a1.pk).update(is_active=False)
    assert tokens.authenticate_token(issued.plaintext) is None
    Area.objects.filter(pk=tree.grid_a1.pk).update(is_active=True)
    assert tokens.authenticate_token(issued.plaintext) is not None
    type(worker).objects.filter(pk=worker.pk).update(kind="resident")
    assert tokens.authenticate_token(issued.plaintext) is None


@pytest.mark.parametrize(
    "raw", ["", "lnl", "lnl__", "lnl_ABCDEF12_" + "a" * 43, "lnl_abcdef12_" + "a" * 42, "xyz_abcdef12_" + "a" * 43]
)
def test_authenticate_refuses_malformed(tree, raw) -> None:
    assert tokens.authenticate_token(raw) is None


def test_revoke_is_immediate_and_idempotent(tree, make_staff, admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    issued = tokens.do_issue_api_token(_request(admin), owner=worker, area=tree.grid_a1, name="x")
    with pytest.raises(PermissionRefused):
        tokens.do_revoke_api_token(issued.token, acting_user=_request(worker).user)
    assert tokens.authenticate_token(issued.plaintext) is not None
    revoked = tokens.do_revoke_api_token(issued.token, acting_user=_request(admin).user)
    assert revoked.revoked_at is not None
    assert tokens.authenticate_token(issued.plaintext) is None
    assert tokens.do_revoke_api_token(issued.token, acting_user=admin).revoked_at == revoked.revoked_at


def test_token_status(tree, make_staff, admin) -> None:
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    token = tokens.do_issue_api_token(_request(admin), owner=worker, area=tree.grid_a1, name="x").token
    now = timezone.now()
    assert tokens.token_status(token, now) == "active"
    assert tokens.token_status(token, token.expires_at + datetime.timedelta(seconds=1)) == "expired"
    token.revoked_at = now
    assert tokens.token_status(token, now) == "revoked"
