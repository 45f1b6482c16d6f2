"""The Playwright browser-test harness shared by every app's browser tests (``@pytest.mark.browser``):
Debian's Chromium launched once per test module, browser contexts against pytest-django's live
server that record console errors (CSP violations show there), failed same-origin loads and
requests leaving the site, axe-core on demand, screenshots, and phone-sized contexts.

Not a test module: the root ``conftest.py`` registers it as a pytest plugin (``pytest_plugins``), so
its fixtures (``chromium``, ``screenshot_dir``, ``open_browser``) are available to every test without
an import; test modules import only the constants and ``BrowserSession`` for their annotations.

Without /usr/bin/chromium (or Playwright, or axe-core) the tests are skipped with a message; under
``CI=true`` they fail. Screenshots go to ``$LINLI_SCREENSHOT_DIR`` when set, else to a pytest
temporary folder; the axe-core findings of a run are collected in ``axe-results.json`` there."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from linli import testing
from linli.accounts.models import User

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING_CHROMIUM = "Chromium not installed: apt-get install chromium fonts-noto-cjk"
MISSING_PLAYWRIGHT = "Playwright not installed: make test installs the development dependencies"
MISSING_AXE = "axe-core not installed: run `npm ci` (make test does it)"
AXE_PATH = "/static/vendor/axe-core/axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
PHONE_WIDTH = 360
PHONE_HEIGHT = 740
PHONE_VIEWPORT = {"width": PHONE_WIDTH, "height": PHONE_HEIGHT}
DESKTOP_VIEWPORT = {"width": 1280, "height": 900}

Page = Any  # playwright.sync_api.Page (imported lazily: Playwright may be missing)
Browser = Any  # playwright.sync_api.Browser


def _unavailable(message: str) -> None:
    """Skip, or fail under CI=true where the browser tests must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, launched once for the test module."""
    if not CHROMIUM.exists():
        _unavailable(MISSING_CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable(MISSING_PLAYWRIGHT)
    # While Playwright's sync API is open it keeps an asyncio loop running on this thread, and
    # Django refuses ORM calls (test set-up, the database flush after each test) from a thread
    # with a running loop. Tests only; restored when this module's browser closes.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("LINLI_SCREENSHOT_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


def axe_violations(page: Page, base_url: str) -> list[dict[str, Any]]:
    """Run axe-core on the page (loading it from the static files when the page has not) and
    return its violations: rule, impact, help text and the offending elements."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        if not (settings.NODE_MODULES / "axe-core" / "axe.min.js").exists():
            _unavailable(MISSING_AXE)
        page.add_script_tag(url=f"{base_url}{AXE_PATH}")
    results = page.evaluate("async () => await window.axe.run(document, { resultTypes: ['violations'] })")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in results["violations"]
    ]


def blocking_violations(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The serious and critical violations, which fail a page."""
    return [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]


class BrowserSession:
    """One browser context (cookies, storage, service worker) and its page, with the checks every
    test wants: console errors (CSP violations show there), failed same-origin loads, requests
    leaving the site, axe-core."""

    def __init__(self, browser: Browser, base_url: str, screenshot_dir: Path, **options: Any) -> None:
        self.base_url = base_url
        self.screenshot_dir = screenshot_dir
        options.setdefault("locale", "zh-CN")
        self.context = browser.new_context(base_url=base_url, **options)
        self.page: Page = self.context.new_page()
        self.console_errors: list[str] = []
        self.failed_requests: list[str] = []
        self.outside_requests: list[str] = []
        self.axe_results: dict[str, list[dict[str, Any]]] = {}
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        self.page.on("request", self._on_request)
        self.page.on("response", self._on_response)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _on_request(self, request: Any) -> None:
        if not request.url.startswith(self.base_url) and not request.url.startswith("data:"):
            self.outside_requests.append(request.url)

    def _on_response(self, response: Any) -> None:
        if response.url.startswith(self.base_url) and response.status >= 400:
            self.failed_requests.append(f"{response.status} {response.url}")

    def sign_in_as(self, user: User) -> None:
        """Reuse a session made the way the real flows make it (``testing.client_for``)."""
        client = testing.client_for(user)
        self.context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": self.base_url,
                }
            ]
        )

    def set_cookies(self, **cookies: str) -> None:
        """Preference cookies for this site, e.g. ``linli_language="en", linli_elderly="1"``."""
        self.context.add_cookies(
            [{"name": name, "value": value, "url": self.base_url} for name, value in cookies.items()]
        )

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response.status if response else 'no response'}"

    def axe(self, label: str) -> list[dict[str, Any]]:
        """Run axe-core on the current page; fail on serious or critical violations."""
        violations = axe_violations(self.page, self.base_url)
        self.axe_results[label] = violations
        blocking = blocking_violations(violations)
        assert not blocking, (
            f"axe-core on {label} ({self.page.url}): {json.dumps(blocking, ensure_ascii=False, indent=1)}"
        )
        return violations

    def assert_no_sideways_scroll(self) -> None:
        widths = self.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{self.page.url} is {widths[0]} px wide in a {widths[1]} px window"

    def screenshot(self, name: str, selector: str | None = None) -> Path:
        """The whole page, or the element ``selector`` finds, as ``<name>.png`` in the screenshot folder."""
        path = self.screenshot_dir / f"{name}.png"
        if selector is None:
            self.page.screenshot(path=str(path), full_page=True)
        else:
            self.page.locator(selector).screenshot(path=str(path))
        assert path.stat().st_size > 1000
        return path

    def assert_clean(self) -> None:
        assert (self.console_errors, self.failed_requests) == ([], [])


@pytest.fixture
def open_browser(chromium: Browser, live_server: Any, screenshot_dir: Path) -> Iterator[Callable[..., BrowserSession]]:
    """A factory of ``BrowserSession``s on the live server: ``open_browser()`` is a desktop window,
    ``open_browser(phone=True)`` a 360 px touch phone; other keywords go to Playwright's
    ``new_context``. The sessions close after the test and their axe-core findings are appended to
    ``axe-results.json`` in the screenshot folder."""
    cache.clear()  # the login rate limits live in the cache; start each test from zero
    sessions: list[BrowserSession] = []

    def factory(*, phone: bool = False, **options: Any) -> BrowserSession:
        if phone:
            options.setdefault("viewport", PHONE_VIEWPORT)
            options.setdefault("is_mobile", True)
            options.setdefault("has_touch", True)
        options.setdefault("viewport", DESKTOP_VIEWPORT)
        session = BrowserSession(chromium, live_server.url, screenshot_dir, **options)
        sessions.append(session)
        return session

    yield factory
    for session in sessions:
        session.context.close()
    audit_log = screenshot_dir / "axe-results.json"
    existing = json.loads(audit_log.read_text(encoding="utf-8")) if audit_log.exists() else {}
    for session in sessions:
        existing.update(session.axe_results)
    audit_log.write_text(json.dumps(existing, ensure_ascii=False, indent=1), encoding="utf-8")
