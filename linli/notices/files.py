"""Attachments of notices: checked by content, cleaned, stored outside the database and the web
root under a random name, readable by the owner only.

Accepted: images (JPEG, PNG) up to ``IMAGE_MAX_BYTES`` and documents (PDF, Word .docx, Excel .xlsx)
up to ``DOCUMENT_MAX_BYTES``. The type is decided by the file's bytes, and the name's extension
must agree with it; anything else is refused. Photos lose their metadata (EXIF with GPS position
and camera serials, XMP, IPTC; PNG text chunks) before they are stored. Files are served by
``views.attachment`` with the stored content type, ``nosniff`` and a Content-Disposition
(documents always as downloads), behind the notice's scope.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import struct
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from linli.core.errors import ValidationFailed

IMAGE_MAX_BYTES = 5 * 1024 * 1024
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
MAX_IMAGES = 6
MAX_DOCUMENTS = 5
NAME_MAX = 120

IMAGE_TYPES = {"jpeg": ("image/jpeg", (".jpg", ".jpeg")), "png": ("image/png", (".png",))}
DOCUMENT_TYPES = {
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
}
# JPEG segments that carry metadata rather than pixels: APP1 (EXIF, XMP), APP12, APP13 (IPTC), COM.
JPEG_DROPPED_MARKERS = frozenset({0xE1, 0xEC, 0xED, 0xFE})
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED_CHUNKS = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})


@dataclass(frozen=True)
class CheckedFile:
    kind: str  # "image" or "document"
    name: str
    content_type: str
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def upload_root() -> Path:
    return Path(getattr(settings, "LINLI_NOTICE_UPLOAD_DIR", settings.DATA_DIR / "uploads" / "notices"))


def clean_name(name: str) -> str:
    """The file name without folders, control or format characters, at most ``NAME_MAX`` long."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    base = base.strip().strip(".") or "file"
    if len(base) > NAME_MAX:
        stem, dot, extension = base.rpartition(".")
        base = (
            (stem[: NAME_MAX - len(extension) - 1] + dot + extension)
            if dot and len(extension) <= 10
            else base[:NAME_MAX]
        )
    return base


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _refuse(name: str) -> ValidationFailed:
    return ValidationFailed(
        _("%(name)s is not an accepted file: images must be JPEG or PNG, documents PDF, Word (.docx) or Excel (.xlsx).")
        % {"name": name},
        code="file_type",
        field="attachments",
    )


# --- images ---------------------------------------------------------------------------------------


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without metadata segments; ``ValueError`` when it is not a well-formed JPEG."""
    if not data.startswith(b"\xff\xd8\xff"):
        raise ValueError("not a JPEG")
    out = io.BytesIO()
    out.write(b"\xff\xd8")
    position = 2
    seen_frame = False
    while position < len(data):
        if data[position] != 0xFF:
            raise ValueError("bad marker")
        while position < len(data) and data[position] == 0xFF:  # fill bytes
            position += 1
        if position >= len(data):
            raise ValueError("truncated")
        marker = data[position]
        position += 1
        if marker == 0xD9:  # end of image without scan
            raise ValueError("no image data")
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            raise ValueError("unexpected marker")
        if position + 2 > len(data):
            raise ValueError("truncated")
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2 or position + length > len(data):
            raise ValueError("bad segment length")
        segment = data[position - 2 : position + length]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            seen_frame = True
        if marker not in JPEG_DROPPED_MARKERS:
            out.write(segment)
        position += length
        if marker == 0xDA:  # start of scan: the rest is image data up to the end marker
            if not seen_frame:
                raise ValueError("scan before frame")
            rest = data[position:]
            end = rest.rfind(b"\xff\xd9")
            if end < 0:
                raise ValueError("no end marker")
            out.write(rest[: end + 2])
            return out.getvalue()
    raise ValueError("no scan")


def strip_png(data: bytes) -> bytes:
    """The PNG without text, time and EXIF chunks; ``ValueError`` when it is not a well-formed PNG."""
    if not data.startswith(PNG_SIGNATURE):
        raise ValueError("not a PNG")
    out = io.BytesIO()
    out.write(PNG_SIGNATURE)
    position = len(PNG_SIGNATURE)
    first = True
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunk_type = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            raise ValueError("truncated chunk")
        if first and (chunk_type != b"IHDR" or length != 13):
            raise ValueError("no header")
        first = False
        if chunk_type not in PNG_DROPPED_CHUNKS:
            out.write(data[position:end])
        position = end
        if chunk_type == b"IEND":
            return out.getvalue()
    raise ValueError("no end chunk")


# --- documents ------------------------------------------------------------------------------------


def _office_kind(data: bytes) -> str | None:
    """ "docx" or "xlsx" for an Office Open XML package (read from its directory only)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def detect(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"%PDF-") and b"%%EOF" in data[-1024:]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return _office_kind(data)
    return None


def check_upload(name: str, size: int, read: Callable[[], bytes]) -> CheckedFile:
    """Check one uploaded file: size first (before reading), then the bytes, then the extension."""
    shown = clean_name(name)
    extension = _extension(shown)
    is_image = extension in {ext for _type, exts in IMAGE_TYPES.values() for ext in exts}
    limit = IMAGE_MAX_BYTES if is_image else DOCUMENT_MAX_BYTES
    if size > limit:
        raise ValidationFailed(
            _("%(name)s is larger than %(limit)s MB.") % {"name": shown, "limit": limit // (1024 * 1024)},
            code="file_too_large",
            field="attachments",
        )
    if size == 0:
        raise ValidationFailed(_("%(name)s is empty.") % {"name": shown}, code="file_empty", field="attachments")
    data = read()
    if len(data) > limit:
        raise ValidationFailed(
            _("%(name)s is larger than %(limit)s MB.") % {"name": shown, "limit": limit // (1024 * 1024)},
            code="file_too_large",
            field="attachments",
        )
    kind = detect(data)
    if kind in IMAGE_TYPES:
        content_type, extensions = IMAGE_TYPES[kind]
        if extension not in extensions:
            raise _refuse(shown)
        try:
            cleaned = strip_jpeg(data) if kind == "jpeg" else strip_png(data)
        except ValueError:
            raise _refuse(shown) from None
        return CheckedFile("image", shown, content_type, cleaned)
    if kind in DOCUMENT_TYPES:
        content_type, extensions = DOCUMENT_TYPES[kind]
        if extension not in extensions:
            raise _refuse(shown)
        return CheckedFile("document", shown, content_type, data)
    raise _refuse(shown)


def check_counts(files: list[CheckedFile]) -> None:
    images = sum(1 for item in files if item.kind == "image")
    if images > MAX_IMAGES:
        raise ValidationFailed(
            _("At most %(count)s images per notice.") % {"count": MAX_IMAGES},
            code="too_many_files",
            field="attachments",
        )
    if len(files) - images > MAX_DOCUMENTS:
        raise ValidationFailed(
            _("At most %(count)s documents per notice.") % {"count": MAX_DOCUMENTS},
            code="too_many_files",
            field="attachments",
        )


# --- storage --------------------------------------------------------------------------------------


def new_storage_name() -> str:
    return secrets.token_hex(20)


def path_for(storage_name: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{40}", storage_name):
        raise ValueError("bad storage name")
    return upload_root() / storage_name[:2] / storage_name


def store(storage_name: str, content: bytes) -> Path:
    """Write the file (owner-only folders 0700 and file 0600); never overwrites."""
    path = path_for(storage_name)
    root = upload_root()
    for folder in (root.parent, root, path.parent):
        folder.mkdir(mode=0o700, exist_ok=True, parents=folder is root.parent)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    return path


def remove(storage_name: str) -> None:
    """Delete a stored file (a publication that rolled back)."""
    try:
        path_for(storage_name).unlink()
    except FileNotFoundError:
        pass
