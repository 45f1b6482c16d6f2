"""Small well-formed files for upload tests (structure only; the checks never decode pixels)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(with_location: bool = True) -> bytes:
    parts = [b"\xff\xd8", _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")]
    if with_location:
        parts.append(_segment(0xE1, b"Exif\x00\x00GPSLatitude=39.9042;Serial=CAM123"))
        parts.append(_segment(0xFE, b"taken at home"))
    parts += [
        _segment(0xDB, b"\x00" + bytes(range(64))),
        _segment(0xC0, b"\x08\x00\x10\x00\x10\x01\x01\x11\x00"),
        _segment(0xDA, b"\x01\x01\x00\x00\x3f\x00"),
        b"\x12\x34\x56\x78",
        b"\xff\xd9",
    ]
    return b"".join(parts)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(with_text: bool = True) -> bytes:
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))]
    if with_text:
        parts.append(_chunk(b"tEXt", b"Comment\x00home address"))
    parts += [_chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")), _chunk(b"IEND", b"")]
    return b"".join(parts)


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def html_as_jpeg() -> bytes:
    return b"<html><script>alert(1)</script></html>"
