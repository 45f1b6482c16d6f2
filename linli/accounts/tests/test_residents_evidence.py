"""Evidence on a home-link request (newcomer finding 9): a photo or scan of a 房产证 or 租赁合同,
checked by its bytes, stored encrypted, opened only by staff who may decide the link (audited,
never cached) and deleted when the link is decided or withdrawn. And the link page asks for the
name, ID number and relation once (newcomer finding 5)."""

from __future__ import annotations

import re
import struct
import zlib

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.text import capfirst

from linli import testing
from linli.accounts.actions import residents as actions
from linli.accounts.models import DwellingEvidence, DwellingLink
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_C,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    world_fixture,
)
from linli.areas.models import Area
from linli.audit.models import AuditEvent
from linli.privacy.crypto import DecryptionError, decrypt_bytes


def png_bytes(width: int = 2, height: int = 2) -> bytes:
    """A valid RGB PNG (decodable by any reader)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _chain(dwelling: Area) -> list[str]:
    ids = [int(part) for part in dwelling.path.strip("/").split("/")]
    kinds = dict(Area.objects.filter(pk__in=ids).values_list("pk", "kind"))
    return [str(area_id) for area_id in ids if kinds[area_id] in (3, 5, 6, 7, 8)]


def _post(
    client: Client, dwelling: Area, *, upload: SimpleUploadedFile | None, kind: str = "deed", form: str = "address"
) -> object:
    data: dict[str, object] = {
        "form": form,
        "at": _chain(dwelling),
        "real_name": "赵六",
        "id_number": ID_C,
        "relation": "owner",
        "evidence_kind": kind,
    }
    if upload is not None:
        data["evidence"] = upload
    return client.post(reverse("residents:link_dwelling"), data)


def _english(user: object) -> Client:
    client = testing.client_for(user)  # type: ignore[arg-type]
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _field_block(html: str, field_id: str) -> str:
    match = re.search(rf'<label for="{field_id}">.*?</div>', html, re.S)
    assert match is not None, field_id
    return match.group(0)


def _request_with_png(world: World) -> tuple[DwellingLink, DwellingEvidence]:
    resident = testing.make_resident("13700000001")
    response = _post(
        testing.client_for(resident),
        world.tree.dwelling_a1,  # grid A1, community A
        upload=SimpleUploadedFile("房产证.png", png_bytes(), content_type="image/png"),
    )
    assert response.status_code == 302  # type: ignore[attr-defined]
    link = DwellingLink.objects.get(user=resident)
    return link, DwellingEvidence.objects.get(link=link)


def _photo() -> str:
    with translation.override(django_settings.LANGUAGE_CODE):
        return translation.gettext("photo")


def _evidence_url(evidence: DwellingEvidence) -> str:
    return reverse("residents:evidence", kwargs={"link_id": evidence.link_id, "evidence_id": evidence.pk})


# --- the link page asks once -------------------------------------------------------------------


@pytest.mark.django_db
def test_link_page_asks_name_id_number_and_relation_once(world: World) -> None:
    html = testing.client_for(testing.make_resident()).get(reverse("residents:link_dwelling")).content.decode()
    form = re.search(r'<form method="post" enctype="multipart/form-data" novalidate>.*?</form>', html, re.S)
    assert form is not None
    for name in ("real_name", "id_number", "relation", "code", "evidence", "evidence_kind"):
        assert len(re.findall(rf'name="{name}"', html)) == 1, name
        assert f'name="{name}"' in form.group(0)
    assert re.findall(r'<button [^>]*name="form" value="(\w+)"', html) == ["address", "letter"]


@pytest.mark.django_db
def test_letter_path_errors_keep_the_typed_identity(world: World) -> None:
    client = _english(testing.make_resident())
    response = _post(client, world.tree.dwelling_a2, upload=None, form="letter")
    html = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "This field is required." in _field_block(html, "id_code")
    assert 'value="赵六"' in html and f'value="{ID_C}"' in html


# --- upload -------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "data", "content_type", "kind"),
    [("房产证.png", png_bytes(), "image/png", "deed"), ("租赁合同.pdf", PDF, "application/pdf", "lease")],
)
def test_request_with_evidence_stores_it_encrypted(
    world: World, filename: str, data: bytes, content_type: str, kind: str
) -> None:
    resident = testing.make_resident("13700000002")
    upload = SimpleUploadedFile(filename, data, content_type="application/octet-stream")  # the claim is ignored
    response = _post(testing.client_for(resident), world.tree.dwelling_a2, upload=upload, kind=kind)
    assert response.status_code == 302  # type: ignore[attr-defined]
    link = DwellingLink.objects.get(user=resident)
    evidence = DwellingEvidence.objects.get(link=link)
    assert (evidence.kind, evidence.content_type, evidence.size) == (kind, content_type, len(data))
    stored = bytes(evidence.content)
    assert data not in stored and data[:16] not in stored
    assert decrypt_bytes(stored, context=f"accounts.dwellingevidence:{link.pk}:{kind}") == data
    with pytest.raises(DecryptionError):  # bound to its link: copied to another link it does not open
        decrypt_bytes(stored, context=f"accounts.dwellingevidence:{world.link_a1.pk}:{kind}")
    event = AuditEvent.objects.get(event_type="resident.link_requested", object_id=str(link.pk))
    assert event.detail["evidence"] == {"id": evidence.pk, "kind": kind, "type": content_type, "size": len(data)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("filename", "data", "content_type"),
    [
        ("photo.jpg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/jpeg"),  # a GIF named .jpg
        ("contract.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
        ("cut.png", png_bytes()[:-20], "image/png"),  # truncated
        ("empty.png", b"", "image/png"),
    ],
)
def test_wrong_type_is_refused_next_to_the_field(world: World, filename: str, data: bytes, content_type: str) -> None:
    resident = testing.make_resident("13700000003")
    response = _post(
        _english(resident), world.tree.dwelling_a2, upload=SimpleUploadedFile(filename, data, content_type=content_type)
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    block = _field_block(response.content.decode(), "id_evidence")  # type: ignore[attr-defined]
    expected = "The submitted file is empty." if not data else "Attach a photo (JPEG, PNG or WebP) or a PDF scan."
    assert re.search(r'<ul class="errorlist"[^>]*><li>' + re.escape(expected) + "</li></ul>", block)
    assert DwellingLink.objects.filter(user=resident).count() == 0
    assert DwellingEvidence.objects.count() == 0
    resident.refresh_from_db()
    assert resident.id_number == ""


@pytest.mark.django_db
def test_too_large_file_is_refused(world: World) -> None:
    resident = testing.make_resident("13700000004")
    data = PDF[:-6] + b"\x00" * (actions.MAX_EVIDENCE_BYTES - len(PDF) + 1) + b"%%EOF\n"
    assert len(data) == actions.MAX_EVIDENCE_BYTES + 1
    upload = SimpleUploadedFile("big.pdf", data, content_type="application/pdf")
    response = _post(_english(resident), world.tree.dwelling_a2, upload=upload)
    assert response.status_code == 422  # type: ignore[attr-defined]
    block = _field_block(response.content.decode(), "id_evidence")  # type: ignore[attr-defined]
    assert "The file is larger than 10 MB. Take a smaller photo or scan." in block
    assert DwellingLink.objects.filter(user=resident).count() == 0
    assert DwellingEvidence.objects.count() == 0


@pytest.mark.django_db
def test_evidence_needs_its_kind(world: World) -> None:
    resident = testing.make_resident("13700000005")
    upload = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    response = _post(_english(resident), world.tree.dwelling_a2, upload=upload, kind="")
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "Choose what the file shows." in _field_block(response.content.decode(), "id_evidence_kind")  # type: ignore[attr-defined]
    assert DwellingLink.objects.filter(user=resident).count() == 0


def test_action_checks_the_bytes_too() -> None:
    assert actions.evidence_content_type(png_bytes()) == "image/png"
    assert actions.evidence_content_type(PDF) == "application/pdf"
    for data in (b"RIFF\x04\x00\x00\x00WEBPVP8 ", b"\xff\xd8\xff\xe0garbage", b"MZ\x90\x00"):
        with pytest.raises(actions.ValidationFailed):
            actions.evidence_content_type(data)


# --- staff view ---------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["grid_worker_a1", "community_worker_a", "street_officer"])
def test_staff_who_may_decide_open_the_file_audited_and_not_cached(world: World, role: str) -> None:
    link, evidence = _request_with_png(world)
    client = testing.client_for(world.staff[role])
    detail = client.get(reverse("residents:detail", kwargs={"link_id": link.pk})).content.decode()
    assert f'href="{_evidence_url(evidence)}"' in detail
    with translation.override(django_settings.LANGUAGE_CODE):
        label = capfirst(evidence.get_kind_display())
    assert f'target="_blank" rel="noopener">{label}</a> <span class="hint">({_photo()}, ' in detail
    response = client.get(_evidence_url(evidence))
    assert response.status_code == 200
    assert response.content == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"] == f'inline; filename="evidence-{evidence.pk}.png"'
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    event = AuditEvent.objects.get(event_type="resident.evidence_viewed")
    assert (event.actor_id, event.object_id, event.detail) == (
        world.staff[role].pk,
        str(link.pk),
        {"evidence_id": evidence.pk, "kind": "deed"},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", ["community_leader_b", "department_officer", "system_admin", "audit_admin", "resident"]
)
def test_others_get_404_and_nothing_is_recorded_as_viewed(world: World, role: str) -> None:
    _link, evidence = _request_with_png(world)
    client = testing.client_for(world.staff[role])
    response = client.get(_evidence_url(evidence))
    assert response.status_code == 404
    assert png_bytes() not in response.content
    assert AuditEvent.objects.filter(event_type="resident.evidence_viewed").count() == 0
    assert DwellingEvidence.objects.filter(pk=evidence.pk).count() == 1


@pytest.mark.django_db
def test_the_resident_cannot_open_it_and_a_wrong_link_id_is_404(world: World) -> None:
    link, evidence = _request_with_png(world)
    own = testing.client_for(link.user).get(_evidence_url(evidence))
    assert own.status_code == 404
    staff = testing.client_for(world.staff["street_officer"])
    wrong = reverse("residents:evidence", kwargs={"link_id": world.link_a1.pk, "evidence_id": evidence.pk})
    assert staff.get(wrong).status_code == 404
    assert AuditEvent.objects.filter(event_type="resident.evidence_viewed").count() == 0


# --- deleted after the decision -----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_evidence_is_deleted_after_the_decision(world: World, decision: str) -> None:
    link, evidence = _request_with_png(world)
    client = testing.client_for(world.staff["community_worker_a"])
    data = {"reject-reason": "No such resident at this address"} if decision == "reject" else {}
    response = client.post(reverse(f"residents:{decision}", kwargs={"link_id": link.pk}), data)
    assert response.status_code == 302
    assert DwellingEvidence.objects.filter(link=link).count() == 0
    event_type = "resident.link_verified" if decision == "approve" else "resident.link_rejected"
    assert AuditEvent.objects.get(event_type=event_type, object_id=str(link.pk)).detail["evidence_deleted"] == 1
    assert client.get(_evidence_url(evidence)).status_code == 404
    detail = client.get(reverse("residents:detail", kwargs={"link_id": link.pk})).content.decode()
    assert _evidence_url(evidence) not in detail


@pytest.mark.django_db
def test_evidence_is_deleted_when_the_resident_withdraws(world: World) -> None:
    link, _evidence = _request_with_png(world)
    response = testing.client_for(link.user).post(reverse("residents:withdraw_link", kwargs={"link_id": link.pk}))
    assert response.status_code == 302
    assert DwellingEvidence.objects.filter(link=link).count() == 0
    assert AuditEvent.objects.get(event_type="resident.link_withdrawn").detail == {"evidence_deleted": 1}


@pytest.mark.django_db
def test_refused_decision_keeps_the_evidence(world: World) -> None:
    link, evidence = _request_with_png(world)
    client = testing.client_for(world.staff["community_leader_b"])
    assert client.post(reverse("residents:approve", kwargs={"link_id": link.pk})).status_code == 404
    link.refresh_from_db()
    assert link.status == "pending"
    assert DwellingEvidence.objects.filter(pk=evidence.pk).count() == 1


@pytest.mark.django_db
def test_tampered_evidence_does_not_open(world: World) -> None:
    _link, evidence = _request_with_png(world)
    stored = bytearray(evidence.content)
    stored[-1] ^= 0x01
    DwellingEvidence.objects.filter(pk=evidence.pk).update(content=bytes(stored))
    evidence.refresh_from_db()
    officer = world.staff["street_officer"]
    officer.is_verified = lambda: True  # type: ignore[attr-defined] # as after the TOTP step
    with pytest.raises(DecryptionError):
        actions.do_open_evidence(evidence, acting_user=officer)
    assert AuditEvent.objects.filter(event_type="resident.evidence_viewed").count() == 0
