"""One JSON error body for every failure (SECURITY.md G1: no stack traces in responses)::

    {"error": {"code": "not_found", "message": "Not found.", "fields": [...]}}

``code`` is stable and machine-readable (the codes of ``linli.core.errors``); ``message`` is
translated for people; ``fields`` appears on 422 answers and names each invalid input as
``{"location": "body", "field": "elderly_mode", "type": "bool_type", "message": "…"}``.

Statuses: 401 not signed in (or the staff session has not passed TOTP), 403 a signed-in account
without the function's rule (function level, B4), 404 unknown or outside the actor's
jurisdiction (object level, B2 — never 403, so a probe learns nothing), 409 conflict, 413 a body
over the limit (answered by ``linli.web.errors.ErrorPagesMiddleware`` before the API reads it,
and here should a body still prove too large), 422 invalid input, 429 throttled (with
``Retry-After``), 500 an unexpected error (logged with the request id, body without detail).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from linli.core.errors import LinliError, RateLimited
from linli.core.errors import error_body as error_body

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("linli.api")


class NotAuthenticated(AuthenticationError):
    """401 with a code telling the client what to do."""

    def __init__(self, code: str = "not_authenticated", message: str = "") -> None:
        super().__init__(status_code=401, message=message)
        self.code = code


class CsrfFailed(HttpError):
    def __init__(self) -> None:
        super().__init__(403, "CSRF check failed")


def _respond(api: NinjaAPI, request: HttpRequest, status: int, code: str, message: Any, **extra: Any) -> HttpResponse:
    return api.create_response(request, error_body(code, message, **extra), status=status)


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    fields = []
    for item in errors:
        location = [str(part) for part in item.get("loc", ())]
        path = location[1:]
        if location[:1] == ["body"] and len(path) > 1:
            path = path[1:]  # drop the view's parameter name ("payload"): name the JSON field
        fields.append(
            {
                "location": location[0] if location else "",
                "field": ".".join(path),
                "type": str(item.get("type", "")),
                "message": str(item.get("msg", "")),
            }
        )
    return fields


def install(api: NinjaAPI) -> None:
    """Register the handlers on ``api`` (replacing ninja's defaults)."""

    def linli_error(request: HttpRequest, exc: Any) -> HttpResponse:
        assert isinstance(exc, LinliError)
        extra: dict[str, Any] = {}
        if exc.field:
            location = "query" if request.method in ("GET", "HEAD") else "body"
            extra["fields"] = [
                {"location": location, "field": exc.field, "type": exc.code, "message": str(exc.message)}
            ]
        response = _respond(api, request, exc.status, exc.code, exc.message, **extra)
        if exc.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="linli"'
        if isinstance(exc, RateLimited) and exc.retry_after:
            response["Retry-After"] = str(exc.retry_after)
        return response

    def too_large(request: HttpRequest, exc: Any) -> HttpResponse:
        return _respond(api, request, 413, "too_large", _("The request body is too large."))

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return _respond(api, request, 404, "not_found", _("Not found."))

    def permission_denied(request: HttpRequest, exc: Any) -> HttpResponse:
        return _respond(api, request, 403, "forbidden", _("You may not do this."))

    def authentication(request: HttpRequest, exc: Any) -> HttpResponse:
        # Requests without valid credentials count against the per-client anonymous rate, so
        # guessing tokens or hammering the API without signing in is throttled too (G2).
        from linli.api.throttling import AnonymousThrottle

        throttle = AnonymousThrottle()
        if not throttle.allow_request(request):
            return throttled(request, Throttled(wait=throttle.wait()))  # type: ignore[arg-type]
        code = getattr(exc, "code", "not_authenticated")
        message = {
            "second_factor_required": _("Complete the second sign-in step (TOTP) first."),
        }.get(code, _("Sign in or send a valid API token."))
        response = _respond(api, request, 401, code, message)
        response["WWW-Authenticate"] = 'Bearer realm="linli"'
        return response

    def throttled(request: HttpRequest, exc: Any) -> HttpResponse:
        assert isinstance(exc, Throttled)
        response = _respond(api, request, 429, "rate_limited", _("Too many requests. Try again later."))
        if exc.wait:
            response["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        return response

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        assert isinstance(exc, HttpError)
        if isinstance(exc, CsrfFailed):
            return _respond(
                api, request, 403, "csrf_failed", _("The CSRF check failed. Reload the page and try again.")
            )
        if exc.status_code == 400:
            return _respond(api, request, 400, "bad_request", _("The request could not be read (malformed body)."))
        codes = {403: "forbidden", 404: "not_found", 405: "method_not_allowed", 409: "conflict"}
        return _respond(api, request, exc.status_code, codes.get(exc.status_code, "error"), _("The request failed."))

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        assert isinstance(exc, ValidationError)
        return _respond(api, request, 422, "invalid", _("Some input is not valid."), fields=_field_errors(exc.errors))

    def unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("API error (request %s)", getattr(request, "request_id", "-"))
        return _respond(
            api,
            request,
            500,
            "server_error",
            _("Something went wrong. Quote request %(id)s if you report it.")
            % {"id": getattr(request, "request_id", "-")},
        )

    api.add_exception_handler(Exception, unexpected)
    api.add_exception_handler(LinliError, linli_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(RequestDataTooBig, too_large)
    api.add_exception_handler(PermissionDenied, permission_denied)
    api.add_exception_handler(PermissionError, permission_denied)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(AuthenticationError, authentication)
    api.add_exception_handler(Throttled, throttled)
    api.add_exception_handler(ValidationError, validation)
