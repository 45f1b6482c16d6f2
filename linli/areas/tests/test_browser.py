"""Browser check of the tree page: a node opens with the keyboard, htmx loads its children into a
nested list, the page has no serious accessibility violation and no console (CSP) error."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from linli import testing
from linli.accounts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ARGUMENTS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def page(live_server: Any) -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable("Chromium not installed: apt-get install chromium fonts-noto-cjk")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright not installed: make test installs the development dependencies")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS, headless=True)
            context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
            try:
                yield context.new_page()
            finally:
                context.close()
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def test_tree_opens_with_the_keyboard(page, live_server, tree, make_staff):
    client = testing.client_for(make_staff(Role.STREET_OFFICER, tree.street))
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    response = page.goto("/areas/")
    assert response is not None and response.ok

    street = page.locator("li.area-node").filter(has_text=tree.street.name).first
    summary = street.locator("> details > summary")
    summary.focus()
    page.keyboard.press("Enter")
    community = street.locator(".area-children li.area-node").filter(has_text=tree.community_a.name)
    community.wait_for()
    assert street.locator("> details").get_attribute("open") is not None
    # one level deeper, then close and reopen without a second request
    community.locator("> details > summary").click()
    community.locator(".area-children li.area-node").filter(has_text=tree.grid_a1.name).wait_for()
    community.locator("> details > summary").click()
    community.locator("> details > summary").click()
    assert community.locator(".area-children li.area-node").count() == 2

    assert_accessible(page, live_server)
    for path in (f"/areas/{tree.community_a.pk}/", "/areas/import/"):
        response = page.goto(path)
        assert response is not None and response.ok
        assert_accessible(page, live_server)
        if os.environ.get("LINLI_SCREENSHOT_DIR"):
            name = path.strip("/").replace("/", "-")
            page.screenshot(path=f"{os.environ['LINLI_SCREENSHOT_DIR']}/{name}.png", full_page=True)
    assert errors == []


def assert_accessible(page: Any, live_server: Any) -> None:
    """axe-core finds no serious or critical violation (skipped where axe-core is not installed)."""
    if not (settings.NODE_MODULES / "axe-core" / "axe.min.js").exists():
        return
    page.add_script_tag(url=f"{live_server.url}/static/vendor/axe-core/axe.min.js")
    results = page.evaluate("async () => await window.axe.run(document, { resultTypes: ['violations'] })")
    blocking = [
        (item["id"], item["nodes"][0]["target"])
        for item in results["violations"]
        if item["impact"] in {"serious", "critical"}
    ]
    assert blocking == []
