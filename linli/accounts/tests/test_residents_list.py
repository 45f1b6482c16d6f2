"""The staff residents list (newcomer findings 3 and 9, lean lists): search by name, mobile number
(exact, by blind index), building and room, posted so nothing personal reaches a URL; always
inside the actor's remit; only the displayed columns fetched; query count independent of rows."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from linli import testing
from linli.accounts.models import DwellingLink, User
from linli.accounts.selectors_residents import links_for
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_A,
    PHONE_A,
    PHONE_B,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    world_fixture,
)
from linli.areas.models import Area, AreaKind
from linli.privacy.masking import mask_id_number, mask_name, mask_phone

URL = "/residents/"
ROW = re.compile(r'<td class="list-primary" data-label="[^"]+"><a href="/residents/(\d+)/">')


def _english(user: User) -> Client:
    client = testing.client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _found(response: Any) -> set[int]:
    return {int(link_id) for link_id in ROW.findall(response.content.decode())}


def _search(client: Client, **fields: str) -> Any:
    return client.post(URL, fields)


def _link(dwelling: Area, phone: str, name: str) -> DwellingLink:
    resident = testing.make_resident(phone, name=name)
    return DwellingLink.objects.create(user=resident, dwelling=dwelling, area_path=dwelling.path, relation="tenant")


@pytest.fixture
def places(world: World) -> dict[str, DwellingLink]:
    """More homes in grid A1's estate: building 11 (room 1101) and building 3 with a dwelling
    directly in it (no unit)."""
    estate = world.tree.dwelling_a1.parent.parent.parent
    b11 = testing.create_area(AreaKind.BUILDING, "11", "11号楼", estate)
    unit = testing.create_area(AreaKind.UNIT, "1", "1单元", b11)
    room_1101 = testing.create_area(AreaKind.DWELLING, "1101", "1101室", unit)
    b3 = testing.create_area(AreaKind.BUILDING, "3", "3栋", estate)
    room_302 = testing.create_area(AreaKind.DWELLING, "302", "302室", b3)
    return {
        "1101": _link(room_1101, "13600000011", "李雷"),
        "302": _link(room_302, "13600000012", "韩梅梅"),
    }


# --- each search kind ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_search_by_name_matches_part_of_the_real_name(world: World, places: dict[str, DwellingLink]) -> None:
    client = testing.client_for(world.staff["street_officer"])
    assert _found(_search(client, name="张三")) == {world.link_a1.pk}
    assert _found(_search(client, name=" 韩梅 ")) == {places["302"].pk}
    assert _found(_search(client, name="王")) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("typed", [PHONE_A, "+86 139-1234-5678", "0086 139 1234 5678"])
def test_search_by_phone_is_exact_through_the_blind_index(world: World, typed: str) -> None:
    client = testing.client_for(world.staff["street_officer"])
    response = _search(client, phone=typed)
    assert response.status_code == 200
    assert _found(response) == {world.link_a1.pk}


@pytest.mark.django_db
def test_part_of_a_phone_number_is_refused_next_to_the_field(world: World) -> None:
    response = _search(_english(world.staff["street_officer"]), phone="1391234")
    html = response.content.decode()
    assert response.status_code == 422
    field = re.search(r'<label for="id_phone">.*?</div>', html, re.S)
    assert field is not None
    assert "Enter an 11-digit mainland mobile number." in field.group(0)
    assert _found(response) == set()


@pytest.mark.django_db
def test_search_by_building(world: World, places: dict[str, DwellingLink]) -> None:
    client = testing.client_for(world.staff["community_worker_a"])
    assert _found(_search(client, building="1")) == {world.link_a1.pk}  # 1号楼, not 11号楼
    assert _found(_search(client, building="1号楼")) == {world.link_a1.pk}
    assert _found(_search(client, building="11")) == {places["1101"].pk}
    assert _found(_search(client, building="3")) == {places["302"].pk}  # a dwelling directly in the building
    assert _found(_search(client, building="栋")) == {places["302"].pk}


@pytest.mark.django_db
def test_search_by_room_and_by_building_and_room(world: World, places: dict[str, DwellingLink]) -> None:
    client = testing.client_for(world.staff["community_worker_a"])
    assert _found(_search(client, room="101")) == {world.link_a1.pk}  # 101室, not 1101室
    assert _found(_search(client, room="1101室")) == {places["1101"].pk}
    assert _found(_search(client, building="11", room="101")) == set()
    assert _found(_search(client, building="11", room="1101")) == {places["1101"].pk}
    assert _found(_search(client, building="3", room="302", status="pending")) == {places["302"].pk}


# --- scope --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_out_of_scope_rows_are_never_returned(world: World, places: dict[str, DwellingLink]) -> None:
    community_a = testing.client_for(world.staff["community_worker_a"])
    assert _found(_search(community_a, phone=PHONE_B)) == set()
    assert _found(_search(community_a, name="欧阳")) == set()
    assert _found(_search(community_a, room="101")) == {world.link_a1.pk}  # B1's 101室 is not in A
    assert _found(_search(community_a, room="101", area=str(world.tree.community_b.pk))) == set()
    grid_a1 = testing.client_for(world.staff["grid_worker_a1"])
    assert _found(_search(grid_a1, room="101")) == {world.link_a1.pk}
    community_b = testing.client_for(world.staff["community_leader_b"])
    assert _found(_search(community_b, phone=PHONE_A)) == set()
    assert _found(_search(community_b, room="101")) == {world.link_b1.pk}
    for role in ("department_officer", "system_admin", "audit_admin", "resident"):
        assert testing.client_for(world.staff[role]).post(URL, {"name": "张"}).status_code == 404


# --- no personal data in URLs ---------------------------------------------------------------------


@pytest.mark.django_db
def test_search_is_posted_and_never_read_from_the_query_string(world: World) -> None:
    client = testing.client_for(world.staff["street_officer"])
    page = client.get(URL).content.decode()
    assert re.search(r'<form method="post" id="resident-search"', page)
    assert 'method="get"' not in page
    ignored = client.get(URL, {"phone": PHONE_A, "name": "张三丰", "room": "101"})
    assert _found(ignored) == {world.link_a1.pk, world.link_b1.pk}
    searched = _search(client, phone=PHONE_A, name="张三丰")
    html = searched.content.decode()
    # the typed number is echoed only in its own field of the posted page, never in a link
    assert PHONE_A not in re.sub(r'<input type="text" name="phone" value="13912345678"[^>]*>', "", html)
    assert not re.search(r'href="[^"]*(139|%E5%BC%A0|张)', html)
    assert searched["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_paging_reposts_the_search(world: World) -> None:
    unit = world.tree.dwelling_a1.parent
    for number in range(55):
        dwelling = testing.create_area(AreaKind.DWELLING, f"8{number:03d}", f"{800 + number}室", unit)
        _link(dwelling, f"135{number:08d}", "孙悟空")
    client = testing.client_for(world.staff["street_officer"])
    first = _search(client, name="悟空")
    html = first.content.decode()
    assert len(_found(first)) == 50
    assert re.search(r'<button [^>]*type="submit" form="resident-search" name="page" value="2"', html)
    second = client.post(URL, {"name": "悟空", "page": "2"})
    assert len(_found(second)) == 5
    assert not _found(first) & _found(second)


# --- lean list ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_reads_only_the_displayed_columns(world: World) -> None:
    officer = world.staff["street_officer"]
    officer.is_verified = lambda: True  # type: ignore[attr-defined] # as after the TOTP step
    sql = str(links_for(officer).query)
    assert "/residents" not in sql and '"accounts_user"."display_name"' in sql
    assert "id_number" not in sql  # the ID number is neither fetched nor decrypted
    for column in ('"note"', '"decided_by_id"', '"geometry"', '"email"', '"password"'):
        assert column not in sql


@pytest.mark.django_db
def test_list_shows_beijing_dates_and_translated_values(world: World) -> None:
    DwellingLink.objects.filter(pk=world.link_a1.pk).update(
        created_at=datetime.datetime(2026, 3, 1, 17, 30, tzinfo=datetime.UTC), relation="family"
    )
    html = testing.client_for(world.staff["street_officer"]).get(URL).content.decode()
    assert '<time datetime="2026-03-02T01:30:00+08:00">2026-03-02</time>' in html
    assert "家庭成员" in html and ">family<" not in html
    assert '<span class="status status-pending">待核验</span>' in html


def _many(world: World, count: int) -> None:
    unit = world.tree.dwelling_a1.parent
    for number in range(count):
        dwelling = testing.create_area(AreaKind.DWELLING, f"7{number:03d}", f"{700 + number}室", unit)
        _link(dwelling, f"133{number:08d}", "猪八戒")


# session with identity (user, device, session record: one query once the session is known),
# grants, count, page (hand-written, with the address labels), inbox badge, the areas of the filter
LIST_QUERIES = 6
# a search goes through the ORM: count, page and the address labels apart
SEARCH_QUERIES = 7


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [20, 50])
def test_list_query_count_is_pinned(world: World, rows: int, django_assert_num_queries: Any) -> None:
    _many(world, rows - 2)  # with the world's two links: 20 or 50 rows on the page
    client = testing.client_for(world.staff["street_officer"])
    client.get(URL)  # warm the session
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(URL)
    assert len(_found(response)) == rows


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [20, 50])
def test_search_query_count_is_pinned(world: World, rows: int, django_assert_num_queries: Any) -> None:
    _many(world, rows)
    client = testing.client_for(world.staff["street_officer"])
    client.get(URL)
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.post(URL, {"name": "八戒", "building": "1", "status": "pending"})
    assert len(_found(response)) == rows


@pytest.mark.django_db
@pytest.mark.parametrize(("status", "area"), [("", False), ("pending", False), ("", True)])
def test_the_hand_written_list_reads_what_the_orm_reads(
    world: World, places: dict[str, DwellingLink], status: str, area: bool
) -> None:
    """``ListLinks`` (the unsearched list, by hand) and ``links_for`` (the ORM) give the same rows
    in the same order, with the same address labels, for every filter shape."""
    from linli.accounts.selectors_residents import ListLinks, address_labels_for, list_rows_of

    _many(world, 12)
    DwellingLink.objects.filter(pk=places["302"].pk).update(status="verified")
    actor = world.staff["street_officer"]
    actor.otp_device = actor.stafftotpdevice_set.get()  # as the identity middleware leaves it
    actor.is_verified = lambda: True  # type: ignore[method-assign]
    chosen = world.tree.grid_a1 if area else None

    by_hand = ListLinks(actor, status=status, area=chosen)
    orm = list_rows_of(list(links_for(actor, status=status, area=chosen)))
    addresses = address_labels_for(row.area_path for row in orm)

    assert by_hand.count() == len(orm) > 2
    assert [
        (row.id, row.status, row.relation, row.created_at, row.phone, row.display_name) for row in by_hand[0:100]
    ] == [(row.id, row.status, row.relation, row.created_at, row.phone, row.display_name) for row in orm]
    assert [row.address for row in by_hand[0:100]] == [addresses[row.area_path] for row in orm]
    assert all(row.address for row in by_hand[0:100])
    assert [row.id for row in by_hand[2:5]] == [row.id for row in orm[2:5]]


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [1, 8])
def test_detail_shows_the_other_homes_in_remit_with_a_pinned_query_count(
    world: World, places: dict[str, DwellingLink], extra: int, django_assert_num_queries: Any
) -> None:
    """The lean detail page (hand-written reads): the resident's other homes inside the actor's
    remit with their addresses and statuses, none outside it; its address and date; the same query
    count with one or eight other homes."""
    resident = world.resident_a
    unit = world.tree.dwelling_a1.parent
    mine = [world.link_a1]
    for number in range(extra):
        dwelling = testing.create_area(AreaKind.DWELLING, f"9{number:03d}", f"{900 + number}室", unit)
        mine.append(DwellingLink.objects.create(user=resident, dwelling=dwelling, area_path=dwelling.path))
    outside = DwellingLink.objects.create(
        user=resident, dwelling=world.tree.dwelling_b1, area_path=world.tree.dwelling_b1.path, status="verified"
    )
    client = _english(world.staff["community_worker_a"])
    client.get(f"{URL}{world.link_a1.pk}/")  # warm the session

    with django_assert_num_queries(DETAIL_QUERIES):
        page = client.get(f"{URL}{world.link_a1.pk}/").content.decode()

    others = page.split('id="resident-others"', 1)[1].split("</section>", 1)[0]
    listed = [int(found) for found in re.findall(r'<a href="/residents/(\d+)/">', others)]
    assert sorted(listed) == sorted(link.pk for link in mine[1:])
    assert f"/residents/{outside.pk}/" not in page and world.link_a1.pk not in listed
    assert f'<a href="/residents/{mine[1].pk}/">900室</a>' in others
    assert (
        world.tree.grid_a1.name in others
        and '<span class="status status-pending">pending verification</span>' in others
    )
    local = datetime.datetime.fromisoformat(str(timezone.localtime(world.link_a1.created_at)))
    assert f'<time datetime="{local.isoformat()}">{local:%Y-%m-%d %H:%M}</time>' in page
    assert world.tree.community_a.name in page.split('id="resident-home"', 1)[1].split("</section>", 1)[0]
    who = page.split('id="resident-who"', 1)[1].split("</section>", 1)[0]
    assert f'<span class="masked">{mask_phone(PHONE_A)}</span>' in who
    assert f'<span class="masked">{mask_id_number(ID_A)}</span>' in who
    assert f"<dd>{mask_name('张三丰')}</dd>" in who


# identity, grants, inbox badge, the link, the resident's links in remit (with addresses), the
# accounts sharing the ID number, the attached files
DETAIL_QUERIES = 7
