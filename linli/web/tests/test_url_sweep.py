"""SECURITY.md test 1 (B1, deny by default): walk every URL pattern.

* Every HTML view carries exactly one guard from ``linli.accounts.decorators`` (a view without a
  rule is a failing test).
* Anonymous GET and POST requests to every URL answer with a redirect to sign-in, 401, 404 or 405 —
  only the reviewed allowlist below may answer 2xx.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

# Reviewed: pages an anonymous visitor may see. Each carries no personal data.
ANONYMOUS_ALLOWLIST = {
    "web:home",  # landing page
    "web:healthz",  # load balancer check
    "web:offline",  # PWA offline page
    "web:manifest",  # web app manifest
    "web:service_worker",  # service worker script
    "accounts:login",  # resident sign-in
    "accounts:staff_login",  # staff sign-in
    "accounts:enrolment_link",  # a staff enrolment link: 410 unless valid; remembers it for sign-in
    "notify_demo:sms_outbox",  # demo mode only (404 otherwise), fictional data
    "demo:authenticator",  # demo mode only (404 otherwise), fictional accounts
    "demo:authenticator_codes",
    "api:openapi-json",  # the API schema (no data)
    "notices:board_index",  # community notice boards: published notices, place names only
    "notices:board",
    "notices:board_detail",
    "notices:attachment",  # files of published notices (404 for others, unless staff in scope)
}
# Anonymous POSTs that may answer 2xx (a form re-rendered with errors is 4xx in Linli).
ANONYMOUS_POST_ALLOWLIST: set[str] = set()
SAMPLE_VALUES = {"int": "1", "uuid": str(uuid.UUID(int=1)), "slug": "x", "str": "x", "path": "x"}


def walk(patterns: list[Any], prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            child_namespace = entry.namespace or namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), child_namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            yield prefix + str(entry.pattern), name, entry.callback


def concrete_path(route: str) -> str:
    import re

    path = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES.get(m.group(1) or "str", "1"), route)
    path = path.replace("^", "").replace("$", "").replace("\\Z", "")
    return "/" + path


ALL_ROUTES = sorted(set(walk(get_resolver().url_patterns)), key=lambda item: item[0])
HTML_ROUTES = [route for route in ALL_ROUTES if not route[0].startswith("api/")]


def test_the_sweep_sees_the_foundation_routes() -> None:
    names = {name for _, name, _ in ALL_ROUTES}
    assert {"web:home", "web:workbench", "accounts:login", "accounts:account", "areas:tree", "audit:events"} <= names


@pytest.mark.parametrize(("route", "name", "callback"), HTML_ROUTES, ids=[r[0] or "/" for r in HTML_ROUTES])
def test_every_view_has_a_guard(route: str, name: str, callback: Any) -> None:
    guard = getattr(callback, "linli_guard", None)
    assert guard in {"public", "signed_in", "rule", "second_factor_pending"}, f"{route} ({name}) has no guard"
    if guard == "public":
        assert name in ANONYMOUS_ALLOWLIST or name.endswith(("logout", "preferences", "login_restart")), (
            f"{route} ({name}) is public but not in the reviewed allowlist"
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name", "callback"), ALL_ROUTES, ids=[r[0] or "/" for r in ALL_ROUTES])
def test_anonymous_requests_are_denied(route: str, name: str, callback: Any) -> None:
    client = Client()
    path = concrete_path(route)
    response = client.get(path)
    if name not in ANONYMOUS_ALLOWLIST:
        assert response.status_code in {301, 302, 401, 403, 404, 405}, f"GET {path} → {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/login/"), response["Location"]
    post = client.post(path, {})
    if name not in ANONYMOUS_POST_ALLOWLIST:
        assert post.status_code not in range(200, 300), f"POST {path} → {post.status_code}"
