"""Boundaries of the demo street: valid GeoJSON, nested, disjoint siblings, deterministic."""

from __future__ import annotations

import itertools
import json
import random
import re
from collections import defaultdict
from typing import Any

import pytest
from django.urls import reverse

from linli import testing
from linli.accounts.models import User
from linli.areas.geometry import validate_geometry
from linli.areas.models import Area, AreaKind
from linli.demo.generator import (
    DEFAULT_SEED,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    DemoPlan,
    IdStart,
    box_polygon,
    build_plan,
    split_box,
)

OUTLINED = {AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID, AreaKind.ESTATE}


@pytest.fixture(scope="module", params=["small", "street"])
def plan(request):  # type: ignore[no-untyped-def]
    return build_plan(request.param, DEFAULT_SEED)


def bounding_box(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    ring = geometry["coordinates"][0]
    longitudes = [position[0] for position in ring]
    latitudes = [position[1] for position in ring]
    return min(longitudes), min(latitudes), max(longitudes), max(latitudes)


def inside_box(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return outer[0] < inner[0] and outer[1] < inner[1] and inner[2] < outer[2] and inner[3] < outer[3]


def boxes_overlap(first: tuple[float, ...], second: tuple[float, ...]) -> bool:
    return first[0] < second[2] and second[0] < first[2] and first[1] < second[3] and second[1] < first[3]


def point_in_ring(point: list[float], ring: list[list[float]]) -> bool:
    """Even-odd ray casting (the point is never on an edge here: buildings keep clear of them)."""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def children_by_parent(plan: DemoPlan) -> dict[int, list[int]]:
    children: dict[int, list[int]] = defaultdict(list)
    for row in plan.areas:
        if row.parent_id is not None:
            children[row.parent_id].append(row.id)
    return children


def test_every_street_community_grid_and_estate_has_a_valid_polygon(plan) -> None:  # type: ignore[no-untyped-def]
    outlined = [row for row in plan.areas if row.kind in OUTLINED]
    counts = plan.counts()
    assert len(outlined) == 1 + counts["community"] + counts["grid"] + counts["estate"]
    for row in outlined:
        geometry = plan.geometry[row.id]
        # The edit form's validation accepts it unchanged: what the loader stores is what an editor could save.
        assert validate_geometry(geometry) == geometry
        ring = geometry["coordinates"][0]
        assert geometry["type"] == "Polygon"
        assert len(geometry["coordinates"]) == 1
        assert len(ring) in (5, 6)  # a rectangle, or an estate with one corner cut off
        assert ring[0] == ring[-1]
        assert all(isinstance(value, float) for position in ring for value in position)
        assert all(LONGITUDE_RANGE[0] <= lon <= LONGITUDE_RANGE[1] for lon, _ in ring)
        assert all(LATITUDE_RANGE[0] <= lat <= LATITUDE_RANGE[1] for _, lat in ring)


def test_buildings_have_a_point_inside_their_estate(plan) -> None:  # type: ignore[no-untyped-def]
    buildings = [row for row in plan.areas if row.kind == AreaKind.BUILDING]
    assert len(buildings) == plan.counts()["building"]
    for row in buildings:
        point = plan.geometry[row.id]
        assert validate_geometry(point) == point
        assert point["type"] == "Point"
        estate = plan.area(row.parent_id)
        assert estate.kind == AreaKind.ESTATE
        outline = plan.geometry[estate.id]
        assert inside_box((*point["coordinates"], *point["coordinates"]), bounding_box(outline))
        assert point_in_ring(point["coordinates"], outline["coordinates"][0])


def test_district_units_and_dwellings_have_no_geometry(plan) -> None:  # type: ignore[no-untyped-def]
    kinds = {plan.area(area_id).kind for area_id in plan.geometry}
    assert kinds == OUTLINED | {AreaKind.BUILDING}
    counts = plan.counts()
    assert len(plan.geometry) == sum(counts[kind] for kind in ("street", "community", "grid", "estate", "building"))


def test_children_lie_inside_their_parent_and_siblings_do_not_overlap(plan) -> None:  # type: ignore[no-untyped-def]
    children = children_by_parent(plan)
    parents = [row for row in plan.areas if row.kind in (AreaKind.STREET, AreaKind.COMMUNITY, AreaKind.GRID)]
    checked = 0
    for parent in parents:
        parent_box = bounding_box(plan.geometry[parent.id])
        boxes = [bounding_box(plan.geometry[child]) for child in children[parent.id]]
        assert boxes
        for index, box in enumerate(boxes):
            assert inside_box(box, parent_box)
            assert box[0] < box[2] and box[1] < box[3]
            assert not any(boxes_overlap(box, other) for other in boxes[index + 1 :])
            checked += 1
    counts = plan.counts()
    assert checked == counts["community"] + counts["grid"] + counts["estate"]


def test_buildings_of_one_estate_are_distinct_points(plan) -> None:  # type: ignore[no-untyped-def]
    children = children_by_parent(plan)
    for row in plan.areas:
        if row.kind == AreaKind.ESTATE:
            points = [tuple(plan.geometry[child]["coordinates"]) for child in children[row.id]]
            assert len(points) == len(set(points)) >= 2


def test_the_same_seed_gives_the_same_geometry_and_ids_do_not_change_it() -> None:
    first = build_plan("small", DEFAULT_SEED)
    again = build_plan("small", DEFAULT_SEED)
    assert again.geometry == first.geometry
    assert again.fingerprint() == first.fingerprint()
    shifted = build_plan("small", DEFAULT_SEED, IdStart(area=101))
    assert list(shifted.geometry.values()) == list(first.geometry.values())
    assert [area_id - 100 for area_id in shifted.geometry] == list(first.geometry)
    other = build_plan("small", DEFAULT_SEED + 1)
    assert other.geometry[other.street.id] != first.geometry[first.street.id]


def test_split_box_cells_are_disjoint_and_inside() -> None:
    box = (116.42, 39.95, 116.46, 39.98)
    for count in range(1, 10):
        cells = split_box(box, count, random.Random(count))
        assert len(cells) == count
        for index, cell in enumerate(cells):
            assert inside_box(cell, box)
            assert not any(boxes_overlap(cell, other) for other in cells[index + 1 :])


def test_box_polygon_cuts_the_chosen_corner() -> None:
    box = (116.0, 39.0, 116.1, 39.1)
    assert box_polygon(box)["coordinates"] == [
        [[116.0, 39.0], [116.1, 39.0], [116.1, 39.1], [116.0, 39.1], [116.0, 39.0]]
    ]
    assert box_polygon(box, cut_corner=2, cut=0.2)["coordinates"] == [
        [[116.0, 39.0], [116.1, 39.0], [116.1, 39.08], [116.08, 39.1], [116.0, 39.1], [116.0, 39.0]]
    ]


def test_the_loaded_street_stores_the_planned_geometry(demo_street) -> None:  # type: ignore[no-untyped-def]
    planned = build_plan("small", DEFAULT_SEED)
    stored = dict(Area.objects.exclude(geometry__isnull=True).values_list("id", "geometry"))
    assert stored == planned.geometry
    assert (
        not Area.objects.filter(kind__in=[AreaKind.DISTRICT, AreaKind.UNIT, AreaKind.DWELLING])
        .exclude(geometry__isnull=True)
        .exists()
    )


def test_a_demo_community_page_opens_on_its_boundary_among_its_neighbours(demo_street) -> None:  # type: ignore[no-untyped-def]
    planned = build_plan("small", DEFAULT_SEED)
    community = planned.areas[2]
    assert community.kind == AreaKind.COMMUNITY
    client = testing.client_for(User.objects.get(username="demo-street"))
    response = client.get(reverse("areas:detail", args=[community.id]))
    assert response.status_code == 200
    match = re.search(r'<script id="area-map" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert match is not None
    config = json.loads(match.group(1))
    assert config["editable"] is True
    assert config["geometry"] == planned.geometry[community.id]
    siblings = [row for row in planned.areas if row.kind == AreaKind.COMMUNITY and row.id != community.id]
    assert config["references"] == [
        {"name": planned.street.name, "role": "parent", "geometry": planned.geometry[planned.street.id]},
        *({"name": row.name, "role": "sibling", "geometry": planned.geometry[row.id]} for row in siblings),
    ]
