"""The caller's own inbox: list, mark read, mark all read; others' notifications answer 404."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from linli import testing
from linli.accounts.models import Role
from linli.api.tests.conftest import bearer
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def _notify(user, count: int = 1, **fields) -> list[Notification]:
    return Notification.objects.bulk_create(
        [Notification(recipient=user, title=f"title {n}", body=f"body {n}", **fields) for n in range(count)]
    )


def test_list_shows_only_own_notifications(tree, make_resident, make_staff) -> None:
    resident = make_resident()
    other = make_staff(Role.GRID_WORKER, tree.grid_a1)
    mine = _notify(resident, 3)
    Notification.objects.filter(pk=mine[0].pk).update(read_at=timezone.now())
    _notify(other, 2)
    response = testing.client_for(resident).get("/api/v1/notifications")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["unread"], body["limit"], body["offset"]) == (3, 2, 20, 0)
    assert [item["id"] for item in body["items"]] == [n.pk for n in reversed(mine)]
    newest = Notification.objects.get(pk=mine[2].pk)
    assert body["items"][0] == {
        "id": newest.pk,
        "kind": "general",
        "title": "title 2",
        "body": "body 2",
        "url": "",
        "created_at": body["items"][0]["created_at"],
        "read_at": None,
    }
    created = newest.created_at
    assert datetime.datetime.fromisoformat(body["items"][0]["created_at"]) == created.replace(
        microsecond=created.microsecond // 1000 * 1000
    )  # milliseconds on the wire
    unread = testing.client_for(resident).get("/api/v1/notifications?unread=true").json()
    assert [item["id"] for item in unread["items"]] == [mine[2].pk, mine[1].pk]
    assert unread["count"] == 2


def test_mark_read(tree, make_resident) -> None:
    resident = make_resident()
    notification = _notify(resident)[0]
    client = testing.client_for(resident)
    response = client.post(f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 200
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert response.json()["id"] == notification.pk
    assert response.json()["read_at"] is not None
    first_read = notification.read_at
    assert client.post(f"/api/v1/notifications/{notification.pk}/read").status_code == 200
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_someone_elses_notification_is_404_and_unchanged(tree, make_resident, make_staff, mint_token) -> None:
    resident = make_resident()
    theirs = _notify(resident)[0]
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1)
    for client in (testing.client_for(worker), bearer(mint_token(worker, tree.grid_a1))):
        response = client.post(f"/api/v1/notifications/{theirs.pk}/read")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert client.post("/api/v1/notifications/read-all").json() == {"marked": 0}
        assert client.get("/api/v1/notifications").json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert testing.client_for(resident).post("/api/v1/notifications/999999/read").status_code == 404


def test_mark_all_read(tree, make_resident) -> None:
    resident = make_resident()
    other = make_resident()
    _notify(resident, 4)
    _notify(other, 2)
    client = testing.client_for(resident)
    response = client.post("/api/v1/notifications/read-all")
    assert response.status_code == 200
    assert response.json() == {"marked": 4}
    assert Notification.objects.filter(recipient=resident, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(recipient=other, read_at__isnull=True).count() == 2
    assert client.post("/api/v1/notifications/read-all").json() == {"marked": 0}
    assert client.get("/api/v1/notifications").json()["unread"] == 0


def test_list_query_count_is_constant(tree, make_resident, django_assert_max_num_queries) -> None:
    resident = make_resident()
    _notify(resident, 60)
    client = testing.client_for(resident)
    client.get("/api/v1/notifications?limit=1")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert client.get(url).status_code == 200
        return len(context.captured_queries)

    assert queries("/api/v1/notifications?limit=10") == queries("/api/v1/notifications?limit=50")
    # session 3, throttle counter 6 on the database cache, count 1, rows 1, unread 1
    with django_assert_max_num_queries(12):
        body = client.get("/api/v1/notifications?limit=50").json()
    assert (len(body["items"]), body["count"]) == (50, 60)
