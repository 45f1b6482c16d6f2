"""Verification letters: issuing (scope, codes shown once, only hashes stored, audit with the count)
and using a code (valid, reused, expired, wrong, rate limited, concurrent double use)."""

from __future__ import annotations

import datetime
import re
import threading

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from linli import testing
from linli.accounts.actions import residents as actions
from linli.accounts.models import DwellingLink, VerificationLetter
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    ID_A,
    ID_C,
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    world_fixture,
)
from linli.areas.models import Area, AreaKind
from linli.audit.models import AuditEvent
from linli.core.errors import Conflict, PermissionRefused, RateLimited, ValidationFailed
from linli.privacy.crypto import blind_index

CODE_PATTERN = re.compile(r'<p class="letter-code">([2-9A-Z]{5})-([2-9A-Z]{5})</p>')


def _verified(user):  # type: ignore[no-untyped-def]
    user.is_verified = lambda: True
    return user


def _issue(world: World, area: Area, role: str = "community_worker_a") -> list[actions.IssuedLetter]:
    return actions.do_issue_letters(area, acting_user=_verified(world.staff[role]))


def _use(user, code: str, *, id_number: str = ID_C):  # type: ignore[no-untyped-def]
    return actions.do_link_dwelling_with_letter(
        user, code=code, real_name="赵六", id_number=id_number, relation="family", acting_user=user
    )


def _unit_a1(world: World) -> Area:
    return world.tree.dwelling_a1.parent


def _chain_values(area: Area) -> list[str]:
    ids = [int(part) for part in area.path.strip("/").split("/")]
    kinds = dict(Area.objects.filter(pk__in=ids).values_list("pk", "kind"))
    return [str(area_id) for area_id in ids if kinds[area_id] in (3, 5, 6, 7, 8)]


# --- issuing ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_issue_for_a_unit_prints_one_letter_per_dwelling(world: World) -> None:
    unit = _unit_a1(world)
    testing.create_area(AreaKind.DWELLING, "102", "102室", unit)
    closed = testing.create_area(AreaKind.DWELLING, "103", "103室", unit)
    Area.objects.filter(pk=closed.pk).update(is_active=False)
    client = testing.client_for(world.staff["community_worker_a"])
    response = client.post(reverse("residents:letters"), {"at": _chain_values(unit), "issue": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    codes = ["".join(match) for match in CODE_PATTERN.findall(html)]
    assert len(codes) == 2
    assert "accounts/letters.css" in html
    letters = VerificationLetter.objects.filter(dwelling__parent=unit)
    assert letters.count() == 2
    assert {letter.code_hash for letter in letters} == {blind_index(code, purpose="letter_code") for code in codes}
    for letter in letters:
        assert letter.expires_at - letter.issued_at == datetime.timedelta(days=30)
        assert letter.issued_by_id == world.staff["community_worker_a"].pk
    event = AuditEvent.objects.get(event_type="resident.letters_issued")
    assert event.detail == {"count": 2, "expires_days": 30}
    assert event.area_id == unit.pk
    for code in codes:
        assert code not in str(event.detail)
    # shown once: the letters page afterwards lists them without codes
    later = client.get(reverse("residents:letters")).content.decode()
    assert later.count("102室") == 1
    for code in codes:
        assert code not in later and f"{code[:5]}-{code[5:]}" not in later


@pytest.mark.django_db
def test_issue_for_a_building_covers_all_its_units(world: World) -> None:
    building = _unit_a1(world).parent
    second_unit = testing.create_area(AreaKind.UNIT, "2", "2单元", building)
    testing.create_area(AreaKind.DWELLING, "201", "201室", second_unit)
    issued = _issue(world, building)
    assert sorted(item.dwelling.name for item in issued) == ["101室", "201室"]
    assert all(len(item.code) == 10 and set(item.code) <= set(actions.LETTER_CODE_ALPHABET) for item in issued)


@pytest.mark.django_db
def test_issue_refuses_other_area_kinds(world: World) -> None:
    with pytest.raises(ValidationFailed):
        _issue(world, world.tree.grid_a1)
    assert VerificationLetter.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "grid", "allowed"),
    [
        ("community_worker_a", "a1", True),
        ("community_worker_a", "b1", False),
        ("community_leader_b", "b1", True),
        ("community_leader_b", "a1", False),
        ("street_officer", "a1", True),
        ("street_officer", "b1", True),
        ("grid_worker_a1", "a1", False),
        ("department_officer", "a1", False),
        ("system_admin", "a1", False),
        ("audit_admin", "a1", False),
    ],
)
def test_issue_matrix(world: World, role: str, grid: str, allowed: bool) -> None:
    unit = {"a1": world.tree.dwelling_a1, "b1": world.tree.dwelling_b1}[grid].parent
    client = testing.client_for(world.staff[role])
    response = client.post(reverse("residents:letters"), {"at": _chain_values(unit), "issue": "1"})
    if allowed:
        assert response.status_code == 200
        assert len(CODE_PATTERN.findall(response.content.decode())) == 1
        assert VerificationLetter.objects.count() == 1
    else:
        assert response.status_code in (404, 422)
        assert not CODE_PATTERN.findall(response.content.decode())
        assert VerificationLetter.objects.count() == 0
        assert AuditEvent.objects.filter(event_type="resident.letters_issued").count() == 0
        with pytest.raises(PermissionRefused):
            _issue(world, unit, role)
        assert VerificationLetter.objects.count() == 0


@pytest.mark.django_db
def test_letter_chooser_is_limited_to_the_issuers_scope(world: World) -> None:
    client = testing.client_for(world.staff["community_worker_a"])
    page = client.get(reverse("residents:letters")).content.decode()
    assert f'value="{world.tree.community_a.pk}"' in page
    assert f'value="{world.tree.community_b.pk}"' not in page
    step = reverse("residents:letter_area_step")
    assert client.get(step, {"at": world.tree.community_b.pk, "index": "0"}).status_code == 404
    fragment = client.get(step, {"at": _unit_a1(world).pk, "index": "3"}).content.decode()
    assert f'value="{world.tree.dwelling_a1.pk}"' in fragment
    assert fragment.count("chosen-place") == 1  # the count of letters to be printed


@pytest.mark.django_db
def test_grid_worker_has_no_letters_page(world: World) -> None:
    client = testing.client_for(world.staff["grid_worker_a1"])
    assert client.get(reverse("residents:letters")).status_code == 404
    assert client.get(reverse("residents:letter_area_step"), {"at": world.tree.community_a.pk}).status_code == 404


# --- using a code -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_valid_code_verifies_at_once_and_uses_the_letter(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    resident = testing.make_resident(name="")
    link = _use(resident, f"{code[:5].lower()}-{code[5:]}")
    assert (link.status, link.method, link.dwelling_id, link.relation) == (
        "verified",
        "letter",
        world.tree.dwelling_a1.pk,
        "family",
    )
    letter = VerificationLetter.objects.get()
    assert letter.used_by_id == resident.pk
    assert letter.used_at is not None
    resident.refresh_from_db()
    assert (resident.display_name, resident.id_number) == ("赵六", ID_C)
    event = AuditEvent.objects.get(event_type="resident.link_verified", actor=resident)
    assert event.detail["method"] == "letter"
    assert code not in str(event.detail)


@pytest.mark.django_db
def test_code_upgrades_the_residents_own_pending_link(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    link = _use(world.resident_a, code, id_number=ID_A)
    assert link.pk == world.link_a1.pk
    assert DwellingLink.objects.filter(user=world.resident_a).count() == 1
    world.link_a1.refresh_from_db()
    assert (world.link_a1.status, world.link_a1.method) == ("verified", "letter")


@pytest.mark.django_db
def test_reused_code_fails(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    _use(testing.make_resident(), code)
    second = testing.make_resident()
    with pytest.raises(ValidationFailed) as caught:
        _use(second, code)
    assert caught.value.code == "letter_code_invalid"
    assert DwellingLink.objects.filter(user=second).count() == 0
    assert (
        AuditEvent.objects.filter(event_type="resident.letter_code_failed", actor=second, detail__reason="used").count()
        == 1
    )


@pytest.mark.django_db
def test_expired_code_fails(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    resident = testing.make_resident()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=30, minutes=1)):
        with pytest.raises(ValidationFailed):
            _use(resident, code)
    assert DwellingLink.objects.filter(user=resident).count() == 0
    assert VerificationLetter.objects.get().used_at is None


@pytest.mark.django_db
def test_code_for_an_inactive_dwelling_fails(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    Area.objects.filter(pk=world.tree.dwelling_a1.pk).update(is_active=False)
    resident = testing.make_resident()
    with pytest.raises(ValidationFailed):
        _use(resident, code)
    assert VerificationLetter.objects.get().used_at is None


@pytest.mark.django_db
def test_wrong_code_fails_and_guessing_is_rate_limited(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    wrong = "".join("2" if char != "2" else "3" for char in code)
    resident = testing.make_resident()
    for _attempt in range(actions.LETTER_ATTEMPTS_PER_USER):
        with pytest.raises(ValidationFailed):
            _use(resident, wrong)
    with pytest.raises(RateLimited):
        _use(resident, code)  # even the right code is refused once the limit is reached
    assert VerificationLetter.objects.get().used_at is None
    assert DwellingLink.objects.filter(user=resident).count() == 0
    failures = AuditEvent.objects.filter(event_type="resident.letter_code_failed", actor=resident)
    assert failures.filter(outcome="failure", detail__reason="wrong_code").count() == actions.LETTER_ATTEMPTS_PER_USER
    assert failures.filter(outcome="denied").count() == 1
    # another resident is not affected by this account's limit
    assert _use(testing.make_resident(), code).status == "verified"


@pytest.mark.django_db
def test_rate_limit_window_passes(world: World) -> None:
    resident = testing.make_resident()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _attempt in range(actions.LETTER_ATTEMPTS_PER_USER):
            with pytest.raises(ValidationFailed):
                _use(resident, "2222233333")
        with pytest.raises(RateLimited):
            _use(resident, "2222233333")
        traveller.move_to(start + datetime.timedelta(hours=1, minutes=1))
        code = _issue(world, _unit_a1(world))[0].code
        assert _use(resident, code).status == "verified"


@pytest.mark.django_db
def test_concurrent_double_use_has_one_winner(world: World) -> None:
    """Two residents submit the same code; the second transaction finds the letter used (the row
    lock serialises them on PostgreSQL, the conditional update on every database)."""
    code = _issue(world, _unit_a1(world))[0].code
    first, second = testing.make_resident(), testing.make_resident()
    outcomes = []
    for resident in (first, second):
        try:
            outcomes.append(_use(resident, code).status)
        except ValidationFailed as error:
            outcomes.append(error.code)
    assert outcomes == ["verified", "letter_code_invalid"]
    assert DwellingLink.objects.filter(dwelling=world.tree.dwelling_a1, method="letter").count() == 1
    assert VerificationLetter.objects.get().used_by_id == first.pk


@pytest.mark.django_db
def test_claim_lost_between_check_and_update_fails_cleanly(world: World) -> None:
    """Simulate the loser of a race: the letter is used by someone else right after it was read."""
    from unittest import mock

    code = _issue(world, _unit_a1(world))[0].code
    resident = testing.make_resident()
    real_filter = VerificationLetter.objects.filter

    def filter_then_steal(*args, **kwargs):  # type: ignore[no-untyped-def]
        if "used_at__isnull" in kwargs:
            VerificationLetter.objects.all().update(used_at=timezone.now())
        return real_filter(*args, **kwargs)

    with mock.patch.object(VerificationLetter.objects, "filter", side_effect=filter_then_steal):
        with pytest.raises(ValidationFailed):
            _use(resident, code)
    assert DwellingLink.objects.filter(user=resident).count() == 0


@pytest.mark.django_db
def test_already_linked_home_keeps_the_letter_unused(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    other = _issue(world, _unit_a1(world))[0].code
    resident = testing.make_resident()
    _use(resident, code)
    with pytest.raises(Conflict):
        _use(resident, other)
    assert VerificationLetter.objects.filter(used_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_letter_code_through_the_link_page(world: World) -> None:
    code = _issue(world, _unit_a1(world))[0].code
    resident = testing.make_resident()
    client = testing.client_for(resident)
    post = {
        "form": "letter",
        "code": code,
        "real_name": "赵六",
        "id_number": ID_C,
        "relation": "owner",
    }
    response = client.post(reverse("residents:link_dwelling"), post)
    assert response.status_code == 302
    assert DwellingLink.objects.get(user=resident).status == "verified"
    again = client.post(reverse("residents:link_dwelling"), post)
    assert again.status_code == 422
    code_field = re.search(r'<label for="id_code">.*?</div>', again.content.decode(), re.S)
    assert code_field is not None
    assert "核验码错误、已使用或已过期。" in code_field.group(0)  # next to the field
    badly_formed = dict(post, code="O0I1L")
    assert client.post(reverse("residents:link_dwelling"), badly_formed).status_code == 422


@pytest.mark.django_db
def test_rate_limited_code_through_the_link_page_answers_429(world: World) -> None:
    resident = testing.make_resident()
    client = testing.client_for(resident)
    post = {
        "form": "letter",
        "code": "2222233333",
        "real_name": "赵六",
        "id_number": ID_C,
        "relation": "owner",
    }
    statuses = [
        client.post(reverse("residents:link_dwelling"), post).status_code
        for _attempt in range(actions.LETTER_ATTEMPTS_PER_USER + 1)
    ]
    assert statuses == [422] * actions.LETTER_ATTEMPTS_PER_USER + [429]


def test_codes_are_random_and_use_the_unambiguous_alphabet() -> None:
    codes = {actions.new_letter_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(not set(code) & set("01OIL") for code in codes)
    assert actions.normalise_letter_code(" abcde-fghjk ") == "ABCDEFGHJK"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks across connections: PostgreSQL only")
def test_truly_concurrent_double_use_on_postgresql(tree: testing.Tree, fast_passwords: None) -> None:
    """Two threads, two database connections, the same code at the same moment: one winner."""
    issuer = _verified(testing.make_staff("community_worker", tree.community_a))
    code = actions.do_issue_letters(tree.dwelling_a1.parent, acting_user=issuer)[0].code
    residents = [testing.make_resident(), testing.make_resident()]
    barrier = threading.Barrier(len(residents))
    outcomes: list[str] = []

    def use(resident: object) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(_use(resident, code).status)
        except ValidationFailed as error:
            outcomes.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=use, args=(resident,)) for resident in residents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["letter_code_invalid", "verified"]
    assert DwellingLink.objects.filter(dwelling=tree.dwelling_a1, method="letter").count() == 1
    assert VerificationLetter.objects.get().used_by_id in {resident.pk for resident in residents}
