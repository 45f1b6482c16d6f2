"""Browser checks of the residents pages (newcomer findings 3 and 5): the residents list becomes
stacked cards on a 360 px phone without sideways scrolling, its home column is never squeezed to a
character on a wide screen, badges do not break inside a word, the search works by posting, and
the link-my-home page fits a phone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from linli import testing
from linli.accounts.models import DwellingLink, Role
from linli.areas.models import AreaKind
from linli.testing_browser import PHONE_WIDTH, BrowserSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAYOUT = """() => {
  const root = document.documentElement;
  const box = (selector) => { const e = document.querySelector(selector); return e ? e.getBoundingClientRect() : null; };
  const home = box('.list-table td.list-home');
  const badges = [...document.querySelectorAll('.list-table .status')].map((b) => b.getClientRects().length);
  return {
    scrollWidth: root.scrollWidth,
    clientWidth: root.clientWidth,
    rowDisplay: getComputedStyle(document.querySelector('.list-table tr')).display,
    homeWidth: home ? home.width : 0,
    fontSize: parseFloat(getComputedStyle(root).fontSize),
    badgeLines: Math.max(...badges),
    rows: document.querySelectorAll('.list-table tbody tr').length,
  };
}"""


def _world() -> tuple[Any, Any]:
    tree = testing.build_tree()
    unit = tree.dwelling_a1.parent
    for number in range(12):
        dwelling = testing.create_area(AreaKind.DWELLING, f"6{number:03d}", f"{600 + number}室", unit)
        resident = testing.make_resident(f"13400000{number:03d}", name="欧阳修远" if number % 2 else "李四")
        DwellingLink.objects.create(
            user=resident,
            dwelling=dwelling,
            area_path=dwelling.path,
            relation="family",
            status="pending" if number % 3 else "verified",
        )
    return tree, testing.make_staff(Role.COMMUNITY_WORKER, tree.community_a)


@pytest.mark.parametrize(("language", "elderly"), [("zh-hans", False), ("en", True)])
def test_residents_list_is_cards_on_a_phone_and_a_readable_table_on_a_desktop(
    open_browser: Callable[..., BrowserSession], language: str, elderly: bool
) -> None:
    _tree, staff = _world()
    cookies = {"linli_language": language, "linli_elderly": "1" if elderly else "0"}
    phone = open_browser(phone=True)
    phone.sign_in_as(staff)
    phone.set_cookies(**cookies)
    phone.goto("/residents/")
    layout = phone.page.evaluate(LAYOUT)
    assert layout["rows"] == 12
    assert layout["scrollWidth"] <= layout["clientWidth"], layout
    assert layout["rowDisplay"] == "block"  # a card per row
    assert layout["homeWidth"] > 0.6 * layout["clientWidth"]
    assert layout["badgeLines"] == 1
    phone.screenshot(f"residents-list-{PHONE_WIDTH}-{language}-{'elderly' if elderly else 'standard'}")
    phone.axe(f"residents list at {PHONE_WIDTH} px ({language})")

    # the search posts: the results page has no query string, and finds by building and room
    page = phone.page
    page.fill("#id_building", "1号楼")
    page.fill("#id_room", "605")
    page.click("#resident-search button.primary")
    page.wait_for_load_state()
    assert page.url == f"{phone.base_url}/residents/"
    assert page.evaluate(LAYOUT)["rows"] == 1

    desktop = open_browser(viewport={"width": 1024, "height": 800})
    desktop.sign_in_as(staff)
    desktop.set_cookies(**cookies)
    desktop.goto("/residents/")
    wide = desktop.page.evaluate(LAYOUT)
    assert wide["rowDisplay"] == "table-row"
    assert wide["scrollWidth"] <= wide["clientWidth"], wide
    assert wide["homeWidth"] >= 5 * wide["fontSize"], wide  # never one character wide
    assert wide["badgeLines"] == 1
    desktop.axe(f"residents list at 1024 px ({language})")
    phone.assert_clean()
    desktop.assert_clean()


def test_link_my_home_page_fits_a_phone(open_browser: Callable[..., BrowserSession]) -> None:
    testing.build_tree()
    resident = testing.make_resident("13400000999", name="")
    phone = open_browser(phone=True)
    phone.sign_in_as(resident)
    phone.goto("/residents/link/")
    layout = phone.page.evaluate(
        "() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,"
        " names: document.querySelectorAll('input[name=real_name]').length })"
    )
    assert layout["scroll"] <= layout["client"], layout
    assert layout["names"] == 1
    phone.axe("link my home at 360 px")
    phone.assert_clean()
