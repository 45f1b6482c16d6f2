"""The audit viewer and CSV export, for the audit administrator only (SECURITY.md B5): every
other account, the system and security administrators included, gets 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from linli.accounts.actions.login import is_recently_authenticated
from linli.accounts.decorators import rule_required
from linli.audit import actions, labels, selectors
from linli.audit.forms import EventFilterForm
from linli.audit.models import AuditEvent
from linli.core import spreadsheets

# The export's columns: translated headers; codes kept beside their labels for machine use.
CSV_COLUMNS = [
    gettext_lazy("ID"), gettext_lazy("Time (Beijing time, UTC+08:00)"), gettext_lazy("Actor ID"), gettext_lazy("Actor"), gettext_lazy("Roles"),
    gettext_lazy("Area ID"), gettext_lazy("Source IP"), gettext_lazy("Request ID"), gettext_lazy("Source"), gettext_lazy("Event"),
    gettext_lazy("Event code"), gettext_lazy("Object type"), gettext_lazy("Object type code"), gettext_lazy("Object ID"), gettext_lazy("Outcome"),
    gettext_lazy("Details"), gettext_lazy("Previous hash"), gettext_lazy("Hash"),
]  # fmt: skip


def _cursor(value: str | None) -> int | None:
    if value and value.isdigit() and len(value) < 19:
        return int(value)
    return None


@rule_required("audit.view_events")
@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    event_types, object_types = selectors.filter_choices_for(request.user)
    form = EventFilterForm(request.GET or None, event_types=event_types, object_types=object_types)
    filters = form.filters() if form.is_bound and form.is_valid() else selectors.EventFilters()
    if form.is_bound and not form.is_valid():
        page = selectors.EventPage(events=[], newer_cursor=None, older_cursor=None)
        status = 422
    else:
        page = selectors.event_page_for(
            request.user,
            filters,
            before=_cursor(request.GET.get("before")),
            after=_cursor(request.GET.get("after")),
        )
        status = 200
    query = form.query_items()
    rows = [
        {
            "event": event,
            "detail": _detail_pairs(event.detail),
            "event_label": labels.event_label(event.event_type),
            "object_label": labels.object_label(event.object_type),
            "roles": labels.role_labels(event.actor_role),
            "source": labels.source_label(event.source),
        }
        for event in page.events
    ]
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filter_query": urlencode(query),
            "filter_items": query,
        },
        status=status,
    )


def _detail_pairs(detail: object) -> list[tuple[str, str]]:
    if not isinstance(detail, dict):
        return [("", json.dumps(detail, ensure_ascii=False))]
    return [
        (str(key), value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True))
        for key, value in sorted(detail.items())
    ]


def _row(event: AuditEvent) -> list[object]:
    detail = json.dumps(event.detail, ensure_ascii=False, sort_keys=True)
    values: list[object] = [
        event.id, timezone.localtime(event.created_at).isoformat(sep=" "), event.actor_id, event.actor_label,
        labels.role_labels(event.actor_role), event.area_id, event.source_ip, event.request_id,
        labels.source_label(event.source), labels.event_label(event.event_type), event.event_type,
        labels.object_label(event.object_type), event.object_type, event.object_id, event.get_outcome_display(),
        detail, event.previous_hash, event.hash,
    ]  # fmt: skip
    return values


def _csv_lines(export: actions.EventExport, language: str) -> Iterator[str]:
    """Streamed after the view returns: the request's language is set again for the labels.
    Written by the platform's one exporter, which neutralises formulas."""
    with translation.override(language):
        yield from spreadsheets.stream_csv((_row(event) for event in export.events()), CSV_COLUMNS)


@rule_required("audit.export_events")
@require_POST
def export_events(request: HttpRequest) -> HttpResponse:
    """CSV of the filtered events (newest first, at most ``MAX_EXPORT_ROWS``). A bulk export, so
    it needs a fresh re-authentication (SECURITY.md A7); it is audited as ``audit.exported``."""
    event_types, object_types = selectors.filter_choices_for(request.user)
    form = EventFilterForm(request.POST, event_types=event_types, object_types=object_types)
    list_url = reverse("audit:events")
    if not form.is_valid():
        messages.error(request, _("Check the filter before exporting."))
        return redirect(list_url)
    back = f"{list_url}?{urlencode(form.query_items())}" if form.query_items() else list_url
    if not is_recently_authenticated(request):
        messages.info(request, _("Confirm your identity, then export again."))
        return redirect(f"{reverse('accounts:reauthenticate')}?{urlencode({'next': back})}")
    export = actions.do_export_events(form.filters(), acting_user=request.user)
    language = translation.get_language() or settings.LANGUAGE_CODE
    response = StreamingHttpResponse(_csv_lines(export, language), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="audit-events-{stamp}.csv"'
    response["X-Linli-Export-Rows"] = str(len(export.ids))
    if export.truncated:
        response["X-Linli-Export-Truncated"] = "1"
    # Streamed, so a large export never sits in memory; the guards' type only knows HttpResponse.
    return cast(HttpResponse, response)
