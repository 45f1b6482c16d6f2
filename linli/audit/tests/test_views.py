"""The audit viewer and export: for the audit administrator only (SECURITY.md B5), keyset
pagination with a pinned query count, filters, CSV export audited as ``audit.exported``."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role
from linli.audit.actions import record_event
from linli.audit.models import AuditEvent
from linli.testing import client_for

pytestmark = pytest.mark.django_db

EVENTS_URL = "/audit/"
EXPORT_URL = "/audit/export/"


@pytest.fixture
def auditor(make_staff, tree):
    return make_staff(Role.AUDIT_ADMIN, tree.district, username="auditor")


@pytest.fixture
def auditor_client(auditor):
    return client_for(auditor)


def make_events(count: int, event_type: str = "test.event", **kwargs):
    return [record_event(event_type, object_id=number, **kwargs) for number in range(count)]


def listed_ids(response) -> list[int]:
    return [row["event"].id for row in response.context["rows"]]


def test_url_names_resolve():
    assert reverse("audit:events") == EVENTS_URL
    assert reverse("audit:export") == EXPORT_URL


def test_the_audit_administrator_sees_the_newest_events_first(auditor_client):
    make_events(3)
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    response = auditor_client.get(EVENTS_URL)
    assert response.status_code == 200
    ids = listed_ids(response)
    assert ids[0] == newest
    assert ids == sorted(ids, reverse=True)
    assert len(ids) == AuditEvent.objects.count()
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    assert b"<h1>" in response.content


def test_pages_hold_fifty_events_and_move_by_keyset(auditor_client):
    make_events(120)
    all_ids = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True))

    first = auditor_client.get(EVENTS_URL)
    assert listed_ids(first) == all_ids[:50]
    page = first.context["page"]
    assert page.newer_cursor is None
    assert page.older_cursor == all_ids[49]
    assert f"before={all_ids[49]}" in first.content.decode()

    second = auditor_client.get(EVENTS_URL, {"before": page.older_cursor})
    assert listed_ids(second) == all_ids[50:100]
    assert second.context["page"].newer_cursor == all_ids[50]
    assert second.context["page"].older_cursor == all_ids[99]

    last = auditor_client.get(EVENTS_URL, {"before": all_ids[99]})
    assert listed_ids(last) == all_ids[100:]
    assert last.context["page"].older_cursor is None

    back = auditor_client.get(EVENTS_URL, {"after": second.context["page"].newer_cursor})
    assert listed_ids(back) == all_ids[:50]
    assert back.context["page"].newer_cursor is None
    assert back.context["page"].older_cursor == all_ids[49]


def test_a_malformed_cursor_shows_the_newest_page(auditor_client):
    make_events(3)
    response = auditor_client.get(EVENTS_URL, {"before": "1 OR 1=1"})
    assert response.status_code == 200
    assert len(listed_ids(response)) == AuditEvent.objects.count()


def _count_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(EVENTS_URL, params or {})
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_number_of_events(auditor_client, django_assert_max_num_queries):
    make_events(5)
    _count_queries(auditor_client)  # warm the session
    few = _count_queries(auditor_client)
    few_page_two = _count_queries(auditor_client, {"before": AuditEvent.objects.order_by("-id")[2].id})
    make_events(300, event_type="test.other")
    many = _count_queries(auditor_client)
    many_page_two = _count_queries(auditor_client, {"before": AuditEvent.objects.order_by("-id")[60].id})
    assert few == many
    assert few_page_two == many_page_two
    with django_assert_max_num_queries(many):
        auditor_client.get(EVENTS_URL, {"event_type": "test.other", "outcome": "success"})


def test_query_count_is_pinned(auditor_client, django_assert_num_queries):
    make_events(80)
    _count_queries(auditor_client)  # warm the session
    # session with user (one query), roles, filter choices (event and object types in one query),
    # events, inbox badge
    with django_assert_num_queries(5):
        auditor_client.get(EVENTS_URL)


def test_filter_by_actor_user_name(auditor_client, make_staff, tree):
    worker = make_staff(Role.GRID_WORKER, tree.grid_a1, username="worker1")
    record_event("test.by_worker", actor=worker)
    record_event("test.failed_login", actor_label="worker1", outcome="failure")
    record_event("test.by_other", actor_label="someone")
    response = auditor_client.get(EVENTS_URL, {"actor": "worker1"})
    events = [row["event"] for row in response.context["rows"]]
    assert [event.event_type for event in events] == ["test.failed_login", "test.by_worker"]


def test_filter_by_event_type_offers_the_distinct_types(auditor_client):
    make_events(2, event_type="b.second")
    make_events(3, event_type="a.first")
    response = auditor_client.get(EVENTS_URL, {"event_type": "b.second"})
    assert {row["event"].event_type for row in response.context["rows"]} == {"b.second"}
    assert len(response.context["rows"]) == 2
    groups = response.context["form"].fields["event_type"].choices
    assert groups[0] == ("", "全部事件类型")
    choices = [value for _group, options in groups[1:] for value, _label in options]
    assert set(choices) == set(AuditEvent.objects.values_list("event_type", flat=True).distinct())
    group_names = [group for group, _options in groups[1:]]
    assert group_names == sorted(group_names)
    for _group, options in groups[1:]:
        assert [label for _value, label in options] == sorted(label for _value, label in options)


def test_an_unknown_event_type_is_a_form_error(auditor_client):
    make_events(2)
    response = auditor_client.get(EVENTS_URL, {"event_type": "no.such"})
    assert response.status_code == 422
    assert response.context["rows"] == []


def test_filter_by_object_and_outcome(auditor_client, tree):
    record_event("test.thing", object_type="areas.area", object_id=tree.grid_a1.id)
    record_event("test.thing", object_type="areas.area", object_id=tree.grid_a1.id, outcome="denied")
    record_event("test.thing", object_type="areas.area", object_id=tree.grid_b1.id)
    response = auditor_client.get(EVENTS_URL, {"object_type": "areas.area", "object_id": tree.grid_a1.id})
    assert [(row["event"].event_type, row["event"].outcome) for row in response.context["rows"]] == [
        ("test.thing", "denied"),
        ("test.thing", "success"),
        ("area.created", "success"),  # when the tree fixture made the grid
    ]
    response = auditor_client.get(
        EVENTS_URL, {"object_type": "areas.area", "object_id": tree.grid_a1.id, "outcome": "denied"}
    )
    assert [row["event"].outcome for row in response.context["rows"]] == ["denied"]


def test_filter_by_date_range_in_local_days(auditor_client):
    local = timezone.get_current_timezone()
    for day in (1, 2, 3, 4):
        # 00:30 local time: the previous day in UTC, so whole local days are what is compared.
        with time_machine.travel(datetime.datetime(2026, 3, day, 0, 30, tzinfo=local), tick=False):
            record_event("test.dated", object_id=f"day{day}")
    response = auditor_client.get(EVENTS_URL, {"date_from": "2026-03-02", "date_to": "2026-03-03"})
    assert [row["event"].object_id for row in response.context["rows"]] == ["day3", "day2"]
    response = auditor_client.get(EVENTS_URL, {"date_from": "2026-03-04"})
    assert [row["event"].object_id for row in response.context["rows"] if row["event"].event_type == "test.dated"] == [
        "day4"
    ]
    response = auditor_client.get(EVENTS_URL, {"date_from": "2026-03-04", "date_to": "2026-03-01"})
    assert response.status_code == 422
    assert response.context["rows"] == []


def test_filters_are_kept_in_the_page_links(auditor_client):
    make_events(60, event_type="test.paged")
    response = auditor_client.get(EVENTS_URL, {"event_type": "test.paged"})
    older = response.context["page"].older_cursor
    assert f"event_type=test.paged&amp;before={older}" in response.content.decode()


def test_detail_is_shown(auditor_client):
    record_event("test.detail", detail={"field": "phone", "reason": "回访核实"})
    content = auditor_client.get(EVENTS_URL).content.decode()
    assert "field: phone" in content
    assert "reason: 回访核实" in content


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.STREET_OFFICER, Role.GRID_WORKER])
def test_other_staff_including_the_system_and_security_administrators_get_404(make_staff, tree, role):
    make_events(3)
    user = make_staff(role, tree.district if role != Role.GRID_WORKER else tree.grid_a1)
    client = client_for(user)
    before = list(AuditEvent.objects.values_list("id", "hash"))
    assert client.get(EVENTS_URL).status_code == 404
    assert client.get(EVENTS_URL, {"event_type": "test.event"}).status_code == 404
    assert client.post(EXPORT_URL).status_code == 404
    # Nothing was read out or exported; only the refusals were recorded.
    after = AuditEvent.objects.exclude(id__in=[event_id for event_id, _hash in before])
    assert list(after.values_list("event_type", "outcome", "actor_id")) == [
        ("authz.denied", "denied", user.id),
        ("authz.denied", "denied", user.id),
        ("authz.denied", "denied", user.id),
    ]
    assert not AuditEvent.objects.filter(event_type="audit.exported").exists()


def test_a_resident_gets_404(make_resident):
    client = client_for(make_resident())
    assert client.get(EVENTS_URL).status_code == 404
    assert client.post(EXPORT_URL).status_code == 404


def test_an_audit_administrator_without_the_second_factor_reaches_nothing(auditor):
    client = client_for(auditor, second_factor=False)
    response = client.get(EVENTS_URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:second_factor")
    assert client.post(EXPORT_URL).status_code == 302
    assert not AuditEvent.objects.filter(event_type="audit.exported").exists()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(EVENTS_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_navigation_shows_the_audit_log_to_the_audit_administrator_only(auditor_client, make_staff, tree):
    navigation = auditor_client.get(EVENTS_URL).context["navigation"]
    assert [entry["current"] for entry in navigation if entry["url"] == EVENTS_URL] == [True]
    system_admin = client_for(make_staff(Role.SYSTEM_ADMIN, tree.district))
    response = system_admin.get(reverse("accounts:account"))
    assert response.status_code == 200
    assert all(entry["url"] != EVENTS_URL for entry in response.context["navigation"])
    assert 'href="/audit/"' not in response.content.decode()


# --- export -------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_export_writes_the_filtered_events_and_is_audited(auditor_client, auditor):
    make_events(3, event_type="test.wanted")
    make_events(2, event_type="test.unwanted")
    wanted = list(AuditEvent.objects.filter(event_type="test.wanted").order_by("-id"))
    response = auditor_client.post(EXPORT_URL, {"event_type": "test.wanted"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-events-')
    rows = read_csv(response)
    assert rows[0][:3] == ["编号", "时间（北京时间，UTC+08:00）", "操作人编号"]
    assert [int(row[0]) for row in rows[1:]] == [event.id for event in wanted]
    assert rows[1][rows[0].index("哈希值")] == wanted[0].hash
    exported = AuditEvent.objects.get(event_type="audit.exported")
    assert exported.actor_id == auditor.id
    assert exported.detail == {"filters": {"event_type": "test.wanted"}, "rows": 3, "truncated": False}
    assert exported.compute_hash() == exported.hash


def test_export_cells_cannot_run_as_spreadsheet_formulas(auditor_client):
    record_event("test.formula", actor_label='=HYPERLINK("http://x")', detail={"note": "+1"})
    rows = read_csv(auditor_client.post(EXPORT_URL, {"event_type": "test.formula"}))
    header = rows[0]
    assert rows[1][header.index("操作人")] == '\'=HYPERLINK("http://x")'
    assert json.loads(rows[1][header.index("详情")]) == {"note": "+1"}


def test_export_caps_the_number_of_rows(auditor_client, monkeypatch):
    from linli.audit import actions

    monkeypatch.setattr(actions, "MAX_EXPORT_ROWS", 4)
    monkeypatch.setattr(actions.do_export_events, "__kwdefaults__", {"limit": 4})
    make_events(6, event_type="test.many")
    response = auditor_client.post(EXPORT_URL, {"event_type": "test.many"})
    assert len(read_csv(response)) == 1 + 4
    assert response["X-Linli-Export-Truncated"] == "1"
    assert AuditEvent.objects.get(event_type="audit.exported").detail["truncated"] is True


def test_export_needs_a_fresh_reauthentication(auditor_client):
    make_events(2)
    session = auditor_client.session
    session["linli_reauthenticated_at"] = (timezone.now() - datetime.timedelta(minutes=30)).timestamp()
    session.save()
    response = auditor_client.post(EXPORT_URL, {"event_type": "test.event"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauthenticate") + "?next=")
    assert "event_type%3Dtest.event" in response["Location"]
    assert not AuditEvent.objects.filter(event_type="audit.exported").exists()


def test_export_is_post_only(auditor_client):
    assert auditor_client.get(EXPORT_URL).status_code == 405
    assert not AuditEvent.objects.filter(event_type="audit.exported").exists()


def test_export_with_an_invalid_filter_exports_nothing(auditor_client):
    response = auditor_client.post(EXPORT_URL, {"date_from": "2026-13-45"})
    assert response.status_code == 302
    assert response["Location"] == EVENTS_URL
    assert not AuditEvent.objects.filter(event_type="audit.exported").exists()


def test_do_export_events_refuses_other_users(make_staff, tree):
    from linli.audit.actions import do_export_events
    from linli.audit.selectors import EventFilters
    from linli.core.errors import PermissionRefused

    system_admin = make_staff(Role.SYSTEM_ADMIN, tree.district)
    system_admin.is_verified = lambda: True
    with pytest.raises(PermissionRefused):
        do_export_events(EventFilters(), acting_user=system_admin)
    assert not AuditEvent.objects.filter(event_type="audit.exported").exists()
