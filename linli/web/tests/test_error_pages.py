"""Error pages (newcomer finding 1) and oversized bodies (security finding 4).

* 400 403 404 413 429 500 render the house pages, in Chinese by default and in English with the
  language cookie, with the right status and no stack trace — also when DEBUG is on (the demo),
  unless a developer sets LINLI_DEBUG_PAGES.
* A body over the limit is 413 everywhere — the API (in its JSON error format), forms and
  uploads — and nothing is written.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path, reverse
from django.utils import translation

from linli import testing
from linli.accounts.models import Role, User
from linli.areas.models import Area
from linli.core.errors import RateLimited
from linli.web import errors

pytestmark = pytest.mark.urls(__name__)


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret detail in a stack trace")


def denied(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("odd")


def limited(request: HttpRequest) -> HttpResponse:
    raise RateLimited("请于 10:00 之后再试。", retry_after=90)


urlpatterns = [
    path("test-errors/boom/", boom),
    path("test-errors/denied/", denied),
    path("test-errors/suspicious/", suspicious),
    path("test-errors/limited/", limited),
    path("", include("linli.urls")),
]
handler400 = "linli.web.errors.bad_request"
handler403 = "linli.web.errors.permission_denied"
handler404 = "linli.web.errors.page_not_found"
handler500 = "linli.web.errors.server_error"

TITLES = {
    400: ("无法读取请求", "The request could not be read"),
    403: ("无权访问", "Not allowed"),
    404: ("页面不存在", "Page not found"),
    413: ("内容过大", "Too large"),
    429: ("请求过于频繁", "Too many requests"),
    500: ("出错了", "Something went wrong"),
}
URLS = {
    400: "/test-errors/suspicious/",
    403: "/test-errors/denied/",
    404: "/no-such-page/",
    429: "/test-errors/limited/",
    500: "/test-errors/boom/",
}
DEBUG_MARKERS = ("Traceback", "secret detail", "Using the URLconf", "DEBUG = True", "technical", "<pre")


def client(language: str | None = None) -> Client:
    browser = Client(raise_request_exception=False)
    if language:
        browser.cookies["linli_language"] = language
    return browser


def assert_house_page(response: Any, status: int, language: str = "zh-hans") -> str:
    assert response.status_code == status
    body = response.content.decode()
    zh, en = TITLES[status]
    if language == "en":
        assert '<html lang="en"' in body
        assert f'<h1 id="error-title">{en}</h1>' in body
        assert f"Error {status}" in body
    else:
        assert '<html lang="zh-Hans"' in body
        assert f'<h1 id="error-title">{zh}</h1>' in body
        assert f"错误 {status}" in body
    assert "/static/web/linli.css" in body
    for marker in DEBUG_MARKERS:
        assert marker not in body, marker
    assert response["Content-Type"].startswith("text/html")
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug-on"])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", sorted(URLS))
def test_error_pages(settings: Any, status: int, language: str, debug: bool) -> None:
    settings.DEBUG = debug
    response = client(language if language == "en" else None).get(URLS[status])
    body = assert_house_page(response, status, language)
    if status == 500:
        assert "请求编号" in body or "Request number" in body
        assert response["X-Request-ID"] in body
    if status == 429:
        assert "请于 10:00 之后再试。" in body
        assert response["Retry-After"] == "90"


@pytest.mark.django_db
def test_developers_can_ask_for_the_debug_pages(settings: Any) -> None:
    settings.DEBUG = True
    settings.LINLI_DEBUG_PAGES = True
    response = client().get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_out_of_scope_page_is_the_house_404(settings: Any, tree: testing.Tree, debug: bool) -> None:
    settings.DEBUG = debug
    browser = testing.sign_in(client(), testing.make_resident())
    response = browser.get(reverse("areas:detail", args=[tree.grid_a1.pk]))
    body = assert_house_page(response, 404)
    assert "花家地" not in body


@pytest.mark.django_db
def test_signed_in_404_keeps_the_shell(tree: testing.Tree, make_staff: Any) -> None:
    browser = testing.sign_in(client(), make_staff(Role.GRID_WORKER, tree.grid_a1))
    body = assert_house_page(browser.get("/no-such-page/"), 404)
    assert reverse("accounts:account") in body  # the shell's own links are there


@pytest.mark.django_db
def test_csrf_failure_is_the_house_403() -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(reverse("accounts:preferences"), {"language": "en"})
    body = assert_house_page(response, 403)
    assert "表单已过期" in body
    assert "linli_language" not in response.cookies


@pytest.mark.django_db
def test_api_errors_stay_json(settings: Any) -> None:
    response = client().get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_500_page_needs_no_database() -> None:
    """No ``db`` mark: any query would fail the test."""
    request = RequestFactory().get("/anything/")
    request.request_id = "abc123"  # type: ignore[attr-defined]
    with translation.override("zh-hans"):
        response = errors.server_error(request)
    body = response.content.decode()
    assert response.status_code == 500
    assert "出错了" in body
    assert "abc123" in body


def test_htmx_request_gets_a_fragment() -> None:
    request = RequestFactory().get("/x/", HTTP_HX_REQUEST="true")
    with translation.override("zh-hans"):
        response = errors.error_response(request, 429, message="稍后再试", retry_after=5)
    body = response.content.decode()
    assert response.status_code == 429
    assert "<html" not in body
    assert "稍后再试" in body
    assert response["Retry-After"] == "5"


# --- oversized bodies -------------------------------------------------------------------------------


@pytest.fixture
def small_limits(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_000
    settings.LINLI_UPLOAD_MAX_BYTES = 20_000


@pytest.fixture
def resident(db: Any) -> User:
    user = testing.make_resident()
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    return user


def post_form(browser: Client, url: str, data: dict[str, str]) -> Any:
    """As a browser posts a form: URL-encoded."""
    return browser.post(url, urlencode(data), content_type="application/x-www-form-urlencoded")


def _preferences(user: User) -> tuple[str, bool]:
    user.refresh_from_db()
    return user.language, user.elderly_mode


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_api_body_over_the_limit_is_413_json(settings: Any, small_limits: None, resident: User, debug: bool) -> None:
    settings.DEBUG = debug
    browser = testing.sign_in(client(), resident)
    before = _preferences(resident)
    body = json.dumps({"language": "en", "elderly_mode": True, "padding": "x" * 5_000})
    response = browser.patch("/api/v1/me/preferences", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "too_large"
    assert _preferences(resident) == before


@pytest.mark.django_db
def test_api_body_over_the_default_limit_is_413(resident: User) -> None:
    """The real default (5 MB): the request that gave 500 before."""
    browser = testing.sign_in(client(), resident)
    before = _preferences(resident)
    body = json.dumps({"language": "en", "padding": "x" * (6 * 1024 * 1024)})
    response = browser.patch("/api/v1/me/preferences", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    assert _preferences(resident) == before


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_form_body_over_the_limit_is_413_page(settings: Any, small_limits: None, resident: User, debug: bool) -> None:
    settings.DEBUG = debug
    browser = testing.sign_in(client(), resident)
    before = _preferences(resident)
    response = post_form(browser, reverse("accounts:preferences"), {"language": "en", "padding": "x" * 5_000})
    body = assert_house_page(response, 413)
    assert "最多 2.0 KB" in body.replace("\xa0", " ")
    assert "linli_language" not in response.cookies
    assert _preferences(resident) == before


@pytest.fixture
def officer_client(tree: testing.Tree, make_staff: Any) -> Client:
    return testing.sign_in(client(), make_staff(Role.STREET_OFFICER, tree.street))


def _staged(settings: Any) -> list[str]:
    from linli.areas.importing import staging_folder

    return sorted(path.name for path in staging_folder().glob("*"))


@pytest.mark.django_db
@pytest.mark.parametrize("debug", [False, True])
def test_upload_over_the_limit_is_413_page(
    settings: Any, tmp_path: Any, small_limits: None, officer_client: Client, debug: bool
) -> None:
    settings.DEBUG = debug
    settings.LINLI_IMPORT_STAGING_DIR = tmp_path / "imports"
    areas_before = Area.objects.count()
    upload = SimpleUploadedFile("areas.csv", b"x" * 30_000, content_type="text/csv")
    response = officer_client.post(reverse("areas:import"), {"file": upload})
    assert_house_page(response, 413)
    assert _staged(settings) == []
    assert Area.objects.count() == areas_before


@pytest.mark.django_db
def test_upload_with_an_oversized_form_field_is_413(
    settings: Any, tmp_path: Any, small_limits: None, officer_client: Client
) -> None:
    """Under the upload cap, but a non-file field over DATA_UPLOAD_MAX_MEMORY_SIZE: Django raised
    RequestDataTooBig in the CSRF check (400 before)."""
    settings.LINLI_IMPORT_STAGING_DIR = tmp_path / "imports"
    upload = SimpleUploadedFile("areas.csv", b"kind,code\n", content_type="text/csv")
    response = officer_client.post(reverse("areas:import"), {"file": upload, "note": "y" * 5_000})
    assert_house_page(response, 413)
    assert _staged(settings) == []


@pytest.mark.django_db
def test_english_413(small_limits: None) -> None:
    browser = client("en")
    response = post_form(browser, reverse("accounts:preferences"), {"padding": "x" * 5_000})
    body = assert_house_page(response, 413, "en")
    assert "at most 2.0" in body
