"""Workbench tasks of notices: scheduled notices in the publishing remit, and notices a day or more
old that fewer than half of the actor's residents have read."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from linli.notices import actions
from linli.notices.tests.conftest import World, publish, verified

pytestmark = pytest.mark.django_db


def tasks(world: World, user) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    page = world.client(user).get("/workbench/")
    assert page.status_code == 200
    found = [row.task for row in page.context["rows"]]
    return [(task.kind, task.title) for task in found if "otice" in str(task.kind)]


def test_scheduled_and_little_read_notices_become_tasks(world: World) -> None:
    start = timezone.now()
    with time_machine.travel(start - datetime.timedelta(days=2), tick=False):
        little_read = publish(world.tree.community_a, world.community_worker_a, title="少有人读")
        well_read = publish(world.tree.grid_a1, world.grid_worker_a1, title="大家都读了")
    for resident in (world.a1, world.a1_quiet):
        actions.do_mark_notice_read(well_read, acting_user=resident)
    actions.do_schedule_notice(
        world.tree.grid_a1, title="明天发布", body="b", publish_at=start + datetime.timedelta(days=1),
        acting_user=verified(world.grid_worker_a1),
    )  # fmt: skip

    assert tasks(world, world.community_worker_a) == [
        ("Scheduled notice", "明天发布"),
        ("Notice read by few", "少有人读"),
    ]
    # Grid A1's residents read the other notice, not this one: low in grid A1 too.
    assert ("Notice read by few", "少有人读") in tasks(world, world.grid_worker_a1)
    assert tasks(world, world.grid_worker_b1) == []
    actions.do_mark_notice_read(little_read, acting_user=world.a1)
    actions.do_mark_notice_read(little_read, acting_user=world.a2)
    assert ("Notice read by few", "少有人读") not in tasks(world, world.community_worker_a)  # 2 of 3 read
