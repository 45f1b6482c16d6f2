"""``/api/v1/``: the django-ninja URL patterns, tagged for the URL sweep test (SECURITY.md B1).

Operations carry ``linli_guard = "api"``: django-ninja authenticates them (token or session,
anonymous → 401), so the sweep treats them as guarded. The OpenAPI schema is ``public``; the
API root is ``public`` too and only ever answers 404."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver

from linli.api.api import api

PUBLIC_NAMES = {"openapi-json", "api-root"}


def _tagged(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            callback: Any = pattern.callback
            public = pattern.name in PUBLIC_NAMES
            callback.linli_guard = "public" if public else "api"
            callback.linli_rule = None
    return patterns


patterns, _app_namespace, namespace = api.urls
app_name = namespace
urlpatterns = _tagged(list(patterns))
