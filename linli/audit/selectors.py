"""Reading audit events, for the audit administrator only (separation of duties, SECURITY.md B5).

Lists use keyset pagination on ``id`` (newest first): no ``COUNT`` and no ``OFFSET``, so a page
costs the same at event 50 and at event 50 million."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404

from linli.audit.models import AuditEvent

PAGE_SIZE = 50
VIEW_RULE = "audit.view_events"


@dataclass(frozen=True)
class EventFilters:
    """What the audit administrator filters by. Times are aware datetimes: ``created_from``
    inclusive, ``created_before`` exclusive."""

    actor: str = ""
    event_type: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    created_from: datetime.datetime | None = None
    created_before: datetime.datetime | None = None


@dataclass(frozen=True)
class EventPage:
    """One page of events, newest first, with the cursors for the neighbouring pages."""

    events: list[AuditEvent]
    newer_cursor: int | None  # pass as ``after`` to get the page of newer events
    older_cursor: int | None  # pass as ``before`` to get the page of older events

    @property
    def is_newest(self) -> bool:
        return self.newer_cursor is None


def _require_viewer(actor: Any) -> None:
    if actor is None or not actor.has_perm(VIEW_RULE):
        raise Http404


def filtered_events(filters: EventFilters) -> QuerySet[AuditEvent]:
    """Unscoped: callers check the actor first (``events_for``, ``do_export_events``)."""
    events = AuditEvent.objects.all()
    if filters.actor:
        events = events.filter(actor_label=filters.actor)
    if filters.event_type:
        events = events.filter(event_type=filters.event_type)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.outcome:
        events = events.filter(outcome=filters.outcome)
    if filters.created_from is not None:
        events = events.filter(created_at__gte=filters.created_from)
    if filters.created_before is not None:
        events = events.filter(created_at__lt=filters.created_before)
    return events


def events_for(actor: Any, filters: EventFilters) -> QuerySet[AuditEvent]:
    _require_viewer(actor)
    return filtered_events(filters)


def event_page_for(
    actor: Any,
    filters: EventFilters,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """The page of events older than ``before`` or newer than ``after`` (or the newest page).
    At most two queries whatever the number of rows."""
    events = events_for(actor, filters)
    if after is not None:
        rows = list(events.filter(id__gt=after).order_by("id")[: size + 1])
        has_newer = len(rows) > size
        page = list(reversed(rows[:size]))
        has_older = bool(page) and events.filter(id__lt=page[-1].id).exists()
    else:
        if before is not None:
            events_before = events.filter(id__lt=before)
        else:
            events_before = events
        rows = list(events_before.order_by("-id")[: size + 1])
        has_older = len(rows) > size
        page = rows[:size]
        has_newer = before is not None and bool(page) and events.filter(id__gt=page[0].id).exists()
    return EventPage(
        events=page,
        newer_cursor=page[0].id if page and has_newer else None,
        older_cursor=page[-1].id if page and has_older else None,
    )


def _loose_index_scan(column: str) -> str:
    """Distinct values of ``column`` by a recursive query that jumps from one value to the next
    through the column's index, instead of a full DISTINCT over every row."""
    quoted = connection.ops.quote_name(AuditEvent._meta.db_table)
    # Table and column names come from the model, never from input.
    return (
        f"{column}_values(value) AS ("  # noqa: S608
        f" SELECT MIN({column}) FROM {quoted}"
        " UNION ALL"
        f" SELECT (SELECT MIN({column}) FROM {quoted} WHERE {column} > {column}_values.value)"
        f" FROM {column}_values WHERE {column}_values.value IS NOT NULL)"
    )


def filter_choices_for(actor: Any) -> tuple[list[str], list[str]]:
    """The distinct event types and object types, for the filter, in one query (two loose index
    scans: on ``event_type`` and on the ``(object_type, object_id)`` index)."""
    _require_viewer(actor)
    sql = (
        f"WITH RECURSIVE {_loose_index_scan('event_type')}, {_loose_index_scan('object_type')}"  # noqa: S608
        " SELECT 'e', value FROM event_type_values WHERE value IS NOT NULL"
        " UNION ALL SELECT 'o', value FROM object_type_values WHERE value IS NOT NULL AND value <> ''"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    event_types = sorted(value for kind, value in rows if kind == "e")
    object_types = sorted(value for kind, value in rows if kind == "o")
    return event_types, object_types


def event_types_for(actor: Any) -> list[str]:
    """Distinct event types (see ``filter_choices_for``)."""
    return filter_choices_for(actor)[0]
