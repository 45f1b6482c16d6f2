"""SECURITY.md test 6: schemathesis against ``/api/v1/openapi.json`` with two identities of
different scope — grid workers of grid A1 and grid B1, each with a bearer token — in-process
through the WSGI application (no network).

Every generated request (valid and invalid) must answer without a 5xx, with a status the
schema declares and a body that conforms to it; and neither identity ever sees the other's
grid. The number of examples is bounded so the test runs in well under a minute."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.serializers.json import DjangoJSONEncoder
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.checks import negative_data_rejection

from linli import testing
from linli.accounts.models import Role

MAX_EXAMPLES = 6


@pytest.fixture
def world(db: Any, settings: Any) -> Iterator[dict[str, Any]]:
    """Built once per test; hypothesis runs every example of an operation against it inside the
    test's transaction, rolled back at the end."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    settings.LINLI_API_RATE_AUTHENTICATED = "100000/min"
    settings.LINLI_API_RATE_ANONYMOUS = "100000/min"
    tree = testing.build_tree()
    admin = testing.make_staff(Role.SYSTEM_ADMIN, tree.district, username="fuzz-admin")
    admin_client = testing.client_for(admin)
    identities = {}
    for key, grid in (("a1", tree.grid_a1), ("b1", tree.grid_b1)):
        worker = testing.make_staff(Role.GRID_WORKER, grid, username=f"fuzz-worker-{key}")
        response = admin_client.post(
            "/api/v1/tokens",
            {"name": f"fuzz {key}", "owner_id": worker.pk, "area_id": grid.pk, "expires_in_days": 30},
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        identities[key] = {"token": response.json()["token"], "grid": grid, "user": worker}
    # The WSGI application would close the test's connection after each request (as the test
    # client avoids too): keep it, so every request sees the test's data.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"tree": tree, "identities": identities}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _load_schema() -> Any:
    """The document ``/api/v1/openapi.json`` serves (``test_served_document_is_the_fuzzed_one``),
    built in-process; requests go to the WSGI application. (Loaded eagerly: schemathesis's lazy
    ``from_fixture`` does not run under pytest 9.)"""
    from linli.api.api import api
    from linli.wsgi import application

    document = json.loads(json.dumps(api.get_openapi_schema(), cls=DjangoJSONEncoder))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    loaded.location = "/api/v1/openapi.json"
    return loaded


schema = _load_schema()


def _foreign_grid_check(own: str, other: dict[str, Any]) -> Any:
    grid = other["grid"]

    def never_the_other_grid(ctx: Any, response: Any, case: Any) -> None:
        text = response.text or ""
        assert grid.name not in text, f"identity {own} saw grid {grid.name}"
        if case.path_parameters and case.path_parameters.get("area_id") == grid.pk:
            assert response.status_code in (404, 422, 429), response.status_code

    return never_the_other_grid


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_for_two_scopes(case: Any, world: dict[str, Any]) -> None:
    identities = world["identities"]
    for own, other in (("a1", "b1"), ("b1", "a1")):
        case.call_and_validate(
            headers={"Authorization": f"Bearer {identities[own]['token']}"},
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_schema_conformance,
                negative_data_rejection,
                _foreign_grid_check(own, identities[other]),
            ],
        )


@pytest.mark.django_db
def test_served_document_is_the_fuzzed_one(client: Any) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json() == schema.raw_schema
    operations = {(item.method, item.path) for item in (result.ok() for result in schema.get_all_operations())}
    assert ("patch", "/api/v1/me/preferences") in operations
    assert ("get", "/api/v1/areas/{area_id}") in operations
