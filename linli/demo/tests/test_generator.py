"""The pure generator: exact shape for the fixed seed, determinism, valid identifiers."""

from __future__ import annotations

import pytest

from linli.areas.models import AreaKind
from linli.demo.generator import (
    DEFAULT_SEED,
    PENDING_LINKS,
    IdStart,
    build_plan,
    make_id_number,
    totp_key_for,
)
from linli.privacy.validators import validate_id_number, validate_phone

SMALL_COUNTS = {
    "district": 1,
    "street": 1,
    "community": 5,
    "grid": 10,
    "estate": 22,
    "building": 81,
    "unit": 207,
    "dwelling": 3565,
    "departments": 5,
    "staff_accounts": 9,
    "resident_accounts": 202,
    "verified_links": 181,
    "pending_links": 20,
    "notifications": 3,
}


@pytest.fixture(scope="module")
def small_plan():  # type: ignore[no-untyped-def]
    return build_plan("small", DEFAULT_SEED)


def test_small_plan_has_the_expected_counts(small_plan) -> None:  # type: ignore[no-untyped-def]
    assert small_plan.counts() == SMALL_COUNTS


def test_street_plan_has_25_communities_200_grids_and_about_40k_dwellings() -> None:
    counts = build_plan("street", DEFAULT_SEED).counts()
    assert (counts["community"], counts["grid"], counts["dwelling"]) == (25, 200, 41776)
    assert (counts["resident_accounts"], counts["pending_links"]) == (2002, PENDING_LINKS)


def test_same_seed_gives_the_same_plan(small_plan) -> None:  # type: ignore[no-untyped-def]
    again = build_plan("small", DEFAULT_SEED)
    assert again.fingerprint() == small_plan.fingerprint()
    assert [row.display_name for row in again.residents] == [row.display_name for row in small_plan.residents]
    assert [row.phone for row in again.residents] == [row.phone for row in small_plan.residents]
    assert [row.id_number for row in again.residents] == [row.id_number for row in small_plan.residents]
    assert [row.name for row in again.areas] == [row.name for row in small_plan.areas]


def test_another_seed_gives_another_plan(small_plan) -> None:  # type: ignore[no-untyped-def]
    other = build_plan("small", DEFAULT_SEED + 1)
    assert other.fingerprint() != small_plan.fingerprint()
    assert [row.phone for row in other.residents[2:]] != [row.phone for row in small_plan.residents[2:]]


def test_first_ids_shift_ids_but_not_values(small_plan) -> None:  # type: ignore[no-untyped-def]
    shifted = build_plan("small", DEFAULT_SEED, IdStart(area=101, department=11, user=51))
    assert shifted.district.id == 101
    assert shifted.street.path == "/101/102/"
    assert shifted.staff[0].id == 51
    assert shifted.departments[0].id == 11
    assert [row.phone for row in shifted.residents] == [row.phone for row in small_plan.residents]
    assert [(row.kind, row.code, row.name) for row in shifted.areas] == [
        (row.kind, row.code, row.name) for row in small_plan.areas
    ]


def test_paths_and_depths_follow_the_parents(small_plan) -> None:  # type: ignore[no-untyped-def]
    by_id = {row.id: row for row in small_plan.areas}
    for row in small_plan.areas:
        if row.parent_id is None:
            assert (row.path, row.depth, row.kind) == (f"/{row.id}/", 0, AreaKind.DISTRICT)
        else:
            parent = by_id[row.parent_id]
            assert row.path == f"{parent.path}{row.id}/"
            assert row.depth == parent.depth + 1
            assert row.kind > parent.kind
    codes = [(row.parent_id, row.code) for row in small_plan.areas]
    assert len(codes) == len(set(codes))


def test_every_id_number_and_phone_is_valid_and_unique(small_plan) -> None:  # type: ignore[no-untyped-def]
    id_numbers = [row.id_number for row in small_plan.residents]
    phones = [row.phone for row in small_plan.residents]
    for number in id_numbers:
        assert validate_id_number(number) == number
        assert number.startswith("110105")
    for phone in phones:
        assert validate_phone(phone) == phone
    assert len(set(id_numbers)) == len(id_numbers)
    assert len(set(phones)) == len(phones)


def test_id_number_sex_digit_matches_the_generated_sex() -> None:
    import random

    rng = random.Random(1)
    assert all(int(make_id_number(rng, male=True)[16]) % 2 == 1 for _ in range(200))
    assert all(int(make_id_number(rng, male=False)[16]) % 2 == 0 for _ in range(200))


def test_links_pending_ones_lie_in_community_one(small_plan) -> None:  # type: ignore[no-untyped-def]
    community_one = small_plan.areas[2]
    assert community_one.kind == AreaKind.COMMUNITY
    pending = [row for row in small_plan.residents if row.link_status == "pending"]
    assert len(pending) == PENDING_LINKS
    assert all(small_plan.area(row.dwelling_id).path.startswith(community_one.path) for row in pending)
    homes = [row.dwelling_id for row in small_plan.residents if row.dwelling_id is not None]
    assert len(homes) == len(set(homes))
    assert all(small_plan.area(home).kind == AreaKind.DWELLING for home in homes)


def test_staff_accounts_cover_every_role_with_stable_totp_keys(small_plan) -> None:  # type: ignore[no-untyped-def]
    assert [(row.username, row.label) for row in small_plan.staff] == [
        ("demo-street", "street_officer"),
        ("demo-leader", "community_leader"),
        ("demo-worker", "community_worker"),
        ("demo-grid1", "grid_worker"),
        ("demo-grid2", "grid_worker"),
        ("demo-police", "department_officer"),
        ("demo-sysadmin", "system_admin"),
        ("demo-secadmin", "security_admin"),
        ("demo-auditor", "audit_admin"),
    ]
    keys = [row.totp_key_hex for row in small_plan.staff]
    assert keys == [totp_key_for(DEFAULT_SEED, row.username) for row in small_plan.staff]
    assert all(len(bytes.fromhex(key)) == 20 for key in keys)
    assert len(set(keys)) == len(keys)
    assert totp_key_for(DEFAULT_SEED + 1, "demo-street") != keys[0]


def test_unknown_scale_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo scale"):
        build_plan("city", DEFAULT_SEED)


def test_every_planned_link_has_a_relation_of_the_model(small_plan) -> None:  # type: ignore[no-untyped-def]
    from linli.accounts.models import DwellingRelation

    linked = [row for row in small_plan.residents if row.link_status is not None]
    assert len(linked) == 201
    assert {row.relation for row in linked} == set(DwellingRelation.values)
    assert small_plan.residents[0].relation == "owner"  # the well-known verified resident
    assert [row.relation for row in small_plan.residents if row.link_status is None] == [None]
