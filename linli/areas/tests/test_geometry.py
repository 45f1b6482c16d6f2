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
