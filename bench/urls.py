from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def hello(request: HttpRequest) -> HttpResponse:
    """The B1 baseline: a bare Django view behind the same middleware stack."""
    return HttpResponse(b"hello", content_type="text/plain")


hello.linli_guard = "public"  # type: ignore[attr-defined]

urlpatterns = [path("bench/hello", hello), path("", include("linli.urls"))]
