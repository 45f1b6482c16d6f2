"""Draw the web-app icons (SVG, PNG 180/192/512 and a maskable PNG 512) with the standard library.

The mark is geometric on purpose: two houses side by side (邻里, "neighbours") in white on the shell's
red. Text in an icon would depend on fonts the phone may not have. The PNG files are committed
under ``linli/web/static/web/icons/``; run ``linli build_icons`` after changing the drawing and
``linli build_icons --check`` to prove the committed files match it.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

ICON_DIR = Path(__file__).resolve().parents[2] / "static" / "web" / "icons"
CANVAS = 512.0
RED = (0xB8, 0x32, 0x2A)
WHITE = (0xFF, 0xFF, 0xFF)
SUPERSAMPLE = 4

Point = tuple[float, float]
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Shape:
    points: tuple[Point, ...]
    colour: Colour


def _house(centre_x: float, half_width: float, top: float, bottom: float, grow: float = 0.0) -> tuple[Point, ...]:
    """A pentagon house with a 45° roof; ``grow`` offsets the roof and walls outwards (not the floor)."""
    root2 = math.sqrt(2.0)
    apex = top - grow * root2
    eaves = top + half_width + grow - grow * root2
    left, right = centre_x - half_width - grow, centre_x + half_width + grow
    return ((centre_x, apex), (right, eaves), (right, bottom), (left, bottom), (left, eaves))


def _rectangle(left: float, top: float, right: float, bottom: float) -> tuple[Point, ...]:
    return ((left, top), (right, top), (right, bottom), (left, bottom))


def _rounded_square(size: float, radius: float, segments: int = 16) -> tuple[Point, ...]:
    points: list[Point] = []
    corners = (
        (size - radius, radius, -90.0),
        (size - radius, size - radius, 0.0),
        (radius, size - radius, 90.0),
        (radius, radius, 180.0),
    )
    for centre_x, centre_y, start in corners:
        for step in range(segments + 1):
            angle = math.radians(start + 90.0 * step / segments)
            points.append((centre_x + radius * math.cos(angle), centre_y + radius * math.sin(angle)))
    return tuple(points)


def mark() -> list[Shape]:
    """The two houses on a 512 × 512 canvas, centred on (256, 256)."""
    shapes = [
        Shape(_house(330, 70, 196, 384), WHITE),
        Shape(_rectangle(328, 318, 364, 384), RED),
        Shape(_house(196, 88, 128, 384, grow=14), RED),  # gap between the houses
        Shape(_house(196, 88, 128, 384), WHITE),
        Shape(_rectangle(172, 290, 220, 384), RED),
    ]
    # Centre the drawing: it spans x 108..400 and y 128..384 before the shift.
    return [Shape(tuple((x + 2.0, y) for x, y in shape.points), shape.colour) for shape in shapes]


def _transform(shapes: Sequence[Shape], scale: float) -> list[Shape]:
    """Scale the mark about the canvas centre (the maskable icon keeps it in the 80 % safe zone)."""
    centre = CANVAS / 2
    return [
        Shape(
            tuple((centre + (x - centre) * scale, centre + (y - centre) * scale) for x, y in shape.points), shape.colour
        )
        for shape in shapes
    ]


def icon_shapes(variant: str) -> list[Shape]:
    """``any``: rounded red square; ``maskable``/``full``: full-bleed square (the platform crops it;
    the mark stays inside the maskable safe zone, a circle of 40 % of the size around the centre)."""
    if variant == "any":
        return [Shape(_rounded_square(CANVAS, 96.0), RED), *mark()]
    if variant == "maskable":
        return [Shape(_rectangle(0, 0, CANVAS, CANVAS), RED), *_transform(mark(), 0.95)]
    if variant == "full":
        return [Shape(_rectangle(0, 0, CANVAS, CANVAS), RED), *mark()]
    raise ValueError(variant)


def render_svg(shapes: Sequence[Shape]) -> str:
    def hex_colour(colour: Colour) -> str:
        return "#{:02x}{:02x}{:02x}".format(*colour)

    def number(value: float) -> str:
        return f"{value:.2f}".rstrip("0").rstrip(".")

    body = "\n".join(
        f'  <polygon fill="{hex_colour(shape.colour)}" points="{" ".join(f"{number(x)},{number(y)}" for x, y in shape.points)}"/>'
        for shape in shapes
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">\n'
        "  <title>Linli</title>\n"
        f"{body}\n"
        "</svg>\n"
    )


def _spans(points: Sequence[Point], y: float) -> list[tuple[float, float]]:
    """Even-odd spans of a polygon on the horizontal line at ``y``."""
    crossings: list[float] = []
    count = len(points)
    for index in range(count):
        x1, y1 = points[index]
        x2, y2 = points[(index + 1) % count]
        if (y1 <= y < y2) or (y2 <= y < y1):
            crossings.append(x1 + (y - y1) * (x2 - x1) / (y2 - y1))
    crossings.sort()
    return [(crossings[i], crossings[i + 1]) for i in range(0, len(crossings) - 1, 2)]


def render_rgba(shapes: Sequence[Shape], size: int) -> bytes:
    """Rasterise with 4 × 4 supersampling; returns rows of RGBA bytes (transparent where no shape)."""
    palette: list[Colour] = []
    for shape in shapes:
        if shape.colour not in palette:
            palette.append(shape.colour)
    fine = size * SUPERSAMPLE
    factor = fine / CANVAS
    labels = [bytearray(fine) for _ in range(fine)]  # 0 = transparent, n = palette[n - 1]
    for shape in shapes:
        label = palette.index(shape.colour) + 1
        points = [(x * factor, y * factor) for x, y in shape.points]
        top = max(0, int(min(y for _, y in points)))
        bottom = min(fine, math.ceil(max(y for _, y in points)) + 1)
        for row in range(top, bottom):
            for start, end in _spans(points, row + 0.5):
                first = max(0, math.ceil(start - 0.5))
                last = min(fine, math.ceil(end - 0.5))
                if last > first:
                    labels[row][first:last] = bytes([label]) * (last - first)
    samples = SUPERSAMPLE * SUPERSAMPLE
    colours: list[tuple[int, int, int, int]] = [(0, 0, 0, 0), *((r, g, b, 255) for r, g, b in palette)]
    out = bytearray()
    for y in range(size):
        rows = labels[y * SUPERSAMPLE : (y + 1) * SUPERSAMPLE]
        out.append(0)  # PNG filter type "None"
        for x in range(size):
            block = b"".join(bytes(row[x * SUPERSAMPLE : (x + 1) * SUPERSAMPLE]) for row in rows)
            if block.count(block[0]) == samples:
                out.extend(colours[block[0]])
                continue
            red = green = blue = alpha = 0
            for value in block:
                r, g, b, a = colours[value]
                red, green, blue, alpha = red + r * a, green + g * a, blue + b * a, alpha + a
            if alpha == 0:
                out.extend(b"\0\0\0\0")
            else:
                out.extend((round(red / alpha), round(green / alpha), round(blue / alpha), round(alpha / samples)))
    return bytes(out)


def encode_png(rgba_rows: bytes, size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )


def build_all() -> dict[str, bytes]:
    """Every icon file by name."""
    files = {"icon.svg": render_svg(icon_shapes("any")).encode()}
    for name, variant, size in (
        ("icon-192.png", "any", 192),
        ("icon-512.png", "any", 512),
        ("icon-maskable-512.png", "maskable", 512),
        ("apple-touch-icon.png", "full", 180),
    ):
        files[name] = encode_png(render_rgba(icon_shapes(variant), size), size)
    return files


class Command(BaseCommand):
    help = "Draw the web-app icons into linli/web/static/web/icons/ (or --check that they are current)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="fail if the committed icons differ from the drawing")

    def handle(self, *args: Any, **options: Any) -> None:
        files = build_all()
        if options["check"]:
            stale = [
                name
                for name, data in files.items()
                if not (ICON_DIR / name).exists() or (ICON_DIR / name).read_bytes() != data
            ]
            if stale:
                raise CommandError(f"icons out of date: {', '.join(stale)} (run `linli build_icons`)")
            self.stdout.write("icons are current")
            return
        ICON_DIR.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (ICON_DIR / name).write_bytes(data)
            self.stdout.write(f"wrote {ICON_DIR / name} ({len(data)} bytes)")
