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
