"""Browser test: the 404 and 500 pages render in the house style, in Chinese and in English, with
the stylesheet applied (the CSP allows no inline style) and no serious or critical axe-core
finding (issue 5, newcomer finding 1). The harness is ``linli/testing_browser.py``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from linli.testing_browser import BrowserSession

# test_error_pages adds /test-errors/boom/ (raises) in front of the real URL map.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("linli.web.tests.test_error_pages"),
]

PAGES = {
    404: ("/no-such-page/", {"zh-hans": "页面不存在", "en": "Page not found"}),
    500: ("/test-errors/boom/", {"zh-hans": "出错了", "en": "Something went wrong"}),
}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("status", sorted(PAGES))
def test_error_page_in_the_browser(open_browser: Callable[..., BrowserSession], status: int, language: str) -> None:
    path, titles = PAGES[status]
    session = open_browser()
    session.set_cookies(linli_language=language)
    page = session.page
    response = page.goto(path)
    assert response is not None and response.status == status
    heading = page.locator("h1#error-title")
    assert heading.inner_text() == titles[language]
    assert page.get_attribute("html", "lang") == ("zh-Hans" if language == "zh-hans" else "en")
    body = page.locator("body").inner_text()
    assert "Traceback" not in body and "RuntimeError" not in body
    # the house stylesheet applies: the brand bar has its colour, the card its border
    assert page.evaluate("() => getComputedStyle(document.querySelector('.topbar')).display") != "inline"
    assert page.evaluate("() => getComputedStyle(document.querySelector('.card')).borderStyle") == "solid"
    home = page.locator("main a.button")
    assert home.get_attribute("href") == "/"
    session.axe(f"error {status} ({language})")
    session.screenshot(f"error-{status}-{language}")
    assert [error for error in session.console_errors if "Content Security Policy" in error] == []
    assert [failed for failed in session.failed_requests if not failed.startswith(f"{status} ")] == []
