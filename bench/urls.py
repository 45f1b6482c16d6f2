from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    """The B1 baseline: a bare Django view behind the same middleware stack."""
    return HttpResponse(b"hello", content_type="text/plain")


def hello_signed_in(request: HttpRequest) -> HttpResponse:
    """The signed-in baseline: the session, the user and the second factor, nothing else (no
    template, no permission rule, no page query)."""
    user = request.user
    if not (user.is_authenticated and user.is_verified()):  # type: ignore[union-attr]
        return HttpResponse(b"not signed in", status=403, content_type="text/plain")
    return HttpResponse(b"hello %d" % user.pk, content_type="text/plain")


_SHELL_PAGE: Any = None


def shell_signed_in(request: HttpRequest) -> HttpResponse:
    """The signed-in hello inside the page shell (``web/base.html`` with its navigation, badge and
    CSRF token): what every signed-in page pays before its own work (``python -m bench profile``)."""
    global _SHELL_PAGE
    user = request.user
    if not (user.is_authenticated and user.is_verified()):  # type: ignore[union-attr]
        return HttpResponse(b"not signed in", status=403, content_type="text/plain")
    if _SHELL_PAGE is None:
        _SHELL_PAGE = engines["django"].from_string(
            '{% extends "web/base.html" %}{% block title %}hello{% endblock %}{% block content %}<p>hello</p>{% endblock %}'
        )
    return HttpResponse(_SHELL_PAGE.render({}, request))


hello.linli_guard = "public"  # type: ignore[attr-defined]
hello_signed_in.linli_guard = "public"  # type: ignore[attr-defined]
shell_signed_in.linli_guard = "public"  # type: ignore[attr-defined]

urlpatterns = [
    path("bench/hello", hello),
    path("bench/hello-signed-in", hello_signed_in),
    path("bench/shell-signed-in", shell_signed_in),
    path("", include("linli.urls")),
]
