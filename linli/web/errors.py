"""Error pages in the house style, in Chinese and English: 400 403 404 413 429 500.

* ``linli.urls`` names the handlers (``handler400`` … ``handler500``); Django calls them when
  ``DEBUG`` is off.
* ``ErrorPagesMiddleware`` answers an oversized request body with 413 before anything reads it
  (Django would answer 400, and the API 500), a ``RateLimited`` refusal that escapes a view with
  429, and — when ``DEBUG`` is on, as in the demo — shows the house pages instead of Django's
  English debug pages (whose inline style the CSP blocks anyway). Developers who want the debug
  pages set ``LINLI_DEBUG_PAGES=1``.
* Under ``/api/`` every error is the API's JSON error format (``linli.core.errors.error_body``).
* The 500 page is a standalone template: it renders without the database, the session or the
  context processors, so it works when those are what failed.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from django.conf import settings
from django.core import signals
from django.core.exceptions import BadRequest, PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from linli.core.errors import RateLimited, error_body

logger = logging.getLogger("linli.errors")
request_logger = logging.getLogger("django.request")

API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    413: "too_large",
    429: "rate_limited",
    500: "server_error",
}


def house_pages_in_debug() -> bool:
    """When ``DEBUG`` is on, show the house pages unless a developer asked for Django's."""
    return bool(settings.DEBUG) and not getattr(settings, "LINLI_DEBUG_PAGES", False)


def body_limit(request: HttpRequest) -> int | None:
    """The largest body accepted: uploads (multipart) up to ``LINLI_UPLOAD_MAX_BYTES``, anything
    else up to ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    if request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/"):
        return int(getattr(settings, "LINLI_UPLOAD_MAX_BYTES", 21 * 1024 * 1024))
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return None if limit is None else int(limit)


def _content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _texts(status: int, request: HttpRequest) -> tuple[str, str]:
    if status == 400:
        return _("The request could not be read"), _(
            "Something in what was sent is malformed. Go back, reload the page and try again."
        )
    if status == 403:
        return _("Not allowed"), _("You may not open this page or do this.")
    if status == 404:
        return _("Page not found"), _(
            "This page does not exist, or you may not see it. Check the address, or start again from the home page."
        )
    if status == 413:
        limit = body_limit(request)
        size = filesizeformat(limit) if limit else ""
        return _("Too large"), _(
            "What you sent is larger than allowed (at most %(size)s). Send a smaller file or a shorter text."
        ) % {"size": size}
    if status == 429:
        return _("Too many requests"), _("Wait a moment, then try again.")
    return _("Something went wrong"), _(
        "The error has been recorded. Try again in a moment; if it keeps happening, tell the help desk."
    )


def error_response(
    request: HttpRequest, status: int, *, message: str = "", retry_after: int | None = None
) -> HttpResponse:
    """The error answer for ``request``: JSON under ``/api/``, a fragment for htmx, else a page."""
    title, text = _texts(status, request)
    request_id = str(getattr(request, "request_id", "") or "-")
    response: HttpResponse
    if request.path.startswith(API_PREFIX):
        response = JsonResponse(error_body(API_CODES.get(status, "error"), message or text), status=status)
    else:
        context = {
            "status": status,
            "title": title,
            "text": text,
            "message": message,
            "request_id": request_id,
        }
        response = HttpResponse(_render(request, status, context), status=status)
    if retry_after:
        response["Retry-After"] = str(int(retry_after))
    response.linli_error_page = True  # type: ignore[attr-defined]
    return response


def _render(request: HttpRequest, status: int, context: dict[str, Any]) -> str:
    standalone = loader.get_template("web/errors/standalone.html")
    if status >= 500:
        return standalone.render(context)
    template = "web/errors/fragment.html" if request.headers.get("HX-Request") == "true" else "web/errors/page.html"
    try:
        return loader.render_to_string(template, context, request=request)
    except Exception:  # the shell failed (database?): the standalone page still works
        logger.exception("error page %s could not be rendered in the shell", status)
        return standalone.render(context)


# --- handlers (linli.urls) ----------------------------------------------------------------------


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return error_response(request, 413)
    return error_response(request, 400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(request, 500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the 403 page, telling the user to reload."""
    return error_response(
        request, 403, message=_("The form had expired or came from elsewhere. Reload the page and try again.")
    )


# --- middleware -----------------------------------------------------------------------------------


class ErrorPagesMiddleware:
    """Place after ``CommonMiddleware`` and before ``CsrfViewMiddleware`` (its ``process_view``
    must run before the CSRF check reads the body)."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if (
            response.status_code == 404
            and getattr(request, "resolver_match", None) is None
            and not getattr(response, "linli_error_page", False)
            and house_pages_in_debug()
        ):
            # No URL matched, and DEBUG put Django's technical 404 page here.
            return error_response(request, 404)
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: Any) -> HttpResponse | None:
        if request.method not in BODY_METHODS:
            return None
        limit = body_limit(request)
        if limit is not None and _content_length(request) > limit:
            return error_response(request, 413)
        if request.META.get("CONTENT_TYPE", "").lower().startswith("multipart/"):
            try:
                request.POST  # noqa: B018 - parse now: an over-limit form field is 413, not a 400 in the CSRF check
            except RequestDataTooBig:
                return error_response(request, 413)
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig):
            return error_response(request, 413)
        if isinstance(exception, RateLimited):
            return error_response(request, 429, message=str(exception.message), retry_after=exception.retry_after)
        if not house_pages_in_debug() or request.path.startswith(API_PREFIX):
            return None  # Django's handlers (linli.urls) answer; the API answers its own errors
        if isinstance(exception, Http404):
            return error_response(request, 404)
        if isinstance(exception, PermissionDenied):
            return error_response(request, 403)
        if isinstance(exception, BadRequest | SuspiciousOperation):
            return error_response(request, 400)
        signals.got_request_exception.send(sender=None, request=request)
        request_logger.error(
            "Internal Server Error: %s (request %s)",
            request.path,
            getattr(request, "request_id", "-"),
            exc_info=sys.exc_info(),
        )
        return error_response(request, 500)
