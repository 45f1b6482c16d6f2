"""GeoJSON validation for area outlines (边界) and locations (位置).

An area may carry one GeoJSON geometry: a ``Point`` (a building's entrance), a ``Polygon`` or a
``MultiPolygon`` (a grid's or an estate's outline). A ``Feature`` wrapping one of these is accepted
and unwrapped: only the geometry object is stored. Coordinates are WGS 84 longitude/latitude (as
GeoJSON requires; GCJ-02 coordinates from Chinese map services fall in the same ranges and are
accepted as given). The size cap keeps one row from bloating every tree query that loads it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.utils.translation import gettext as _

from linli.core.errors import ValidationFailed

MAX_GEOMETRY_BYTES = 200 * 1024
GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon")
FIELD = "geometry"


def _fail(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, field=FIELD)


def _check_position(position: Any) -> None:
    if not isinstance(position, list) or not 2 <= len(position) <= 3:
        raise _fail(_("Each position must be a list [longitude, latitude]."), "geometry_structure")
    for number in position:
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            raise _fail(_("Coordinates must be numbers."), "geometry_structure")
    longitude, latitude = position[0], position[1]
    if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
        raise _fail(
            _("Coordinates out of range: longitude must be within -180..180 and latitude within -90..90."),
            "geometry_range",
        )


def _check_polygon(rings: Any) -> None:
    if not isinstance(rings, list) or not rings:
        raise _fail(_("A polygon must be a list of rings."), "geometry_structure")
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            raise _fail(_("Each polygon ring needs at least four positions."), "geometry_structure")
        for position in ring:
            _check_position(position)
        if ring[0] != ring[-1]:
            raise _fail(_("Each polygon ring must end where it starts."), "geometry_structure")


def _check_geometry(geometry: dict[str, Any]) -> None:
    kind = geometry.get("type")
    if kind not in GEOMETRY_TYPES:
        raise _fail(_("The geometry must be a Point, Polygon or MultiPolygon."), "geometry_type")
    coordinates = geometry.get("coordinates")
    if kind == "Point":
        _check_position(coordinates)
    elif kind == "Polygon":
        _check_polygon(coordinates)
    else:
        if not isinstance(coordinates, list) or not coordinates:
            raise _fail(_("A multipolygon must be a list of polygons."), "geometry_structure")
        for polygon in coordinates:
            _check_polygon(polygon)


def validate_geometry(value: Any) -> dict[str, Any] | None:
    """Return the geometry object to store, or None for an empty value.

    ``value`` may be JSON text or an already-parsed object. Raises ``ValidationFailed`` (field
    ``geometry``) with a translated message when the value is not acceptable."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if len(text.encode()) > MAX_GEOMETRY_BYTES:
            raise _fail(
                _("The geometry is larger than %(size)d KB.") % {"size": MAX_GEOMETRY_BYTES // 1024},
                "geometry_too_large",
            )
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            raise _fail(_("The geometry is not valid JSON."), "geometry_json") from None
    elif isinstance(value, dict):
        try:
            size = len(json.dumps(value, separators=(",", ":")).encode())
        except (TypeError, ValueError, RecursionError):
            raise _fail(_("The geometry is not valid JSON."), "geometry_json") from None
        if size > MAX_GEOMETRY_BYTES:
            raise _fail(
                _("The geometry is larger than %(size)d KB.") % {"size": MAX_GEOMETRY_BYTES // 1024},
                "geometry_too_large",
            )
    if not isinstance(value, dict):
        raise _fail(_("The geometry must be a GeoJSON object."), "geometry_type")
    if value.get("type") == "Feature":
        value = value.get("geometry")
        if not isinstance(value, dict):
            raise _fail(_("The feature has no geometry."), "geometry_type")
    _check_geometry(value)
    return {"type": value["type"], "coordinates": value["coordinates"]}


# --- summaries (the text alternative of the map) ----------------------------------------------------

EARTH_RADIUS_METRES = 6378137.0  # WGS 84 semi-major axis, as Leaflet uses


def _ring_area(ring: list[list[float]]) -> float:
    """Area of one closed ring on the sphere in square metres (the spherical-excess formula
    Leaflet.draw uses; the same formula runs in the browser, areas/map.js)."""
    total = 0.0
    for index in range(len(ring) - 1):
        (lon1, lat1), (lon2, lat2) = ring[index][:2], ring[index + 1][:2]
        total += math.radians(lon2 - lon1) * (2 + math.sin(math.radians(lat1)) + math.sin(math.radians(lat2)))
    return abs(total * EARTH_RADIUS_METRES * EARTH_RADIUS_METRES / 2)


def _polygons(geometry: dict[str, Any]) -> list[Any]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["coordinates"])
    return []


def summarize_geometry(geometry: dict[str, Any] | None) -> dict[str, Any]:
    """What a screen reader announces instead of the map: the kind of shape, its parts, its
    corner points and its area (outer rings minus holes) in square metres."""
    if not geometry:
        return {"kind": "none", "parts": 0, "points": 0, "square_metres": 0.0}
    if geometry["type"] == "Point":
        return {"kind": "point", "parts": 1, "points": 1, "square_metres": 0.0}
    parts = _polygons(geometry)
    points = sum(len(ring) - 1 for polygon in parts for ring in polygon)
    area = sum(_ring_area(polygon[0]) - sum(_ring_area(hole) for hole in polygon[1:]) for polygon in parts)
    return {"kind": "polygon", "parts": len(parts), "points": points, "square_metres": max(area, 0.0)}


def format_area(square_metres: float) -> str:
    """Square metres below 0.1 km² (an estate), square kilometres above (a street)."""
    if square_metres < 100_000:
        return _("%(value)s m²") % {"value": f"{round(square_metres):,}"}
    return _("%(value)s km²") % {"value": f"{square_metres / 1e6:,.2f}"}


def describe_geometry(geometry: dict[str, Any] | None) -> str:
    """One translated sentence for the summary (the browser rewrites it as the user draws)."""
    summary = summarize_geometry(geometry)
    if summary["kind"] == "none":
        return str(_("No boundary has been drawn."))
    if summary["kind"] == "point":
        longitude, latitude = geometry["coordinates"][:2]  # type: ignore[index]
        return _("A location: longitude %(longitude)s, latitude %(latitude)s.") % {
            "longitude": f"{longitude:.6f}",
            "latitude": f"{latitude:.6f}",
        }
    return _("Boundary — parts: %(parts)s, corner points: %(points)s, area: about %(area)s.") % {
        "parts": summary["parts"],
        "points": summary["points"],
        "area": format_area(summary["square_metres"]),
    }
