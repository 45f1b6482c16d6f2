"""Installable web app: the web app manifest, the service worker and the offline page.

None of these responses holds personal data, so they are the only pages outside ``/static/`` that
may be cached (``response.cacheable_shell``; see ``linli.core.middleware.SecurityHeadersMiddleware``).
The service worker caches the shell (styles, scripts, icons, the offline page) and never a page:
any page may show personal data, and phones are often shared.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext
from django.views.decorators.http import condition, require_GET

from linli.accounts.decorators import public

THEME_COLOUR = "#b8322a"  # --red in linli.css
BACKGROUND_COLOUR = "#f6f5f2"  # --bg in linli.css

ICONS = (
    {"src": "web/icons/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
    {"src": "web/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
    {"src": "web/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
    {"src": "web/icons/icon-maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
)

# Static files the service worker stores at install so the offline page looks like the app.
SHELL_STATIC_FILES = (
    "web/linli.css",
    "web/linli.js",
    "vendor/htmx/htmx.min.js",
    "web/icons/icon.svg",
    "web/icons/icon-192.png",
)

OFFLINE_LANGUAGES = (("zh-hans", "zh-Hans"), ("en", "en"))


def _static_content(path: str) -> bytes | None:
    """The bytes of a static file from the finders (development) or the collected storage."""
    found = finders.find(path)
    if isinstance(found, str):
        with open(found, "rb") as handle:
            return handle.read()
    if staticfiles_storage.exists(path):
        with staticfiles_storage.open(path) as handle:
            data: bytes = handle.read()
            return data
    return None


@public
@require_GET
def manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest (W3C Web Application Manifest)."""
    with translation.override("zh-hans"):
        description = gettext("Community services and affairs for residents and staff of the neighbourhood.")
    data: dict[str, Any] = {
        "id": "/",
        "name": "邻里 Linli",
        "short_name": "邻里",
        "description": description,
        "lang": "zh-Hans",
        "dir": "ltr",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "categories": ["government", "lifestyle", "social"],
        "icons": [{**icon, "src": static(icon["src"])} for icon in ICONS],
    }
    response = JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
    response.cacheable_shell = True  # type: ignore[attr-defined]
    patch_cache_control(response, public=True, max_age=3600)
    return response


@functools.cache
def service_worker_script() -> tuple[str, str]:
    """The service worker source and its version (a digest of the script and every file it
    precaches, so a changed stylesheet or icon installs a fresh cache and drops the old one)."""
    digest = hashlib.sha256()
    precache: list[str] = []
    for path in SHELL_STATIC_FILES:
        content = _static_content(path)
        if content is None:  # e.g. front-end packages not installed: precache what exists
            continue
        precache.append(static(path))
        digest.update(path.encode() + b"\0" + content)
    offline_url = reverse("web:offline")
    manifest_url = reverse("web:manifest")
    digest.update(get_template("web/service-worker.js").template.source.encode())  # type: ignore[attr-defined]
    precache_all = [offline_url, manifest_url, *precache]
    digest.update(json.dumps(precache_all).encode())
    version = digest.hexdigest()[:16]
    config = {
        "version": version,
        "offline": offline_url,
        "precache": precache_all,
        "staticPrefix": settings.STATIC_URL,
    }
    script = render_to_string("web/service-worker.js", {"config": json.dumps(config, ensure_ascii=True)})
    return script, version


def _service_worker_etag(request: HttpRequest) -> str:
    return service_worker_script()[1]


@public
@require_GET
@condition(etag_func=_service_worker_etag)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site root so that its scope is the whole site."""
    script, _version = service_worker_script()
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response.cacheable_shell = True  # type: ignore[attr-defined]
    patch_cache_control(response, no_cache=True, max_age=0)
    return response


@public
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker when a page cannot be loaded. Rendered as for an anonymous
    visitor (no name, no inbox count, no form tokens) because browsers keep it for later."""
    request.user = AnonymousUser()
    current = translation.get_language() or "zh-hans"
    languages = sorted(OFFLINE_LANGUAGES, key=lambda language: language[0] != current)
    headings = []
    for code, _html_lang in languages:
        with translation.override(code):
            headings.append(gettext("You are offline"))
    if len(set(headings)) == 1:  # no translation to show next to it
        languages = languages[:1]
    context = {"offline_languages": languages, "messages": [], "navigation": [], "unread_notifications": 0}
    response = render(request, "web/offline.html", context)
    response.cacheable_shell = True  # type: ignore[attr-defined]
    patch_cache_control(response, public=True, max_age=3600)
    patch_vary_headers(response, ["Cookie", "Accept-Language"])
    return response
