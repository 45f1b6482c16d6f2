"""Views of resident home links: the resident's "Link my home" page with its cascading chooser,
withdrawal, the home page, and the staff residents list (filters, paging, pinned query count,
masking) and detail decisions."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli import testing
from linli.accounts.models import DwellingLink, Role
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_A,
    ID_B,
    ID_C,
    PHONE_A,
    PHONE_B,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    request_link,
    world_fixture,
)
from linli.areas.models import Area, AreaKind
from linli.audit.models import AuditEvent
from linli.notify.models import Notification

HTMX = {"HTTP_HX_REQUEST": "true"}
ROW_LINK = re.compile(r'<td class="list-primary" data-label="[^"]+"><a href="/residents/\d+/">')


def _chain(tree: testing.Tree, dwelling: Area) -> list[str]:
    """The chooser values a resident posts for ``dwelling``: community, estate, building, unit, dwelling."""
    ids = [int(part) for part in dwelling.path.strip("/").split("/")]
    areas = {area.pk: area for area in Area.objects.filter(pk__in=ids)}
    return [str(area_id) for area_id in ids if areas[area_id].kind in (3, 5, 6, 7, 8)]


def _address_post(
    tree: testing.Tree, dwelling: Area, *, id_number: str = ID_C, name: str = "赵六", relation: str = "tenant"
) -> dict[str, object]:
    return {
        "form": "address",
        "at": _chain(tree, dwelling),
        "real_name": name,
        "id_number": id_number,
        "relation": relation,
    }


# --- resident side ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_link_page_is_for_residents_only(world: World) -> None:
    assert testing.client_for(world.resident_a).get(reverse("residents:link_dwelling")).status_code == 200
    staff = testing.client_for(world.staff["street_officer"])
    assert staff.get(reverse("residents:link_dwelling")).status_code == 404
    assert staff.get(reverse("residents:area_step"), {"at": world.tree.community_a.pk}).status_code == 404


@pytest.mark.django_db
def test_link_page_requires_sign_in(world: World) -> None:
    from django.test import Client

    response = Client().get(reverse("residents:link_dwelling"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_chooser_skips_grids_and_lists_only_active_areas(world: World) -> None:
    tree = world.tree
    client = testing.client_for(world.resident_a)
    estates = Area.objects.filter(kind=AreaKind.ESTATE, path__startswith=tree.community_a.path)
    assert estates.count() == 2
    closed = estates.get(parent=tree.grid_a2)
    Area.objects.filter(pk=closed.pk).update(is_active=False)
    response = client.get(reverse("residents:area_step"), {"at": tree.community_a.pk, "index": "0"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="area-step-1"' in html
    assert f'<option value="{tree.dwelling_a1.parent.parent.parent.pk}">' in html  # the A1 estate
    assert f'value="{closed.pk}"' not in html
    assert f'value="{tree.grid_a1.pk}"' not in html


@pytest.mark.django_db
def test_chooser_reaches_the_dwelling(world: World) -> None:
    tree = world.tree
    client = testing.client_for(world.resident_a)
    unit = tree.dwelling_a1.parent
    response = client.get(reverse("residents:area_step"), {"at": unit.pk, "index": "3"}, **HTMX)
    assert f'value="{tree.dwelling_a1.pk}"' in response.content.decode()
    response = client.get(reverse("residents:area_step"), {"at": tree.dwelling_a1.pk, "index": "4"}, **HTMX)
    html = response.content.decode()
    assert "<select" not in html
    assert "chosen-place" in html
    assert f"{tree.community_a.name} · {tree.grid_a1.name}小区 · 1号楼 · 1单元 · 101室" in html  # no grid level


@pytest.mark.django_db
def test_chooser_refuses_bad_input(world: World) -> None:
    client = testing.client_for(world.resident_a)
    assert client.get(reverse("residents:area_step"), {"at": "abc", "index": "0"}).status_code == 404
    assert client.get(reverse("residents:area_step"), {"at": 999999, "index": "0"}).status_code == 404
    assert (
        client.get(reverse("residents:area_step"), {"at": world.tree.community_a.pk, "index": "x"}).status_code == 404
    )
    assert client.get(reverse("residents:area_step"), {"at": "", "index": "0"}).content == b""


@pytest.mark.django_db
def test_no_script_next_level_keeps_the_typed_values(world: World) -> None:
    tree = world.tree
    client = testing.client_for(world.resident_b)
    post = _address_post(tree, tree.dwelling_a2)
    post["at"] = post["at"][:2]  # community and estate chosen
    post["step"] = "1"
    response = client.post(reverse("residents:link_dwelling"), post)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="area-step-2"' in html  # the building select is now shown
    assert 'value="赵六"' in html
    assert DwellingLink.objects.filter(user=world.resident_b).count() == 1


@pytest.mark.django_db
def test_request_link_by_address_creates_a_pending_link(world: World) -> None:
    tree = world.tree
    resident = testing.make_resident(name="")
    client = testing.client_for(resident)
    response = client.post(reverse("residents:link_dwelling"), _address_post(tree, tree.dwelling_a2))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:resident_home")
    link = DwellingLink.objects.get(user=resident)
    assert (link.dwelling_id, link.status, link.relation, link.area_path) == (
        tree.dwelling_a2.pk,
        "pending",
        "tenant",
        tree.dwelling_a2.path,
    )
    resident.refresh_from_db()
    assert resident.display_name == "赵六"
    assert resident.id_number == ID_C
    assert AuditEvent.objects.filter(event_type="resident.link_requested", object_id=str(link.pk)).count() == 1
    home = client.get(reverse("web:resident_home")).content.decode()
    assert tree.dwelling_a2.name in home
    assert reverse("residents:withdraw_link", kwargs={"link_id": link.pk}) in home


@pytest.mark.django_db
def test_request_link_with_stale_lower_choice_uses_the_consistent_chain(world: World) -> None:
    tree = world.tree
    resident = testing.make_resident()
    post = _address_post(tree, tree.dwelling_a2)
    post["at"] = [str(tree.community_b.pk), *post["at"][1:]]  # community changed, lower selects stale
    response = testing.client_for(resident).post(reverse("residents:link_dwelling"), post)
    assert response.status_code == 422
    assert DwellingLink.objects.filter(user=resident).count() == 0


@pytest.mark.django_db
def test_request_link_needs_a_dwelling_and_a_valid_id_number(world: World) -> None:
    tree = world.tree
    resident = testing.make_resident()
    client = testing.client_for(resident)
    no_dwelling = _address_post(tree, tree.dwelling_a2)
    no_dwelling["at"] = no_dwelling["at"][:3]
    assert client.post(reverse("residents:link_dwelling"), no_dwelling).status_code == 422
    bad_id = _address_post(tree, tree.dwelling_a2, id_number=ID_C[:-1] + ("0" if ID_C[-1] != "0" else "1"))
    response = client.post(reverse("residents:link_dwelling"), bad_id)
    assert response.status_code == 422
    assert DwellingLink.objects.filter(user=resident).count() == 0
    resident.refresh_from_db()
    assert resident.id_number == ""


@pytest.mark.django_db
def test_duplicate_open_link_is_refused_with_a_clear_message(world: World) -> None:
    tree = world.tree
    client = testing.client_for(world.resident_a)
    response = client.post(reverse("residents:link_dwelling"), _address_post(tree, tree.dwelling_a1, id_number=ID_A))
    assert response.status_code == 409
    assert 'class="message message-error"' in response.content.decode()
    assert DwellingLink.objects.filter(user=world.resident_a, dwelling=tree.dwelling_a1).count() == 1


@pytest.mark.django_db
def test_resident_withdraws_a_pending_link(world: World) -> None:
    client = testing.client_for(world.resident_a)
    response = client.post(reverse("residents:withdraw_link", kwargs={"link_id": world.link_a1.pk}))
    assert response.status_code == 302
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "revoked"
    assert world.link_a1.decided_by_id == world.resident_a.pk
    assert AuditEvent.objects.filter(event_type="resident.link_withdrawn").count() == 1
    staff_view = testing.client_for(world.staff["street_officer"]).get(
        reverse("residents:detail", kwargs={"link_id": world.link_a1.pk})
    )
    assert "张三丰" not in staff_view.content.decode()  # the resident's own decision shows no full name
    # once withdrawn, the same home can be asked for again
    request_link(world.resident_a, world.tree.dwelling_a1, ID_A)


@pytest.mark.django_db
def test_resident_cannot_withdraw_someone_elses_link(world: World) -> None:
    client = testing.client_for(world.resident_b)
    response = client.post(reverse("residents:withdraw_link", kwargs={"link_id": world.link_a1.pk}))
    assert response.status_code == 404
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "pending"


@pytest.mark.django_db
def test_withdraw_needs_post(world: World) -> None:
    client = testing.client_for(world.resident_a)
    assert client.get(reverse("residents:withdraw_link", kwargs={"link_id": world.link_a1.pk})).status_code == 405


# --- staff side: list ---------------------------------------------------------------------------


def _many_links(tree: testing.Tree, count: int) -> None:
    for number in range(count):
        dwelling = testing.create_area(
            AreaKind.DWELLING, f"9{number:03d}", f"{900 + number}室", tree.dwelling_a1.parent
        )
        resident = testing.make_resident(f"137{number:08d}", name="孙悟空")
        DwellingLink.objects.create(user=resident, dwelling=dwelling, area_path=dwelling.path, relation="owner")


def _count_queries(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.django_db
def test_list_query_count_is_constant_in_rows(world: World, django_assert_max_num_queries: object) -> None:
    client = testing.client_for(world.staff["street_officer"])
    url = reverse("residents:list")
    client.get(url)  # warm the session
    few = _count_queries(client, url)
    _many_links(world.tree, 60)
    many = _count_queries(client, url)
    assert few == many
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        client.get(url)
    filtered = f"{url}?status=pending&area={world.tree.community_a.pk}"
    assert _count_queries(client, filtered) == many + 1  # the chosen area is looked up


@pytest.mark.django_db
def test_list_pages_by_fifty_pending_first(world: World) -> None:
    _many_links(world.tree, 55)
    DwellingLink.objects.filter(pk=world.link_b1.pk).update(
        status="verified", created_at=timezone.now() + datetime.timedelta(days=1)
    )
    client = testing.client_for(world.staff["street_officer"])
    first = client.get(reverse("residents:list")).content.decode()
    assert len(ROW_LINK.findall(first)) == 50
    assert f'href="/residents/{world.link_b1.pk}/"' not in first  # verified comes after all pending ones
    second = client.get(reverse("residents:list"), {"page": 2}).content.decode()
    assert len(ROW_LINK.findall(second)) == 7
    assert f'href="/residents/{world.link_b1.pk}/"' in second


@pytest.mark.django_db
def test_list_filters_by_status_and_area(world: World) -> None:
    DwellingLink.objects.filter(pk=world.link_b1.pk).update(status="verified")
    client = testing.client_for(world.staff["street_officer"])
    pending = client.get(reverse("residents:list"), {"status": "pending"}).content.decode()
    assert f"/residents/{world.link_a1.pk}/" in pending
    assert f"/residents/{world.link_b1.pk}/" not in pending
    in_b = client.get(reverse("residents:list"), {"area": world.tree.grid_b1.pk}).content.decode()
    assert f"/residents/{world.link_b1.pk}/" in in_b
    assert f"/residents/{world.link_a1.pk}/" not in in_b


@pytest.mark.django_db
def test_list_filter_cannot_widen_the_scope(world: World) -> None:
    client = testing.client_for(world.staff["community_worker_a"])
    response = client.get(reverse("residents:list"), {"area": world.tree.community_b.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"/residents/{world.link_b1.pk}/" not in html
    assert f"/residents/{world.link_a1.pk}/" in html  # the invalid filter is ignored, scope stays


@pytest.mark.django_db
def test_password_only_staff_session_reaches_nothing(world: World) -> None:
    client = testing.client_for(world.staff["street_officer"], second_factor=False)
    response = client.get(reverse("residents:list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")
    assert client.post(reverse("residents:approve", kwargs={"link_id": world.link_a1.pk})).status_code == 302
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "pending"


@pytest.mark.django_db
def test_revoked_role_takes_effect_on_next_request(world: World) -> None:
    staff = world.staff["community_worker_a"]
    client = testing.client_for(staff)
    assert client.get(reverse("residents:detail", kwargs={"link_id": world.link_a1.pk})).status_code == 200
    staff.roles.update(revoked_at=timezone.now())
    assert client.get(reverse("residents:detail", kwargs={"link_id": world.link_a1.pk})).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["grid_worker_a1", "community_worker_a", "street_officer"])
def test_full_numbers_never_appear_in_list_or_detail(world: World, role: str) -> None:
    client = testing.client_for(world.staff[role])
    pages = [
        client.get(reverse("residents:list")).content.decode(),
        client.get(reverse("residents:detail", kwargs={"link_id": world.link_a1.pk})).content.decode(),
    ]
    for html in pages:
        for value in (PHONE_A, ID_A, PHONE_B, ID_B, "张三丰"):
            assert value not in html
    assert "139****5678" in pages[0]
    assert "1101**********" + ID_A[-4:] in pages[1]
    assert "张**" in pages[1]


# --- staff side: decisions ----------------------------------------------------------------------


@pytest.mark.django_db
def test_reject_needs_a_reason_and_tells_the_resident(world: World) -> None:
    client = testing.client_for(world.staff["grid_worker_a1"])
    url = reverse("residents:reject", kwargs={"link_id": world.link_a1.pk})
    response = client.post(url, {"reject-reason": ""})
    assert response.status_code == 422
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "pending"
    response = client.post(url, {"reject-reason": "Nobody of this name lives here"})
    assert response.status_code == 302
    world.link_a1.refresh_from_db()
    assert (world.link_a1.status, world.link_a1.note) == ("rejected", "Nobody of this name lives here")
    notification = Notification.objects.get(recipient=world.resident_a)
    assert notification.kind == "resident.link_rejected"
    assert "Nobody of this name lives here" in notification.body
    event = AuditEvent.objects.get(event_type="resident.link_rejected")
    assert event.detail == {"reason": "Nobody of this name lives here", "evidence_deleted": 0}
    home = testing.client_for(world.resident_a).get(reverse("web:resident_home")).content.decode()
    assert "Nobody of this name lives here" in home


@pytest.mark.django_db
def test_second_decision_loses(world: World) -> None:
    first = testing.client_for(world.staff["grid_worker_a1"])
    second = testing.client_for(world.staff["community_worker_a"])
    assert first.post(reverse("residents:approve", kwargs={"link_id": world.link_a1.pk})).status_code == 302
    response = second.post(
        reverse("residents:reject", kwargs={"link_id": world.link_a1.pk}), {"reject-reason": "Wrong flat"}
    )
    assert response.status_code == 302
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "verified"
    assert world.link_a1.decided_by_id == world.staff["grid_worker_a1"].pk
    assert AuditEvent.objects.filter(event_type__in=["resident.link_verified", "resident.link_rejected"]).count() == 1
    assert Notification.objects.filter(recipient=world.resident_a).count() == 1


@pytest.mark.django_db
def test_revoke_a_verified_link(world: World) -> None:
    client = testing.client_for(world.staff["community_leader_b"])
    client.post(reverse("residents:approve", kwargs={"link_id": world.link_b1.pk}))
    detail = client.get(reverse("residents:detail", kwargs={"link_id": world.link_b1.pk})).content.decode()
    assert reverse("residents:revoke", kwargs={"link_id": world.link_b1.pk}) in detail
    response = client.post(
        reverse("residents:revoke", kwargs={"link_id": world.link_b1.pk}), {"revoke-reason": "Moved out"}
    )
    assert response.status_code == 302
    world.link_b1.refresh_from_db()
    assert (world.link_b1.status, world.link_b1.note) == ("revoked", "Moved out")
    assert AuditEvent.objects.filter(event_type="resident.link_revoked").count() == 1


@pytest.mark.django_db
def test_revoke_out_of_scope_is_404_and_changes_nothing(world: World) -> None:
    DwellingLink.objects.filter(pk=world.link_b1.pk).update(status="verified")
    client = testing.client_for(world.staff["community_worker_a"])
    response = client.post(
        reverse("residents:revoke", kwargs={"link_id": world.link_b1.pk}), {"revoke-reason": "Moved out"}
    )
    assert response.status_code == 404
    world.link_b1.refresh_from_db()
    assert (world.link_b1.status, world.link_b1.note) == ("verified", "")
    assert AuditEvent.objects.filter(event_type="resident.link_revoked").count() == 0


@pytest.mark.django_db
def test_pending_link_cannot_be_revoked(world: World) -> None:
    client = testing.client_for(world.staff["street_officer"])
    response = client.post(
        reverse("residents:revoke", kwargs={"link_id": world.link_a1.pk}), {"revoke-reason": "Moved out"}
    )
    assert response.status_code == 302
    world.link_a1.refresh_from_db()
    assert world.link_a1.status == "pending"


@pytest.mark.django_db
def test_decisions_need_post(world: World) -> None:
    client = testing.client_for(world.staff["street_officer"])
    for name in ("approve", "reject", "revoke"):
        assert client.get(reverse(f"residents:{name}", kwargs={"link_id": world.link_a1.pk})).status_code == 405


@pytest.mark.django_db
def test_detail_warns_when_another_account_gave_the_same_id_number(world: World) -> None:
    other = testing.make_resident()
    request_link(other, world.tree.dwelling_a2, ID_A)
    html = (
        testing.client_for(world.staff["street_officer"])
        .get(reverse("residents:detail", kwargs={"link_id": world.link_a1.pk}))
        .content.decode()
    )
    assert "message-warning" in html


@pytest.mark.django_db
def test_navigation_entries_follow_the_rules(world: World) -> None:
    resident_nav = testing.client_for(world.resident_a).get(reverse("web:resident_home")).context["navigation"]
    assert reverse("residents:link_dwelling") in [entry["url"] for entry in resident_nav]
    grid_nav = testing.client_for(world.staff["grid_worker_a1"]).get(reverse("web:workbench")).context["navigation"]
    grid_urls = [entry["url"] for entry in grid_nav]
    assert reverse("residents:list") in grid_urls
    assert reverse("residents:letters") not in grid_urls
    leader_nav = (
        testing.client_for(world.staff["community_leader_b"]).get(reverse("web:workbench")).context["navigation"]
    )
    assert reverse("residents:letters") in [entry["url"] for entry in leader_nav]
    admin_nav = testing.client_for(world.staff["system_admin"]).get(reverse("web:workbench")).context["navigation"]
    assert reverse("residents:list") not in [entry["url"] for entry in admin_nav]


def test_roles_of_the_matrix_exist() -> None:
    assert {Role.GRID_WORKER, Role.COMMUNITY_WORKER, Role.COMMUNITY_LEADER, Role.STREET_OFFICER} <= set(Role.values)
