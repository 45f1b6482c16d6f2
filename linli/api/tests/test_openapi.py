"""G3: the OpenAPI schema lists every route, every operation has a test, and every operation
is closed to anonymous callers (B1)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from linli.api.api import api

# Every operation in the schema, with the tests that exercise it. Adding a route without adding
# it here (and writing its tests) fails ``test_every_operation_is_tested``.
TESTED_OPERATIONS = {
    ("get", "/api/v1/me"): "test_me.py::test_me_shows_masked_phone_roles_and_preferences",
    ("patch", "/api/v1/me/preferences"): "test_me.py::test_preferences_change_language_and_elderly_mode",
    ("get", "/api/v1/areas"): "test_areas.py::test_grid_worker_lists_only_own_grid_subtree",
    ("get", "/api/v1/areas/{area_id}"): "test_areas.py::test_area_detail_in_scope_and_404_outside",
    ("get", "/api/v1/areas/{area_id}/children"): "test_areas.py::test_children_in_scope_and_404_outside",
    ("get", "/api/v1/notifications"): "test_notifications.py::test_list_shows_only_own_notifications",
    ("post", "/api/v1/notifications/{notification_id}/read"): "test_notifications.py::test_mark_read",
    ("post", "/api/v1/notifications/read-all"): "test_notifications.py::test_mark_all_read",
    ("get", "/api/v1/tokens"): "test_tokens.py::test_list_tokens_scoped_to_admin_remit",
    ("post", "/api/v1/tokens"): "test_tokens.py::test_issue_token_returns_secret_once_and_stores_only_hash",
    ("post", "/api/v1/tokens/{token_id}/revoke"): "test_tokens.py::test_revoked_token_is_refused_immediately",
    ("get", "/api/v1/notices"): "test_notices.py::test_staff_publish_and_residents_read",
    ("post", "/api/v1/notices"): "test_notices.py::test_out_of_scope_publishing_answers_404_and_changes_nothing",
    ("get", "/api/v1/notices/{notice_id}"): "test_notices.py::test_withdrawn_notice_body_is_hidden_from_residents",
    ("post", "/api/v1/notices/{notice_id}/read"): "test_notices.py::test_staff_publish_and_residents_read",
    ("get", "/api/v1/notices/{notice_id}/stats"): "test_notices.py::test_scheduling_and_staff_scope",
}
METHODS = {"get", "post", "put", "patch", "delete"}


def _schema(client: Client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return response.json()


def _operations(schema: dict) -> set[tuple[str, str]]:
    return {(method, path) for path, item in schema["paths"].items() for method in item if method in METHODS}


@pytest.mark.django_db
def test_schema_is_public_and_titled() -> None:
    schema = _schema(Client())
    assert schema["info"]["title"] == "Linli API"
    assert schema["info"]["version"] == "1"
    assert schema["openapi"].startswith("3.")


@pytest.mark.django_db
def test_schema_is_read_only() -> None:
    for method in ("post", "put", "patch", "delete"):
        assert getattr(Client(), method)("/api/v1/openapi.json").status_code == 405
    assert Client().head("/api/v1/openapi.json").status_code == 200


@pytest.mark.django_db
def test_every_operation_is_tested() -> None:
    assert _operations(_schema(Client())) == set(TESTED_OPERATIONS)


@pytest.mark.django_db
def test_tested_operation_names_exist() -> None:
    """The test named for each operation exists, so the list above cannot drift."""
    import importlib

    for reference in TESTED_OPERATIONS.values():
        module_file, test_name = reference.split("::")
        module = importlib.import_module(f"linli.api.tests.{module_file.removesuffix('.py')}")
        assert callable(getattr(module, test_name)), reference


@pytest.mark.django_db
def test_schema_lists_every_api_route() -> None:
    """Every URL pattern under /api/v1/ except the schema and the root is an operation."""
    resolver = get_resolver()
    api_patterns = next(p for p in resolver.url_patterns if str(p.pattern) == "api/v1/")
    routes = {
        "/api/v1/" + str(p.pattern).replace("<", "{").replace(">", "}")
        for p in api_patterns.url_patterns  # type: ignore[attr-defined]
        if isinstance(p, URLPattern) and p.name not in {"openapi-json", "api-root"}
    }
    assert routes == {path for _method, path in TESTED_OPERATIONS}


@pytest.mark.django_db
def test_every_operation_requires_authentication_and_documents_errors() -> None:
    schema = _schema(Client())
    schemes = schema["components"]["securitySchemes"]
    assert schemes["TokenAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "lnl_<prefix>_<secret>"}
    assert schemes["SessionAuth"] == {"type": "apiKey", "in": "cookie", "name": "linli_session"}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            assert operation["security"], (method, path)
            assert "401" in operation["responses"], (method, path)
            assert "429" in operation["responses"], (method, path)
            if "{" in path or operation.get("parameters"):
                assert "422" in operation["responses"], (method, path)  # invalid path or query values
            if "requestBody" in operation:
                assert {"400", "422"} <= set(operation["responses"]), (method, path)
            if method != "get":
                assert "403" in operation["responses"], (method, path)  # CSRF on session writes


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), sorted(TESTED_OPERATIONS))
def test_anonymous_gets_401_everywhere(method: str, path: str) -> None:
    url = path.replace("{area_id}", "1").replace("{notification_id}", "1").replace("{token_id}", "1")
    url = url.replace("{notice_id}", "1")
    response = getattr(Client(), method)(url, content_type="application/json")
    assert response.status_code == 401
    assert response.json() == {"error": {"code": "not_authenticated", "message": "Sign in or send a valid API token."}}
    assert response["WWW-Authenticate"] == 'Bearer realm="linli"'


@pytest.mark.django_db
def test_no_interactive_docs_page_and_root_is_404() -> None:
    """Swagger UI needs inline styles our CSP refuses, so there is no docs page."""
    client = Client()
    assert client.get("/api/v1/docs").status_code == 404
    assert client.get("/api/v1/").status_code == 404


def test_api_views_are_tagged_for_the_url_sweep() -> None:
    resolver = get_resolver()
    api_patterns = next(p for p in resolver.url_patterns if str(p.pattern) == "api/v1/")
    guards = {p.name: p.callback.linli_guard for p in api_patterns.url_patterns}  # type: ignore[attr-defined]
    assert guards.pop("openapi-json") == "public"
    assert guards.pop("api-root") == "public"
    assert set(guards.values()) == {"api"}
    assert len(guards) == len({name for name in guards})
    assert api.urls_namespace == "api"


@pytest.mark.django_db
def test_operation_ids_are_short_and_unique() -> None:
    schema = _schema(Client())
    ids = [operation["operationId"] for item in schema["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids)) == len(TESTED_OPERATIONS)
    assert "list_areas" in ids and all("." not in name and not name.startswith("linli") for name in ids)


@pytest.mark.django_db
def test_responses_are_utf8_json(tree, make_staff) -> None:
    from linli import testing
    from linli.accounts.models import Role

    client = testing.client_for(make_staff(Role.GRID_WORKER, tree.grid_a1))
    response = client.get(f"/api/v1/areas/{tree.grid_a1.pk}")
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert tree.grid_a1.name.encode() in response.content
