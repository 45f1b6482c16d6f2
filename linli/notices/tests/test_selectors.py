"""Selectors of notices: what staff, residents and anonymous visitors see, and 404 outside scope."""

from __future__ import annotations

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from linli.notices import actions, selectors
from linli.notices.tests.conftest import World, publish, verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def notices(world: World) -> dict[str, object]:
    return {
        "street": publish(world.tree.street, world.street_officer, title="街道"),
        "community_a": publish(world.tree.community_a, world.community_worker_a, title="社区A"),
        "grid_a1": publish(world.tree.grid_a1, world.grid_worker_a1, title="网格A1"),
        "grid_b1": publish(world.tree.grid_b1, world.grid_worker_b1, title="网格B1"),
        "scheduled_a1": actions.do_schedule_notice(
            world.tree.grid_a1,
            title="定时A1",
            body="b",
            publish_at=timezone.now() + datetime.timedelta(days=1),
            acting_user=verified(world.grid_worker_a1),
        ),
    }


def titles(queryset) -> set[str]:  # type: ignore[no-untyped-def]
    return {notice.title for notice in queryset}


def test_staff_see_notices_in_and_above_their_area(world: World, notices: dict[str, object]) -> None:
    assert titles(selectors.staff_notices_for(verified(world.grid_worker_a1))) == {"街道", "社区A", "网格A1", "定时A1"}
    assert titles(selectors.staff_notices_for(verified(world.grid_worker_b1))) == {"街道", "网格B1"}
    assert titles(selectors.staff_notices_for(verified(world.street_officer))) == {
        "街道", "社区A", "网格A1", "网格B1", "定时A1",
    }  # fmt: skip
    assert titles(selectors.staff_notices_for(verified(world.department_officer))) == set()
    assert titles(selectors.staff_notices_for(verified(world.grid_worker_a1), status="scheduled")) == {"定时A1"}


def test_residents_see_the_published_notices_of_their_homes(world: World, notices: dict[str, object]) -> None:
    assert titles(selectors.notices_for_resident(world.a1)) == {"街道", "社区A", "网格A1"}
    assert titles(selectors.notices_for_resident(world.a2)) == {"街道", "社区A"}
    assert titles(selectors.notices_for_resident(world.b1)) == {"街道", "网格B1"}
    assert titles(selectors.notices_for_resident(world.pending)) == set()


def test_boards_show_the_community_and_the_street(world: World, notices: dict[str, object]) -> None:
    assert titles(selectors.board_notices(world.tree.community_a)) == {"街道", "社区A", "网格A1"}
    assert titles(selectors.board_notices(world.tree.community_b)) == {"街道", "网格B1"}


def test_get_notice_for_answers_404_outside_scope(world: World, notices: dict[str, object]) -> None:
    grid_b1 = notices["grid_b1"]
    assert selectors.get_notice_for(verified(world.grid_worker_b1), grid_b1.pk).pk == grid_b1.pk  # type: ignore[attr-defined]
    for actor in (verified(world.grid_worker_a1), verified(world.department_officer), world.a1, world.pending):
        with pytest.raises(Http404):
            selectors.get_notice_for(actor, grid_b1.pk)  # type: ignore[attr-defined]
    with pytest.raises(Http404):
        selectors.get_notice_for(world.a1, notices["scheduled_a1"].pk)  # type: ignore[attr-defined]
    street = notices["street"]
    with pytest.raises(Http404):
        selectors.get_managed_notice_for(verified(world.grid_worker_a1), street.pk)  # type: ignore[attr-defined]
    assert selectors.get_managed_notice_for(verified(world.street_officer), street.pk).pk == street.pk  # type: ignore[attr-defined]


def test_target_areas_are_the_actors_publishing_remit(world: World) -> None:
    names = [area.name for area in selectors.target_areas_for(verified(world.community_worker_a))]
    assert names == ["花家地社区", "花家地第一网格", "花家地第一网格小区", "花家地第二网格", "花家地第二网格小区"]
    with pytest.raises(Http404):
        selectors.get_target_area_for(verified(world.community_worker_a), world.tree.grid_b1.pk)
    with pytest.raises(Http404):
        selectors.get_target_area_for(verified(world.community_worker_a), world.tree.dwelling_a1.pk)
    assert selectors.get_target_area_for(verified(world.community_worker_a), world.building_a1.pk) == world.building_a1
