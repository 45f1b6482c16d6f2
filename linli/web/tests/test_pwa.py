"""Installable web app: manifest, service worker, offline page and icons (Django test client)."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from linli import testing
from linli.web import views_pwa
from linli.web.management.commands import build_icons

CSS = Path(settings.PACKAGE_DIR) / "web" / "static" / "web" / "linli.css"


def css_variable(name: str) -> str:
    match = re.search(rf"--{name}:\s*(#[0-9a-fA-F]{{6}})", CSS.read_text(encoding="utf-8"))
    assert match is not None, name
    return match.group(1).lower()


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def static_bytes(client: Client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_service_worker_cache():  # type: ignore[no-untyped-def]
    views_pwa.service_worker_script.cache_clear()
    yield
    views_pwa.service_worker_script.cache_clear()


@pytest.mark.django_db
def test_manifest_has_the_fields_an_installable_app_needs(client: Client) -> None:
    response = client.get("/manifest.webmanifest")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    assert "no-store" not in response["Cache-Control"]
    assert "max-age=3600" in response["Cache-Control"]
    manifest = json.loads(response.content)
    assert manifest["name"] == "邻里 Linli"
    assert manifest["short_name"] == "邻里"
    assert manifest["start_url"] == "/"
    assert manifest["scope"] == "/"
    assert manifest["id"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["lang"] == "zh-Hans"
    assert manifest["theme_color"] == css_variable("red")
    assert manifest["background_color"] == css_variable("bg")
    assert [(icon["sizes"], icon["type"], icon["purpose"]) for icon in manifest["icons"]] == [
        ("any", "image/svg+xml", "any"),
        ("192x192", "image/png", "any"),
        ("512x512", "image/png", "any"),
        ("512x512", "image/png", "maskable"),
    ]


@pytest.mark.django_db
def test_manifest_icons_are_served_with_their_declared_sizes(client: Client) -> None:
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    for icon in manifest["icons"]:
        data = static_bytes(client, icon["src"])
        if icon["type"] == "image/png":
            width, height = (int(part) for part in icon["sizes"].split("x"))
            assert png_size(data) == (width, height)
        else:
            assert data.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')


def test_committed_icons_match_the_drawing() -> None:
    """``linli build_icons`` is deterministic and the committed files are its current output."""
    built = build_icons.build_all()
    assert sorted(built) == [
        "apple-touch-icon.png",
        "icon-192.png",
        "icon-512.png",
        "icon-maskable-512.png",
        "icon.svg",
    ]
    for name, data in built.items():
        assert (build_icons.ICON_DIR / name).read_bytes() == data, name
    assert png_size(built["apple-touch-icon.png"]) == (180, 180)


def test_maskable_icon_keeps_the_mark_inside_the_safe_zone() -> None:
    """Maskable icons are cropped to a circle of 40 % of the size around the centre."""
    safe_radius = 0.4 * build_icons.CANVAS
    centre = build_icons.CANVAS / 2
    background, *mark = build_icons.icon_shapes("maskable")
    assert background.colour == build_icons.RED
    visible = [shape for shape in mark if shape.colour == build_icons.WHITE]
    assert visible
    for shape in visible:
        for x, y in shape.points:
            assert ((x - centre) ** 2 + (y - centre) ** 2) ** 0.5 < safe_radius


@pytest.mark.django_db
def test_service_worker_is_served_as_javascript_from_the_root(client: Client) -> None:
    response = client.get("/service-worker.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "no-store" not in response["Cache-Control"]
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    config = json.loads(re.search(r"^const CONFIG = (\{.*\});$", script, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert config["offline"] == "/offline/"
    assert config["staticPrefix"] == "/static/"
    assert config["precache"][:2] == ["/offline/", "/manifest.webmanifest"]
    assert "/static/web/linli.css" in config["precache"]
    assert "/static/web/linli.js" in config["precache"]
    assert "/static/web/icons/icon-192.png" in config["precache"]
    assert re.fullmatch(r"[0-9a-f]{16}", config["version"])
    assert response["ETag"] == f'"{config["version"]}"'
    assert 'request.mode === "navigate"' in script
    assert "no-store" in script  # responses marked no-store are never stored


@pytest.mark.django_db
def test_service_worker_answers_not_modified_to_a_matching_etag(client: Client) -> None:
    etag = client.get("/service-worker.js")["ETag"]

    response = client.get("/service-worker.js", HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 304
    assert response.content == b""


@pytest.mark.django_db
def test_every_precached_file_is_served_and_storable(client: Client) -> None:
    """The service worker refuses to install if one shell file fails or is marked no-store."""
    script = client.get("/service-worker.js").content.decode()
    config = json.loads(re.search(r"^const CONFIG = (\{.*\});$", script, re.MULTILINE).group(1))  # type: ignore[union-attr]
    for url in config["precache"]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" not in response.get("Cache-Control", ""), url
        assert "private" not in response.get("Cache-Control", ""), url


@pytest.mark.django_db
def test_service_worker_version_follows_the_shell_files(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    first = views_pwa.service_worker_script()[1]
    original = views_pwa._static_content

    def changed(path: str) -> bytes | None:
        content = original(path)
        return content + b"/* changed */" if content is not None and path == "web/linli.css" else content

    views_pwa.service_worker_script.cache_clear()
    monkeypatch.setattr(views_pwa, "_static_content", changed)

    second = views_pwa.service_worker_script()[1]

    assert second != first
    assert client.get("/service-worker.js")["ETag"] == f'"{second}"'


@pytest.mark.django_db
def test_service_worker_skips_shell_files_that_are_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    original = views_pwa._static_content
    monkeypatch.setattr(
        views_pwa, "_static_content", lambda path: None if path.startswith("vendor/") else original(path)
    )

    script = views_pwa.service_worker_script()[0]

    assert "/static/vendor/htmx/htmx.min.js" not in script
    assert "/static/web/linli.css" in script


@pytest.mark.django_db
def test_offline_page_is_public_and_cacheable(client: Client) -> None:
    response = client.get("/offline/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert "Cookie" in response["Vary"]
    html = response.content.decode()
    assert '<section class="card narrow offline"' in html
    assert 'href=""' in html  # "try again" reloads the address that failed
    assert "csrfmiddlewaretoken" not in html
    assert "X-CSRFToken" not in html
    assert "csrftoken" not in response.cookies


@pytest.mark.django_db
def test_offline_page_shows_nothing_of_the_signed_in_user(tree: testing.Tree) -> None:
    resident = testing.make_resident("13912345678", name="赵六")
    client = testing.client_for(resident)

    response = client.get("/offline/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "赵六" not in html
    assert "/notifications/" not in html
    assert "/accounts/" not in html
    assert "csrfmiddlewaretoken" not in html
    assert response["Cache-Control"] == "public, max-age=3600"


@pytest.mark.django_db
def test_pages_with_personal_data_stay_no_store(tree: testing.Tree) -> None:
    """Only the shell is cacheable: the resident home still answers no-store."""
    client = testing.client_for(testing.make_resident())

    assert client.get("/home/")["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_every_page_links_the_manifest_icons_and_script(client: Client) -> None:
    html = client.get("/").content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert '<link rel="icon" href="/static/web/icons/icon.svg" type="image/svg+xml">' in html
    assert '<link rel="apple-touch-icon" href="/static/web/icons/apple-touch-icon.png">' in html
    assert '<meta name="theme-color" content="#b8322a">' in html
    assert '<script src="/static/web/linli.js" defer></script>' in html
    js = static_bytes(client, "/static/web/linli.js").decode()
    assert 'navigator.serviceWorker.register("/service-worker.js", { scope: "/"' in js


def test_pwa_views_are_public() -> None:
    for view in (views_pwa.manifest, views_pwa.service_worker, views_pwa.offline):
        assert view.linli_guard == "public"  # type: ignore[attr-defined]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/manifest.webmanifest", "/service-worker.js", "/offline/"])
def test_pwa_files_refuse_writes(client: Client, url: str) -> None:
    assert client.post(url).status_code == 405


@pytest.mark.django_db
def test_offline_page_speaks_both_languages_when_translated(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored once for everyone on the phone, the page carries its message in the visitor's
    language first and in the other language below."""
    from django.utils import translation

    monkeypatch.setattr(views_pwa, "gettext", lambda message: f"{translation.get_language()}: {message}")

    html = client.get("/offline/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    sections = re.findall(
        r'<section class="card narrow offline" lang="([^"]+)" aria-labelledby="offline-heading-(\d)">\s*<(h\d)', html
    )
    assert sections == [("en", "1", "h1"), ("zh-Hans", "2", "h2")]
    assert html.count('href=""') == 1  # one "try again" button


@pytest.mark.django_db
def test_offline_page_shows_one_language_when_the_message_is_not_translated(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views_pwa, "gettext", lambda message: message)

    html = client.get("/offline/").content.decode()

    assert re.findall(r'<section class="card narrow offline" lang="([^"]+)"', html) == ["zh-Hans"]
