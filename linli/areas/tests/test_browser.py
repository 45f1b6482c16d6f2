"""Browser check of the tree page: a node opens with the keyboard, htmx loads its children into a
nested list, the page has no serious accessibility violation and no console (CSP) error, on a
360 px wide window. The harness is ``linli/testing_browser.py``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from linli.accounts.models import Role
from linli.testing_browser import PHONE_VIEWPORT, BrowserSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_tree_opens_with_the_keyboard(open_browser: Callable[..., BrowserSession], tree, make_staff):
    session = open_browser(viewport=PHONE_VIEWPORT)
    session.sign_in_as(make_staff(Role.STREET_OFFICER, tree.street))
    page = session.page
    session.goto("/areas/")

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

    session.axe("area tree, opened")
    for path in (f"/areas/{tree.community_a.pk}/", "/areas/import/"):
        session.goto(path)
        session.axe(path)
        session.screenshot(path.strip("/").replace("/", "-"))
    session.assert_clean()
