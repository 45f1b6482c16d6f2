"""GeoJSON validation of area geometries."""

from __future__ import annotations

import json

import pytest

from linli.areas.geometry import MAX_GEOMETRY_BYTES, validate_geometry
from linli.core.errors import ValidationFailed

RING = [[116.4, 39.9], [116.5, 39.9], [116.5, 40.0], [116.4, 39.9]]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ({"type": "Point", "coordinates": [116.4, 39.9]}, {"type": "Point", "coordinates": [116.4, 39.9]}),
        ('{"type": "Point", "coordinates": [-180, -90, 42.5]}', {"type": "Point", "coordinates": [-180, -90, 42.5]}),
        ({"type": "Polygon", "coordinates": [RING]}, {"type": "Polygon", "coordinates": [RING]}),
        (
            {"type": "MultiPolygon", "coordinates": [[RING], [RING, RING]]},
            {"type": "MultiPolygon", "coordinates": [[RING], [RING, RING]]},
        ),
        (
            {
                "type": "Feature",
                "properties": {"name": "x"},
                "geometry": {"type": "Polygon", "coordinates": [RING], "bbox": [0, 0, 1, 1]},
            },
            {"type": "Polygon", "coordinates": [RING]},
        ),
    ],
)
def test_accepted(value, expected):
    assert validate_geometry(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("{not json", "geometry_json"),
        ("[1, 2]", "geometry_type"),
        ('"Point"', "geometry_type"),
        ({"type": "LineString", "coordinates": [[0, 0], [1, 1]]}, "geometry_type"),
        ({"type": "FeatureCollection", "features": []}, "geometry_type"),
        ({"type": "Feature", "geometry": None}, "geometry_type"),
        ({"type": "Point", "coordinates": [116.4]}, "geometry_structure"),
        ({"type": "Point", "coordinates": ["116.4", 39.9]}, "geometry_structure"),
        ({"type": "Point", "coordinates": [True, 39.9]}, "geometry_structure"),
        ({"type": "Point", "coordinates": [float("nan"), 39.9]}, "geometry_structure"),
        ({"type": "Point", "coordinates": [181, 39.9]}, "geometry_range"),
        ({"type": "Point", "coordinates": [116.4, -90.5]}, "geometry_range"),
        ({"type": "Polygon", "coordinates": []}, "geometry_structure"),
        ({"type": "Polygon", "coordinates": [RING[:3]]}, "geometry_structure"),
        ({"type": "Polygon", "coordinates": [[*RING[:3], [116.41, 39.9]]]}, "geometry_structure"),
        ({"type": "MultiPolygon", "coordinates": [[[[0, 0], [0, 1], [1, 1], [0, 0]]], "x"]}, "geometry_structure"),
        ({"type": "MultiPolygon", "coordinates": []}, "geometry_structure"),
    ],
)
def test_refused_with_a_code(value, code):
    with pytest.raises(ValidationFailed) as caught:
        validate_geometry(value)
    assert caught.value.code == code
    assert caught.value.field == "geometry"
    assert caught.value.status == 422


def test_size_cap_for_text_and_objects():
    ring = [[116.0 + index / 100000, 39.9] for index in range(20000)]
    ring.append(ring[0])
    big = {"type": "Polygon", "coordinates": [ring]}
    assert len(json.dumps(big, separators=(",", ":"))) > MAX_GEOMETRY_BYTES
    for value in (big, json.dumps(big)):
        with pytest.raises(ValidationFailed) as caught:
            validate_geometry(value)
        assert caught.value.code == "geometry_too_large"
        assert str(caught.value.message) == "The geometry is larger than 200 KB."


def test_deep_nesting_is_refused_not_crashing():
    with pytest.raises(ValidationFailed) as caught:
        validate_geometry("[" * 100000 + "]" * 100000)
    assert caught.value.code in {"geometry_json", "geometry_type"}


class TestSummaries:
    """The text alternative of the map: parts, corner points and the area (same formula as map.js)."""

    # 0.001° × 0.001° at latitude 40: about 111.3 m × 85.4 m
    SQUARE = [[116.0, 40.0], [116.001, 40.0], [116.001, 40.001], [116.0, 40.001], [116.0, 40.0]]

    def test_nothing(self):
        from linli.areas.geometry import describe_geometry, summarize_geometry

        assert summarize_geometry(None) == {"kind": "none", "parts": 0, "points": 0, "square_metres": 0.0}
        assert describe_geometry(None) == "No boundary has been drawn."

    def test_polygon_area_and_points(self):
        from linli.areas.geometry import describe_geometry, summarize_geometry

        summary = summarize_geometry({"type": "Polygon", "coordinates": [self.SQUARE]})
        assert (summary["kind"], summary["parts"], summary["points"]) == ("polygon", 1, 4)
        assert 9400 < summary["square_metres"] < 9600
        assert describe_geometry({"type": "Polygon", "coordinates": [self.SQUARE]}) == (
            f"Boundary — parts: 1, corner points: 4, area: about {round(summary['square_metres']):,} m²."
        )

    def test_multipolygon_with_a_hole_and_square_kilometres(self):
        from linli.areas.geometry import describe_geometry, summarize_geometry

        big = [[116.0, 40.0], [116.02, 40.0], [116.02, 40.02], [116.0, 40.02], [116.0, 40.0]]
        hole = [[116.005, 40.005], [116.006, 40.005], [116.006, 40.006], [116.005, 40.006], [116.005, 40.005]]
        geometry = {"type": "MultiPolygon", "coordinates": [[big, hole], [self.SQUARE]]}
        whole = summarize_geometry({"type": "Polygon", "coordinates": [big]})["square_metres"]
        summary = summarize_geometry(geometry)
        assert (summary["parts"], summary["points"]) == (2, 12)
        assert abs(summary["square_metres"] - whole) < 1  # the hole and the small square cancel out
        assert (
            describe_geometry(geometry)
            == f"Boundary — parts: 2, corner points: 12, area: about {whole / 1e6:,.2f} km²."
        )

    def test_point(self):
        from linli.areas.geometry import describe_geometry

        assert describe_geometry({"type": "Point", "coordinates": [116.47, 39.99]}) == (
            "A location: longitude 116.470000, latitude 39.990000."
        )
