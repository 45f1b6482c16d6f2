"""Cross-cutting HTTP middleware: request context and security headers (CSP 'self', no-store)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from linli.core import context

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; manifest-src 'self'; worker-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


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
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)")
        if not request.path.startswith("/static/") and not getattr(response, "cacheable_shell", False):
            response["Cache-Control"] = "no-store"
        return response
