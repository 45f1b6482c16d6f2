"""The workbench task provider for pending home links: scope, due dates, urgency, the cap of 20
and a single query."""

from __future__ import annotations

import datetime

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from linli import testing
from linli.accounts.manifest import manifest
from linli.accounts.models import DwellingLink
from linli.accounts.scoping import grants
from linli.accounts.tests.test_residents_fixtures import (  # noqa: F401 - fixtures
    World,
    clear_rate_limits_fixture,
    fast_passwords_fixture,
    world_fixture,
)
from linli.accounts.workbench import pending_dwelling_links
from linli.areas.models import AreaKind

WORKBENCH_QUERIES = 7


def _request_for(user):  # type: ignore[no-untyped-def]
    user.is_verified = lambda: True
    request = RequestFactory().get("/workbench/")
    request.user = user
    return request


def test_provider_is_registered() -> None:
    assert pending_dwelling_links in manifest.workbench_tasks


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("grid_worker_a1", {"a1"}),
        ("community_worker_a", {"a1"}),
        ("community_leader_b", {"b1"}),
        ("street_officer", {"a1", "b1"}),
        ("department_officer", set()),
        ("system_admin", set()),
        ("audit_admin", set()),
        ("resident", set()),
    ],
)
def test_tasks_follow_the_actors_scope(world: World, role: str, expected: set[str]) -> None:
    tasks = pending_dwelling_links(_request_for(world.staff[role]))
    urls = {task.url for task in tasks}
    assert urls == {reverse("residents:detail", kwargs={"link_id": world.link(key).pk}) for key in expected}


@pytest.mark.django_db
def test_task_shape_due_and_urgency(world: World) -> None:
    old = timezone.now() - datetime.timedelta(days=4)
    DwellingLink.objects.filter(pk=world.link_a1.pk).update(created_at=old)
    with translation.override("en"):
        tasks = pending_dwelling_links(_request_for(world.staff["street_officer"]))
    assert [task.url for task in tasks] == [
        reverse("residents:detail", kwargs={"link_id": world.link_a1.pk}),
        reverse("residents:detail", kwargs={"link_id": world.link_b1.pk}),
    ]
    overdue, fresh = tasks
    assert overdue.urgent is True
    assert overdue.due == old + datetime.timedelta(days=3)
    assert fresh.urgent is False
    # Where (estate, building, unit, room), who and as what, why it is due, what to do next.
    assert overdue.title == "花家地第一网格小区 1号楼 1单元 101室"
    assert overdue.detail == "张** asks to be linked to this home as owner."
    assert fresh.detail.startswith("欧阳** asks to be linked to this home as ")
    asked = f"{timezone.localtime(old):%m-%d %H:%M}"
    assert overdue.reason == f"Asked on {asked}; the 3 days for a decision have passed."
    assert fresh.reason.endswith("residents should have a decision within 3 days.")
    assert overdue.next_step == "Check the name, the relation and any evidence, then approve or reject."
    assert overdue.action == fresh.action == "Review"


@pytest.mark.django_db
def test_decided_links_are_not_tasks(world: World) -> None:
    DwellingLink.objects.filter(pk=world.link_a1.pk).update(status="verified")
    tasks = pending_dwelling_links(_request_for(world.staff["street_officer"]))
    assert [task.url for task in tasks] == [reverse("residents:detail", kwargs={"link_id": world.link_b1.pk})]


@pytest.mark.django_db
def test_at_most_twenty_tasks_in_one_query(world: World, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    unit = world.tree.dwelling_a1.parent
    for number in range(25):
        dwelling = testing.create_area(AreaKind.DWELLING, f"8{number:02d}", f"{800 + number}室", unit)
        resident = testing.make_resident(f"136{number:08d}")
        DwellingLink.objects.create(user=resident, dwelling=dwelling, area_path=dwelling.path)
    request = _request_for(world.staff["community_worker_a"])
    grants(request.user)  # the request's grants are computed once per request by the shell
    with django_assert_num_queries(1):
        tasks = pending_dwelling_links(request)
    assert len(tasks) == 20


@pytest.mark.django_db
def test_workbench_page_lists_the_tasks(world: World) -> None:
    html = testing.client_for(world.staff["grid_worker_a1"]).get(reverse("web:workbench")).content.decode()
    assert reverse("residents:detail", kwargs={"link_id": world.link_a1.pk}) in html
    assert reverse("residents:detail", kwargs={"link_id": world.link_b1.pk}) not in html
    assert "张**" in html
    assert "张三丰" not in html
    assert "花家地第一网格小区 1号楼 1单元 101室" in html


@pytest.mark.django_db
def test_workbench_query_count_is_pinned_and_does_not_grow(  # type: ignore[no-untyped-def]
    world: World, django_assert_num_queries
) -> None:
    """Session with identity (one query), grants, the pending links, notices' two providers, role
    area names, badge."""
    client = testing.client_for(world.staff["street_officer"])
    for _ in range(2):  # warm: the privilege fingerprint is stored on first use, then the session is known
        client.get(reverse("web:workbench"))
    with django_assert_num_queries(WORKBENCH_QUERIES):
        first = client.get(reverse("web:workbench"))
    unit = world.tree.dwelling_a1.parent
    for number in range(15):
        dwelling = testing.create_area(AreaKind.DWELLING, f"8{number:02d}", f"{800 + number}室", unit)
        resident = testing.make_resident(f"136{number:08d}")
        DwellingLink.objects.create(user=resident, dwelling=dwelling, area_path=dwelling.path)
    with django_assert_num_queries(WORKBENCH_QUERIES):
        second = client.get(reverse("web:workbench"))
    assert first.status_code == second.status_code == 200
    assert second.content.decode().count('class="task') > first.content.decode().count('class="task')


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["system_admin", "department_officer", "audit_admin"])
def test_staff_without_tasks_see_their_roles_and_tools(world: World, role: str) -> None:
    with translation.override("en"):
        response = testing.client_for(world.staff[role]).get(reverse("web:workbench"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="task' not in html
    assert "What you can do here" in html
    assert 'class="tool-list"' in html
    tools = html.split('class="tool-list"', 1)[1].split("</ul>", 1)[0]
    assert tools.count("<li>") >= 1  # at least one tool (their module's pages, the inbox)
    assert 'class="role-chip"' in html
