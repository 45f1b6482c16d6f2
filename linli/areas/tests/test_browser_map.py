"""Browser check of the boundary map on an area's page: a street officer draws a grid's boundary
with real clicks on the Leaflet map, saves it, and finds it stored; the map shows the parent's and
the siblings' outlines without any tile server; axe-core finds no serious violation (also while
corner points are being moved); no sideways scrolling at 360 px, in Chinese, English and elderly mode."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from linli import testing
from linli.accounts.models import Role, User
from linli.areas.models import Area, AreaKind

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
# The community around the grid (about 850 m × 1100 m) and the neighbouring grid inside it.
COMMUNITY = [[116.46, 39.98], [116.47, 39.98], [116.47, 39.99], [116.46, 39.99], [116.46, 39.98]]
NEIGHBOUR = [[116.465, 39.985], [116.469, 39.985], [116.469, 39.989], [116.465, 39.989], [116.465, 39.985]]


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture
def browser(live_server: Any) -> Iterator[Any]:
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
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGUMENTS, headless=True)
            try:
                yield launched
            finally:
                launched.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class Session:
    """A phone-sized browser context signed in as ``user``, collecting console (CSP) errors and
    failed requests (the map must load nothing from outside the site)."""

    def __init__(self, browser: Any, live_server: Any, user: User) -> None:
        self.base_url = live_server.url
        self.context = browser.new_context(base_url=self.base_url, viewport={"width": 360, "height": 740})
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
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", self._on_request)

    def _on_request(self, request: Any) -> None:
        if not request.url.startswith(self.base_url) and not request.url.startswith("data:"):
            self.outside.append(request.url)

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, path

    def assert_no_sideways_scroll(self) -> None:
        widths = self.page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], widths

    def assert_accessible(self) -> None:
        self.page.add_script_tag(url=f"{self.base_url}/static/vendor/axe-core/axe.min.js")
        results = self.page.evaluate("async () => await window.axe.run(document, { resultTypes: ['violations'] })")
        blocking = [
            (item["id"], item["nodes"][0]["target"])
            for item in results["violations"]
            if item["impact"] in {"serious", "critical"}
        ]
        assert blocking == []


def _with_outlines(tree: Any) -> None:
    Area.objects.filter(pk=tree.community_a.pk).update(geometry={"type": "Polygon", "coordinates": [COMMUNITY]})
    Area.objects.filter(pk=tree.grid_a2.pk).update(geometry={"type": "Polygon", "coordinates": [NEIGHBOUR]})


def _officer(make_staff: Any, tree: Any, **preferences: Any) -> User:
    """A street officer; the area tests run in English by default, so the language is explicit."""
    officer = make_staff(Role.STREET_OFFICER, tree.street)
    User.objects.filter(pk=officer.pk).update(**{"language": "zh-hans", **preferences})
    return User.objects.get(pk=officer.pk)


def _inside(position: list[float], ring: list[list[float]]) -> bool:
    longitudes = [point[0] for point in ring]
    latitudes = [point[1] for point in ring]
    return min(longitudes) <= position[0] <= max(longitudes) and min(latitudes) <= position[1] <= max(latitudes)


def test_draw_a_grid_boundary_by_clicking_and_save_it(browser, live_server, tree, make_staff):
    _with_outlines(tree)
    session = Session(browser, live_server, _officer(make_staff, tree))
    page = session.page
    session.goto(f"/areas/{tree.grid_a1.pk}/")

    container = page.locator(".area-map.leaflet-container")
    container.wait_for()
    # context without tiles: the parent's dashed outline and the neighbour's outline, and a scale
    assert page.locator(".leaflet-tile").count() == 0
    assert page.locator(".area-map path").count() == 2
    assert page.locator(".leaflet-control-scale").count() == 1
    assert page.locator("[data-map-summary]").inner_text() == "尚未绘制边界。"
    assert page.locator(".leaflet-control-zoom-in").get_attribute("aria-label") == "放大"
    session.assert_no_sideways_scroll()
    session.assert_accessible()

    container.scroll_into_view_if_needed()
    page.locator("[data-map-action='draw']").click()
    assert page.locator("[data-map-action='finish']").is_visible()
    box = container.bounding_box()
    assert box is not None and box["width"] > 280
    # four corners in the left half of the map (the neighbour's outline sits in the right half),
    # then a click on the first corner closes the boundary
    corners = [(0.12, 0.2), (0.42, 0.2), (0.42, 0.7), (0.12, 0.7)]
    for x, y in corners:
        page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
        page.wait_for_timeout(150)
    page.mouse.click(box["x"] + box["width"] * corners[0][0], box["y"] + box["height"] * corners[0][1])
    page.locator("[data-map-action='finish']").wait_for(state="hidden")

    drawn = json.loads(page.locator("#id_edit-geometry").input_value())
    assert drawn["type"] == "Polygon"
    ring = drawn["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert all(_inside(position, COMMUNITY) for position in ring)
    assert page.locator("[data-map-summary]").inner_text().startswith("边界：共 1 块，4 个拐点，面积约 ")

    # moving corner points: the vertex handles are reachable and named, axe still passes
    page.locator("[data-map-action='edit']").click()
    assert page.locator("[data-map-action='edit']").get_attribute("aria-pressed") == "true"
    assert page.locator(".marker-icon").count() >= 4
    session.assert_accessible()
    page.locator("[data-map-action='edit']").click()

    page.locator("form[action$='/edit/'] button[type='submit']").click()
    page.wait_for_url(f"**/areas/{tree.grid_a1.pk}/")
    saved = Area.objects.get(pk=tree.grid_a1.pk).geometry
    assert saved == drawn
    assert page.locator("[data-map-summary]").inner_text().startswith("边界：共 1 块，4 个拐点")
    assert page.locator(".area-map path").count() == 3  # its own boundary besides the two outlines
    session.assert_no_sideways_scroll()
    session.assert_accessible()
    assert session.errors == []
    assert session.outside == []
    if os.environ.get("LINLI_SCREENSHOT_DIR"):
        page.screenshot(path=f"{os.environ['LINLI_SCREENSHOT_DIR']}/area-map.png", full_page=True)
        page.locator(".area-map-field").screenshot(path=f"{os.environ['LINLI_SCREENSHOT_DIR']}/area-map-field.png")


def test_pasted_geojson_shows_on_the_map_and_saves(browser, live_server, tree, make_staff):
    _with_outlines(tree)
    session = Session(browser, live_server, _officer(make_staff, tree))
    page = session.page
    session.goto(f"/areas/{tree.grid_a1.pk}/")
    page.locator(".area-map.leaflet-container").wait_for()
    page.locator(".area-map-field .area-advanced > summary").click()
    square = [[116.461, 39.981], [116.463, 39.981], [116.463, 39.983], [116.461, 39.983], [116.461, 39.981]]
    page.locator("#id_edit-geometry_import").fill(json.dumps({"type": "Polygon", "coordinates": [square]}))
    page.locator("[data-import-status]").filter(has_text="GeoJSON 已显示在地图上").wait_for()
    assert page.locator("[data-map-summary]").inner_text().startswith("边界：共 1 块，4 个拐点")
    page.locator("form[action$='/edit/'] button[type='submit']").click()
    page.wait_for_url(f"**/areas/{tree.grid_a1.pk}/")
    assert Area.objects.get(pk=tree.grid_a1.pk).geometry == {"type": "Polygon", "coordinates": [square]}
    assert session.errors == []


@pytest.mark.parametrize(("language", "elderly"), [("en", False), ("zh-hans", True), ("en", True)])
def test_map_page_fits_a_phone(browser, live_server, tree, make_staff, language, elderly):
    _with_outlines(tree)
    building = Area.objects.get(kind=AreaKind.BUILDING, parent__parent=tree.grid_a1)
    Area.objects.filter(pk=building.pk).update(geometry={"type": "Point", "coordinates": [116.462, 39.982]})
    session = Session(browser, live_server, _officer(make_staff, tree, language=language, elderly_mode=elderly))
    for area in (tree.grid_a1, building):
        session.goto(f"/areas/{area.pk}/")
        session.page.locator(".area-map.leaflet-container").wait_for()
        if area == building:  # the location pin (Leaflet's marker image from static files)
            assert session.page.locator("img.leaflet-marker-icon").count() == 1
            assert "116.462000" in session.page.locator("[data-map-summary]").inner_text()
        tools = session.page.locator("[data-map-tools] button:visible")
        assert tools.count() >= 5
        if language == "en":
            assert session.page.locator("[data-map-action='draw']").inner_text() == "Draw a boundary"
        session.assert_no_sideways_scroll()
        session.assert_accessible()
        if os.environ.get("LINLI_SCREENSHOT_DIR"):
            name = f"area-map-{language}{'-elderly' if elderly else ''}-{area.kind_label}.png"
            session.page.locator(".area-map-field").screenshot(path=f"{os.environ['LINLI_SCREENSHOT_DIR']}/{name}")
    assert session.errors == []
