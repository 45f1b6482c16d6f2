"""Audit selectors: only the audit administrator reads; keyset pages; distinct event types."""

from __future__ import annotations

import pytest
from django.http import Http404

from linli.accounts.models import Role
from linli.audit.actions import record_event
from linli.audit.models import AuditEvent
from linli.audit.selectors import EventFilters, event_page_for, event_types_for, events_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor(make_staff, tree):
    user = make_staff(Role.AUDIT_ADMIN, tree.district)
    user.is_verified = lambda: True
    return user


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.COMMUNITY_LEADER])
def test_everyone_but_the_audit_administrator_is_refused_with_404(make_staff, tree, role):
    user = make_staff(role, tree.street)
    user.is_verified = lambda: True
    for read in (lambda: events_for(user, EventFilters()), lambda: event_page_for(user, EventFilters()),
                 lambda: event_types_for(user)):  # fmt: skip
        with pytest.raises(Http404):
            read()
    with pytest.raises(Http404):
        events_for(None, EventFilters())


def test_an_audit_administrator_without_a_verified_second_factor_is_refused(make_staff, tree):
    user = make_staff(Role.AUDIT_ADMIN, tree.district)
    with pytest.raises(Http404):
        events_for(user, EventFilters())


def test_empty_page(auditor):
    page = event_page_for(auditor, EventFilters(event_type="none.yet"))
    assert (page.events, page.newer_cursor, page.older_cursor, page.is_newest) == ([], None, None, True)


@pytest.mark.parametrize(("count", "size", "older"), [(4, 5, False), (5, 5, False), (6, 5, True), (11, 10, True)])
def test_older_cursor_only_when_there_is_another_page(auditor, count, size, older):
    for number in range(count):
        record_event("test.paged", object_id=number)
    page = event_page_for(auditor, EventFilters(event_type="test.paged"), size=size)
    ids = list(AuditEvent.objects.filter(event_type="test.paged").order_by("-id").values_list("id", flat=True))
    assert [event.id for event in page.events] == ids[:size]
    assert page.older_cursor == (ids[size - 1] if older else None)
    assert page.newer_cursor is None


def test_distinct_event_types_are_sorted_and_complete(auditor):
    for event_type in ("z.last", "a.first", "m.middle", "a.first", "m.middle"):
        record_event(event_type)
    types = event_types_for(auditor)
    assert types == sorted(set(AuditEvent.objects.values_list("event_type", flat=True)))
    assert {"a.first", "m.middle", "z.last"} <= set(types)


def test_event_types_of_an_empty_log(auditor):
    from linli.audit.tests.helpers import drop_trigger, raw_delete

    drop_trigger("audit_event_no_delete")
    for event_id in AuditEvent.objects.values_list("id", flat=True):
        raw_delete(event_id)
    assert event_types_for(auditor) == []
