"""The Linli REST API (django-ninja) at ``/api/v1/``; OpenAPI 3 at ``/api/v1/openapi.json``.

* Authentication (``linli.api.auth``): a bearer API token for machine clients, or the web
  session with CSRF. Every operation needs one of them; the schema itself is public.
* Throttles (``linli.api.throttling``): per account for signed-in callers, per source IP for
  everything else (including failed sign-ins and the schema).
* Errors (``linli.api.errors``): ``{"error": {"code", "message", "fields"?}}``, never a trace.
* No interactive docs page: Swagger UI 5 applies inline styles that our CSP (``'self'`` only,
  no ``'unsafe-inline'``) refuses (swagger-api/swagger-ui#10655), and we load nothing from third
  parties. Point any OpenAPI viewer or generator at ``/api/v1/openapi.json`` instead.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja import NinjaAPI
from ninja.errors import Throttled
from ninja.operation import Operation
from ninja.renderers import JSONRenderer

from linli.api import errors
from linli.api.auth import ANY_AUTH
from linli.api.routers import areas, me, notices, notifications, tokens
from linli.api.throttling import AnonymousThrottle, AuthenticatedThrottle

DESCRIPTION = """Linli community-governance API.

Authenticate with `Authorization: Bearer lnl_<prefix>_<secret>` (an API token issued by a system
administrator, acting as its owner within the token's area) or with the web session cookie plus
the `X-CSRFToken` header on unsafe methods. Errors are `{"error": {"code": …, "message": …}}`;
out-of-scope objects answer 404. Lists take `limit` (at most the server's page-size cap, 100 by
default; larger is refused with 422) and `offset`."""


class Utf8JSONRenderer(JSONRenderer):
    """Chinese text as UTF-8 rather than ``\\uXXXX`` escapes: half the bytes on cheap phones."""

    json_dumps_params = {"ensure_ascii": False}


class LinliAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Short, stable operation ids (``list_areas``) for generated clients; view names are
        unique across the routers (a test checks it)."""
        return operation.view_func.__name__


def _throttle_schema(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The schema is public and read-only: GET/HEAD only, throttled per source IP like any
    anonymous request."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        throttle = AnonymousThrottle()
        if not throttle.allow_request(request):
            return api.on_exception(request, Throttled(wait=throttle.wait()))  # type: ignore[arg-type]
        return view(request, *args, **kwargs)

    return wrapper


api = LinliAPI(
    title="Linli API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/openapi.json",
    docs_url=None,
    docs_decorator=_throttle_schema,
    auth=ANY_AUTH,
    throttle=[AnonymousThrottle(), AuthenticatedThrottle()],
    renderer=Utf8JSONRenderer(),
)
errors.install(api)

api.add_router("", me.router)
api.add_router("", areas.router)
api.add_router("", notifications.router)
api.add_router("", notices.router)
api.add_router("", tokens.router)
