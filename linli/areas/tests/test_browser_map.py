"""Browser check of the boundary map on an area's page: a street officer draws a grid's boundary
with real clicks on the Leaflet map, saves it, and finds it stored; the map shows the parent's and
the siblings' outlines without any tile server; axe-core finds no serious violation (also while
corner points are being moved); no sideways scrolling at 360 px, in Chinese, English and elderly mode.
The harness is ``linli/testing_browser.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from linli.accounts.models import Role, User
from linli.areas.models import Area, AreaKind
from linli.testing_browser import PHONE_VIEWPORT, BrowserSession

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The community around the grid (about 850 m × 1100 m) and the neighbouring grid inside it.
COMMUNITY = [[116.46, 39.98], [116.47, 39.98], [116.47, 39.99], [116.46, 39.99], [116.46, 39.98]]
NEIGHBOUR = [[116.465, 39.985], [116.469, 39.985], [116.469, 39.989], [116.465, 39.989], [116.465, 39.985]]


def _with_outlines(tree: Any) -> None:
    Area.objects.filter(pk=tree.community_a.pk).update(geometry={"type": "Polygon", "coordinates": [COMMUNITY]})
    Area.objects.filter(pk=tree.grid_a2.pk).update(geometry={"type": "Polygon", "coordinates": [NEIGHBOUR]})


def _officer_session(
    open_browser: Callable[..., BrowserSession], make_staff: Any, tree: Any, **preferences: Any
) -> BrowserSession:
    """A 360 px wide window signed in as a street officer; the area tests run in English by
    default, so the language is explicit."""
    officer = make_staff(Role.STREET_OFFICER, tree.street)
    User.objects.filter(pk=officer.pk).update(**{"language": "zh-hans", **preferences})
    session = open_browser(viewport=PHONE_VIEWPORT)
    session.sign_in_as(User.objects.get(pk=officer.pk))
    return session


def _inside(position: list[float], ring: list[list[float]]) -> bool:
    longitudes = [point[0] for point in ring]
    latitudes = [point[1] for point in ring]
    return min(longitudes) <= position[0] <= max(longitudes) and min(latitudes) <= position[1] <= max(latitudes)


def test_draw_a_grid_boundary_by_clicking_and_save_it(open_browser, tree, make_staff):
    _with_outlines(tree)
    session = _officer_session(open_browser, make_staff, tree)
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
    session.axe("grid page with the boundary map")

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
    session.axe("boundary map, moving corner points")
    page.locator("[data-map-action='edit']").click()

    page.locator("form[action$='/edit/'] button[type='submit']").click()
    page.wait_for_url(f"**/areas/{tree.grid_a1.pk}/")
    saved = Area.objects.get(pk=tree.grid_a1.pk).geometry
    assert saved == drawn
    assert page.locator("[data-map-summary]").inner_text().startswith("边界：共 1 块，4 个拐点")
    assert page.locator(".area-map path").count() == 3  # its own boundary besides the two outlines
    session.assert_no_sideways_scroll()
    session.axe("grid page with a saved boundary")
    assert session.console_errors == []
    assert session.outside_requests == []
    session.screenshot("area-map")
    session.screenshot("area-map-field", selector=".area-map-field")


def test_pasted_geojson_shows_on_the_map_and_saves(open_browser, tree, make_staff):
    _with_outlines(tree)
    session = _officer_session(open_browser, make_staff, tree)
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
    assert session.console_errors == []


@pytest.mark.parametrize(("language", "elderly"), [("en", False), ("zh-hans", True), ("en", True)])
def test_map_page_fits_a_phone(open_browser, tree, make_staff, language, elderly):
    _with_outlines(tree)
    building = Area.objects.get(kind=AreaKind.BUILDING, parent__parent=tree.grid_a1)
    Area.objects.filter(pk=building.pk).update(geometry={"type": "Point", "coordinates": [116.462, 39.982]})
    session = _officer_session(open_browser, make_staff, tree, language=language, elderly_mode=elderly)
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
        name = f"area-map-{language}{'-elderly' if elderly else ''}-{area.kind_label}"
        session.assert_no_sideways_scroll()
        session.axe(name)
        session.screenshot(name, selector=".area-map-field")
    assert session.console_errors == []
