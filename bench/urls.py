from django.http import HttpRequest, HttpResponse
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


hello.linli_guard = "public"  # type: ignore[attr-defined]
hello_signed_in.linli_guard = "public"  # type: ignore[attr-defined]

urlpatterns = [
    path("bench/hello", hello),
    path("bench/hello-signed-in", hello_signed_in),
    path("", include("linli.urls")),
]
