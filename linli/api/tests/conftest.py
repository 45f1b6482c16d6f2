"""Fixtures for the API tests: signed-in clients and API tokens minted through the real flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from linli import testing
from linli.accounts.models import Role, User
from linli.areas.models import Area


@pytest.fixture(autouse=True)
def _english_messages(settings: Any) -> None:
    """Assert on the English msgids; ``test_errors`` checks the zh-Hans default separately."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def system_admin(tree: testing.Tree, make_staff: Callable[..., User]) -> User:
    return make_staff(Role.SYSTEM_ADMIN, tree.district, username="sysadmin")


@pytest.fixture
def admin_client(system_admin: User) -> Client:
    return testing.client_for(system_admin)


@pytest.fixture
def mint_token(admin_client: Client) -> Callable[..., str]:
    """Issue a token through ``POST /api/v1/tokens`` and return its plaintext."""

    def mint(owner: User, area: Area, *, name: str = "integration", days: int = 90) -> str:
        response = admin_client.post(
            "/api/v1/tokens",
            {"name": name, "owner_id": owner.pk, "area_id": area.pk, "expires_in_days": days},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        return str(response.json()["token"])

    return mint


def bearer(token: str, **kwargs: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", **kwargs)
