"""Cross-cutting HTTP middleware: request context and security headers (CSP 'self', no-store)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from linli.core import context

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# An http(s) tile URL template; a "{s}" subdomain placeholder may only be the host's first label.
TILE_URL = re.compile(r"^(https?)://((?:\{s\}\.)?[A-Za-z0-9.-]+(?::[0-9]{1,5})?)/[^\s;,'\"]*$")


def map_tile_source(url: str) -> str:
    """The CSP source of a configured map tile URL template (``https://*.tiles.example.cn``), or
    "" when the template is empty or not a plain http(s) URL (then no tiles are shown at all)."""
    match = TILE_URL.match(url.strip())
    if match is None:
        return ""
    return f"{match.group(1)}://{match.group(2).replace('{s}', '*')}"


@lru_cache(maxsize=4)
def content_security_policy(tile_url: str) -> str:
    source = map_tile_source(tile_url)
    if not source:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("img-src 'self' data:", f"img-src 'self' data: {source}")


def client_ip(request: HttpRequest) -> str | None:
    """The peer address. A reverse proxy in production sets REMOTE_ADDR through the server's
    trusted-proxy configuration; we never trust X-Forwarded-For from the client directly."""
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_context = context.RequestContext(
            source_ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:300],
            **({"request_id": incoming} if incoming.isalnum() and len(incoming) <= 64 else {}),
        )
        request.request_id = request_context.request_id  # type: ignore[attr-defined]
        with context.bind(request_context):
            response = self.get_response(request)
        response["X-Request-ID"] = request_context.request_id
        return response


class SecurityHeadersMiddleware:
    """Strict CSP for every response; ``Cache-Control: no-store`` for every non-static response,
    because any page may show personal data and shared phones are common."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", content_security_policy(settings.LINLI_MAP_TILE_URL))
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if not request.path.startswith("/static/") and not getattr(response, "cacheable_shell", False):
            response["Cache-Control"] = "no-store"
        return response
