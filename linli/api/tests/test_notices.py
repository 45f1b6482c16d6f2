"""Notices through the API: residents' list and read receipt, staff list, stats and publishing,
scoping (404 outside the caller's area) and mass-assignment refusal."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from linli import testing
from linli.accounts.models import DwellingLink, Role
from linli.notices import actions
from linli.notices.models import Notice, NoticeReceipt

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(tree, make_staff, make_resident):  # type: ignore[no-untyped-def]
    resident_a1 = make_resident("13900000011")
    resident_b1 = make_resident("13900000012")
    for user, dwelling in ((resident_a1, tree.dwelling_a1), (resident_b1, tree.dwelling_b1)):
        DwellingLink.objects.create(user=user, dwelling=dwelling, area_path=dwelling.path, status="verified")
    return {
        "a1": resident_a1,
        "b1": resident_b1,
        "gw_a1": make_staff(Role.GRID_WORKER, tree.grid_a1),
        "gw_b1": make_staff(Role.GRID_WORKER, tree.grid_b1),
    }


def _publish(client, area, **extra):  # type: ignore[no-untyped-def]
    body = {"area_id": area.pk, "title": "停水通知", "body": "周六停水。", **extra}
    return client.post("/api/v1/notices", body, content_type="application/json")


def test_staff_publish_and_residents_read(tree, people) -> None:  # type: ignore[no-untyped-def]
    staff = testing.client_for(people["gw_a1"])
    response = _publish(staff, tree.grid_a1, urgency="important")
    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["title"], created["urgency"], created["status"], created["area_id"]) == (
        "停水通知", "important", "published", tree.grid_a1.pk,
    )  # fmt: skip

    resident = testing.client_for(people["a1"])
    listing = resident.get("/api/v1/notices").json()
    assert (listing["count"], listing["items"][0]["id"], listing["items"][0]["read"]) == (1, created["id"], False)
    assert resident.get(f"/api/v1/notices/{created['id']}").json()["body"] == "周六停水。"
    assert resident.post(f"/api/v1/notices/{created['id']}/read").json() == {"recorded": True}
    assert resident.post(f"/api/v1/notices/{created['id']}/read").json() == {"recorded": False}
    assert resident.get("/api/v1/notices").json()["items"][0]["read"] is True

    stats = staff.get(f"/api/v1/notices/{created['id']}/stats").json()
    assert stats == {
        "recipients": 1,
        "read": 1,
        "grids": [{"grid_id": tree.grid_a1.pk, "grid_name": "花家地第一网格", "recipients": 1, "read": 1}],
    }

    other = testing.client_for(people["b1"])
    assert other.get("/api/v1/notices").json()["count"] == 0
    assert other.get(f"/api/v1/notices/{created['id']}").status_code == 404
    assert other.post(f"/api/v1/notices/{created['id']}/read").status_code == 404
    assert NoticeReceipt.objects.filter(user=people["b1"]).count() == 0


def test_out_of_scope_publishing_answers_404_and_changes_nothing(tree, people) -> None:  # type: ignore[no-untyped-def]
    staff = testing.client_for(people["gw_a1"])
    assert _publish(staff, tree.grid_b1).status_code == 404
    assert _publish(testing.client_for(people["a1"]), tree.grid_a1).status_code == 403
    refused = _publish(staff, tree.grid_a1, created_by=1)
    assert refused.status_code == 422
    assert Notice.objects.count() == 0


def test_scheduling_and_staff_scope(tree, people) -> None:  # type: ignore[no-untyped-def]
    staff = testing.client_for(people["gw_a1"])
    when = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    created = _publish(staff, tree.grid_a1, publish_at=when).json()
    assert created["status"] == "scheduled"
    assert staff.get("/api/v1/notices?status=scheduled").json()["count"] == 1
    other_staff = testing.client_for(people["gw_b1"])
    assert other_staff.get("/api/v1/notices").json()["count"] == 0
    assert other_staff.get(f"/api/v1/notices/{created['id']}").status_code == 404
    assert other_staff.get(f"/api/v1/notices/{created['id']}/stats").status_code == 404


def test_withdrawn_notice_body_is_hidden_from_residents(tree, people) -> None:  # type: ignore[no-untyped-def]
    gw = people["gw_a1"]
    gw.is_verified = lambda: True
    notice = actions.do_publish_notice(tree.grid_a1, title="t", body="错误内容", acting_user=gw)
    actions.do_withdraw_notice(notice, reason="内容有误", acting_user=gw)
    detail = testing.client_for(people["a1"]).get(f"/api/v1/notices/{notice.pk}").json()
    assert (detail["status"], detail["body"], detail["withdraw_reason"]) == ("withdrawn", "", "内容有误")


def test_publish_body_is_strict(tree, people) -> None:  # type: ignore[no-untyped-def]
    """Review of issue 5: the publish body is a StrictIn like every other request body: a number
    sent as text or a number for a text is 422, never coerced, and nothing is published."""
    staff = testing.client_for(people["gw_a1"])
    for body in (
        {"area_id": str(tree.grid_a1.pk), "title": "停水通知", "body": "周六停水。"},
        {"area_id": tree.grid_a1.pk, "title": 7, "body": "周六停水。"},
        {"area_id": tree.grid_a1.pk, "title": "停水通知", "body": "周六停水。", "publish_at": 1893456000},
        {"area_id": tree.grid_a1.pk, "title": "停水通知", "body": "周六停水。", "publish_at": "2030-01-01T08:00:00"},
        {"area_id": tree.grid_a1.pk, "title": "停水通知", "body": "周六停水。", "publish_at": "next monday"},
    ):
        response = staff.post("/api/v1/notices", body, content_type="application/json")
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid"
    assert Notice.objects.count() == 0
    when = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    assert _publish(staff, tree.grid_a1, publish_at=when).status_code == 201
