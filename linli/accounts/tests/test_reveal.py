"""Reveal-with-reason on the resident detail page (SECURITY.md D4, A7, C1): a reason is required,
re-authentication must be fresh (5 minutes), each reveal writes exactly one audit event with the
reason, the value appears once in the response body and nowhere else."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from linli import testing
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_A,
    PHONE_A,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    world_fixture,
)
from linli.audit.models import AuditEvent

HTMX = {"HTTP_HX_REQUEST": "true"}
REASON = "Home visit to confirm the tenancy"


def _reveal_url(world: World, field: str) -> str:
    return reverse("residents:reveal", kwargs={"link_id": world.link_a1.pk, "field": field})


@pytest.mark.django_db
@pytest.mark.parametrize(("field", "value"), [("phone", PHONE_A), ("id_number", ID_A)])
def test_reveal_shows_the_value_once_and_audits_it(world: World, field: str, value: str) -> None:
    officer = world.staff["community_worker_a"]
    client = testing.client_for(officer)
    response = client.post(_reveal_url(world, field), {"reason": REASON})
    assert response.status_code == 200
    assert value in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    events = AuditEvent.objects.filter(event_type="privacy.revealed")
    assert events.count() == 1
    event = events.get()
    assert event.actor_id == officer.pk
    assert event.detail["reason"] == REASON
    assert event.detail["field"] == field
    assert event.object_id == str(world.resident_a.pk)
    assert value not in str(event.detail)
    # the value is not kept anywhere the next request could find it
    assert value not in str(dict(client.session.items()))
    assert value not in response.get("Location", "")
    detail = client.get(reverse("residents:detail", kwargs={"link_id": world.link_a1.pk})).content.decode()
    assert value not in detail


@pytest.mark.django_db
def test_each_reveal_is_its_own_audit_event(world: World) -> None:
    client = testing.client_for(world.staff["street_officer"])
    client.post(_reveal_url(world, "phone"), {"reason": REASON})
    client.post(_reveal_url(world, "phone"), {"reason": "Second call about the same repair"})
    reasons = list(
        AuditEvent.objects.filter(event_type="privacy.revealed").order_by("id").values_list("detail__reason", flat=True)
    )
    assert reasons == [REASON, "Second call about the same repair"]


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", "ab"])
def test_reveal_requires_a_reason(world: World, reason: str) -> None:
    client = testing.client_for(world.staff["street_officer"])
    response = client.post(_reveal_url(world, "id_number"), {"reason": reason})
    assert response.status_code == 422
    assert ID_A not in response.content.decode()
    assert AuditEvent.objects.filter(event_type__startswith="privacy.reveal").count() == 0


@pytest.mark.django_db
def test_reveal_requires_fresh_reauthentication(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = testing.client_for(world.staff["street_officer"])
        traveller.move_to(start + datetime.timedelta(minutes=6))
        response = client.post(_reveal_url(world, "id_number"), {"reason": REASON})
        detail_url = reverse("residents:detail", kwargs={"link_id": world.link_a1.pk})
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('accounts:reauthenticate')}?next={detail_url.replace('/', '%2F')}"
        assert ID_A not in response.content.decode()
        assert AuditEvent.objects.filter(event_type="privacy.revealed").count() == 0
        # the reason form itself sends a stale session to re-authenticate first
        form = client.get(_reveal_url(world, "id_number"))
        assert form.status_code == 302
        assert form["Location"].startswith(reverse("accounts:reauthenticate"))


@pytest.mark.django_db
def test_reveal_within_five_minutes_of_reauthentication_works(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        client = testing.client_for(world.staff["street_officer"])
        traveller.move_to(start + datetime.timedelta(minutes=4, seconds=50))
        response = client.post(_reveal_url(world, "id_number"), {"reason": REASON})
    assert response.status_code == 200
    assert ID_A in response.content.decode()


@pytest.mark.django_db
def test_htmx_reveal_uses_fragments_and_hx_redirect(world: World) -> None:
    client = testing.client_for(world.staff["street_officer"])
    form = client.get(_reveal_url(world, "phone"), **HTMX)
    assert form.status_code == 200
    assert "<html" not in form.content.decode()
    assert 'hx-post="' in form.content.decode()
    revealed = client.post(_reveal_url(world, "phone"), {"reason": REASON}, **HTMX)
    assert "<html" not in revealed.content.decode()
    assert PHONE_A in revealed.content.decode()
    session = client.session
    session["linli_reauthenticated_at"] = (timezone.now() - datetime.timedelta(minutes=6)).timestamp()
    session.save()
    stale = client.post(_reveal_url(world, "phone"), {"reason": REASON}, **HTMX)
    assert stale.status_code == 204
    assert stale["HX-Redirect"].startswith(reverse("accounts:reauthenticate"))
    assert AuditEvent.objects.filter(event_type="privacy.revealed").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["grid_worker_a1", "department_officer"])
def test_grid_workers_and_department_officers_cannot_reveal_id_numbers(world: World, role: str) -> None:
    client = testing.client_for(world.staff[role])
    assert client.get(_reveal_url(world, "id_number")).status_code == 404
    response = client.post(_reveal_url(world, "id_number"), {"reason": REASON})
    assert response.status_code == 404
    assert ID_A not in response.content.decode()
    assert AuditEvent.objects.filter(event_type="privacy.revealed").count() == 0
    if role == "grid_worker_a1":
        # in scope for the link, so the refusal itself is audited by the reveal action
        assert AuditEvent.objects.filter(event_type="privacy.reveal_denied", actor=world.staff[role]).count() == 1
        detail = client.get(reverse("residents:detail", kwargs={"link_id": world.link_a1.pk})).content.decode()
        assert _reveal_url(world, "phone") in detail
        assert _reveal_url(world, "id_number") not in detail


@pytest.mark.django_db
def test_unknown_field_and_empty_value_are_404(world: World) -> None:
    client = testing.client_for(world.staff["street_officer"])
    bad = reverse("residents:reveal", kwargs={"link_id": world.link_a1.pk, "field": "password"})
    assert client.post(bad, {"reason": REASON}).status_code == 404
    world.resident_a.id_number = ""
    world.resident_a.save(update_fields=["id_number"])
    assert client.post(_reveal_url(world, "id_number"), {"reason": REASON}).status_code == 404
    assert AuditEvent.objects.filter(event_type="privacy.revealed").count() == 0


@pytest.mark.django_db
def test_resident_cannot_use_the_staff_reveal(world: World) -> None:
    client = testing.client_for(world.resident_a)
    assert client.post(_reveal_url(world, "phone"), {"reason": REASON}).status_code == 404
    assert AuditEvent.objects.filter(event_type="privacy.revealed").count() == 0


@pytest.mark.django_db
def test_reveal_form_states_the_minimum_before_typing(world: World) -> None:
    """Newcomer finding 2: the reason's minimum is on the form, read with the field."""
    client = testing.client_for(world.staff["street_officer"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    form = client.get(_reveal_url(world, "id_number"), **HTMX)
    html = form.content.decode()
    assert form.status_code == 200
    assert re.search(r'<span class="helptext" id="id_reason_helptext">[^<]*At least 4 characters\.', html)
    assert re.search(r'<input [^>]*aria-describedby="id_reason_helptext"[^>]*id="id_reason"', html)


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "abc"])
def test_htmx_reveal_with_a_short_reason_answers_422_with_the_error_at_the_field(world: World, reason: str) -> None:
    """Newcomer finding 2: the htmx answer is the form fragment with status 422 (the shared script
    swaps it in), the error in the field's own error list, linked to the input."""
    client = testing.client_for(world.staff["street_officer"])
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.post(_reveal_url(world, "id_number"), {"reason": reason}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    assert 'hx-post="' in html
    field = re.search(r'<label for="id_reason">(.*?)</li>', html, re.S)  # the field up to its first error
    assert field is not None
    expected = "This field is required." if not reason else "Ensure this value has at least 4 characters (it has 3)."
    assert re.search(
        r'id="id_reason_error"[^>]*>(<ul class="errorlist"[^>]*>)?<li>' + re.escape(expected), field.group(0) + "</li>"
    )
    assert re.search(r'aria-invalid="true"', field.group(1))
    assert 'aria-describedby="id_reason_helptext id_reason_error"' in field.group(1)
    assert ID_A not in html
    assert AuditEvent.objects.filter(event_type__startswith="privacy.reveal").count() == 0
