"""Role × jurisdiction × object matrix for home links (SECURITY.md B2, test 2): list visibility,
detail, approve, reveal phone and reveal ID number, for every role against a link in grid A1 and a
link in grid B1. Every denial answers 404 and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from linli import testing
from linli.accounts.models import DwellingLink
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_A,
    ID_B,
    PHONE_A,
    PHONE_B,
    ROLE_KEYS,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    world_fixture,
)
from linli.audit.models import AuditEvent
from linli.notify.models import Notification

# role → (sees link in A1, sees link in B1, may reveal ID numbers)
EXPECTED = {
    "grid_worker_a1": ({"a1"}, False),
    "community_worker_a": ({"a1"}, True),
    "community_leader_b": ({"b1"}, True),
    "street_officer": ({"a1", "b1"}, True),
    "department_officer": (set(), False),
    "system_admin": (set(), False),
    "audit_admin": (set(), False),
    "resident": (set(), False),
}
MATRIX = [(role, link) for role in ROLE_KEYS for link in ("a1", "b1")]
FULL_VALUES = {"a1": {"phone": PHONE_A, "id_number": ID_A}, "b1": {"phone": PHONE_B, "id_number": ID_B}}


def test_matrix_covers_every_role() -> None:
    assert set(EXPECTED) == set(ROLE_KEYS)


def _sees(role: str, link: str) -> bool:
    return link in EXPECTED[role][0]


def _snapshot(link: DwellingLink) -> tuple[str, str, object, object]:
    link.refresh_from_db()
    return (link.status, link.method, link.decided_at, link.decided_by_id)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "link_key"), MATRIX)
def test_list_visibility(world: World, role: str, link_key: str) -> None:
    client = testing.client_for(world.staff[role])
    response = client.get(reverse("residents:list"))
    detail_url = reverse("residents:detail", kwargs={"link_id": world.link(link_key).pk})
    if not EXPECTED[role][0]:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert (f'href="{detail_url}"' in response.content.decode()) is _sees(role, link_key)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "link_key"), MATRIX)
def test_detail(world: World, role: str, link_key: str) -> None:
    client = testing.client_for(world.staff[role])
    response = client.get(reverse("residents:detail", kwargs={"link_id": world.link(link_key).pk}))
    assert response.status_code == (200 if _sees(role, link_key) else 404)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "link_key"), MATRIX)
def test_approve(world: World, role: str, link_key: str) -> None:
    link = world.link(link_key)
    before = _snapshot(link)
    events_before = AuditEvent.objects.filter(event_type="resident.link_verified").count()
    client = testing.client_for(world.staff[role])
    response = client.post(reverse("residents:approve", kwargs={"link_id": link.pk}))
    link.refresh_from_db()
    if _sees(role, link_key):
        assert response.status_code == 302
        assert link.status == "verified"
        assert link.method == "staff"
        assert link.decided_by_id == world.staff[role].pk
        assert (
            Notification.objects.filter(recipient=world.resident_of(link_key), kind="resident.link_verified").count()
            == 1
        )
        assert AuditEvent.objects.filter(event_type="resident.link_verified").count() == events_before + 1
    else:
        assert response.status_code == 404
        assert _snapshot(link) == before
        assert Notification.objects.filter(recipient=world.resident_of(link_key)).count() == 0
        assert AuditEvent.objects.filter(event_type="resident.link_verified").count() == events_before


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "link_key"), MATRIX)
@pytest.mark.parametrize("field", ["phone", "id_number"])
def test_reveal(world: World, role: str, link_key: str, field: str) -> None:
    link = world.link(link_key)
    allowed = _sees(role, link_key) and (field == "phone" or EXPECTED[role][1])
    client = testing.client_for(world.staff[role])
    url = reverse("residents:reveal", kwargs={"link_id": link.pk, "field": field})
    form = client.get(url)
    response = client.post(url, {"reason": "Follow-up visit about a repair request"})
    full_value = FULL_VALUES[link_key][field]
    revealed = AuditEvent.objects.filter(event_type="privacy.revealed")
    if allowed:
        assert form.status_code == 200
        assert response.status_code == 200
        assert full_value in response.content.decode()
        assert revealed.count() == 1
    else:
        assert form.status_code == 404
        assert response.status_code == 404
        assert full_value not in response.content.decode()
        assert revealed.count() == 0
    assert _snapshot(link)[0] == "pending"
