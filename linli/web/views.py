"""Shell pages: home (resident or staff), workbench, health check, PWA files, offline page."""

from __future__ import annotations

from typing import NamedTuple

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from linli.accounts.decorators import public, rule_required
from linli.core import registry
from linli.core.jinja import render_rows


@public
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the database is writable: on SQLite a write transaction (BEGIN IMMEDIATE takes
    the write lock) is opened and rolled back; on PostgreSQL the server must not be a read-only
    standby."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    cursor.execute("SELECT pg_is_in_recovery()")
                    if cursor.fetchone()[0]:
                        raise RuntimeError("read-only standby")
                else:
                    cursor.execute("SELECT 1")
            transaction.set_rollback(True)
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@public
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "web/landing.html")
    if request.user.kind == "staff":
        return redirect("web:workbench")
    return redirect("web:resident_home")


@rule_required("accounts.use_resident_services")
@require_safe
def resident_home(request: HttpRequest) -> HttpResponse:
    """The resident home: the cards that the registered modules contribute, in their order."""
    cards = []
    for card in registry.home_cards():
        if card.rule and not request.user.has_perm(card.rule):
            continue
        context = card.context(request)
        if context is not None:
            cards.append({"name": card.name, "template": card.template, "context": context})
    return render(request, "web/resident_home.html", {"cards": cards})


class TaskRow(NamedTuple):
    task: registry.WorkbenchTask
    due_iso: str
    due_text: str


@rule_required("accounts.use_workbench")
@require_safe
def workbench(request: HttpRequest) -> HttpResponse:
    """The staff member's open tasks from every module, urgent and soonest due first, and the
    tools their roles give them (department officers and administrators often have no tasks; the
    page then says what they can do). Dates are formatted once here, not by template filters."""
    from django.utils import timezone

    from linli.accounts.models import Role
    from linli.accounts.scoping import grants
    from linli.accounts.selectors import role_area_names

    tasks: list[registry.WorkbenchTask] = []
    for module in registry.modules():
        for provider in module.workbench_tasks:
            tasks.extend(provider(request))
    tasks.sort(key=lambda task: (not task.urgent, task.due is None, task.due))
    local = timezone.get_current_timezone()
    rows = []
    for task in tasks:
        due = task.due.astimezone(local) if task.due is not None else None
        rows.append(TaskRow(task, due.isoformat() if due else "", f"{due:%Y-%m-%d %H:%M}" if due else ""))
    held = grants(request.user)
    names = role_area_names({grant.area_id for grant in held}) if held else {}
    roles = sorted(
        {(str(Role(grant.role).label), names.get(grant.area_id, "")) for grant in held if grant.role in Role.values}
    )
    labels = {"overdue": _("overdue"), "due": _("due"), "next_step": _("Next step:")}
    rows_html = render_rows("web/_task_rows.html", {"rows": rows, "labels": labels}) if rows else ""
    return render(request, "web/workbench.html", {"rows": rows, "rows_html": rows_html, "roles": roles})
