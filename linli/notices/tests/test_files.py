"""Uploads are checked by content, stripped of photo metadata and stored owner-only under random names."""

from __future__ import annotations

import stat

import pytest

from linli.core.errors import ValidationFailed
from linli.notices import files
from linli.notices.tests import samples


def check(name: str, data: bytes) -> files.CheckedFile:
    return files.check_upload(name, len(data), lambda: data)


def test_jpeg_loses_exif_and_comments_but_keeps_the_image() -> None:
    original = samples.jpeg()
    checked = check("停水.JPG", original)
    assert (checked.kind, checked.content_type, checked.name) == ("image", "image/jpeg", "停水.JPG")
    assert b"GPSLatitude" not in checked.content and b"taken at home" not in checked.content
    assert checked.content == samples.jpeg(with_location=False)


def test_png_loses_text_chunks() -> None:
    checked = check("map.png", samples.png())
    assert checked.content == samples.png(with_text=False)
    assert checked.content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("通知.pdf", samples.pdf(), "application/pdf"),
        ("名单.docx", samples.docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ],
)
def test_documents_are_accepted_by_content(name: str, data: bytes, content_type: str) -> None:
    checked = check(name, data)
    assert (checked.kind, checked.content_type, checked.content) == ("document", content_type, data)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("photo.jpg", samples.html_as_jpeg()),  # HTML disguised as a photo
        ("photo.png", samples.jpeg()),  # extension and content disagree
        ("notice.html", b"<html></html>"),
        ("report.pdf", b"%PDF-1.4 no end"),
        ("report.docx", b"PK\x03\x04broken"),
        ("truncated.jpg", samples.jpeg()[:40]),
        ("script.svg", b"<svg onload=alert(1)></svg>"),
    ],
)
def test_other_files_are_refused(name: str, data: bytes) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check(name, data)
    assert refused.value.code == "file_type"


def test_size_is_checked_before_reading() -> None:
    def never() -> bytes:
        raise AssertionError("read although too large")

    with pytest.raises(ValidationFailed) as refused:
        files.check_upload("big.jpg", files.IMAGE_MAX_BYTES + 1, never)
    assert refused.value.code == "file_too_large"
    with pytest.raises(ValidationFailed):
        files.check_upload("empty.pdf", 0, never)


def test_names_lose_folders_and_control_characters() -> None:
    assert files.clean_name("..\\..\\etc/pass\u202ewd.pdf") == "passwd.pdf"
    assert files.clean_name("") == "file"
    assert len(files.clean_name("长" * 300 + ".pdf")) == files.NAME_MAX


def test_stored_files_are_owner_only(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.LINLI_NOTICE_UPLOAD_DIR = tmp_path / "uploads" / "notices"
    name = files.new_storage_name()
    path = files.store(name, b"data")
    assert path.read_bytes() == b"data"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    with pytest.raises(FileExistsError):
        files.store(name, b"other")
    with pytest.raises(ValueError):
        files.path_for("../../etc/passwd")
