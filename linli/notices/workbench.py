"""Workbench task providers of community notices: scheduled notices about to go out, and notices
that few of the actor's residents have read a day after publication (remind them).

Both run on every workbench load, so each is one hand-written query of the displayed columns
(``selectors.scheduled_for_workbench``, ``selectors.low_read_for_workbench``), skipped without a
query for roles that cannot publish or remind; the detail URL is reversed and every sentence
translated once per load, not once per card (docs/modules.md, "Lean pages")."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.registry import WorkbenchTask
from linli.core.urls import id_url
from linli.notices.selectors import low_read_for_workbench, scheduled_for_workbench

LOW_READ_PERCENT = 50
LOW_READ_AFTER = datetime.timedelta(hours=24)
LOW_READ_WITHIN = datetime.timedelta(days=14)
MAX_TASKS = 10


def _detail_url() -> Callable[[int], str]:
    return id_url("notices:detail", "notice_id")


def scheduled_notices(request: HttpRequest) -> list[WorkbenchTask]:
    """Scheduled notices in the actor's publishing remit, due at their publication time (one query)."""
    actor = request.user
    if not actor.has_perm("notices.publish_notice"):
        return []
    rows = scheduled_for_workbench(actor, limit=MAX_TASKS)
    if not rows:
        return []
    detail_url = _detail_url()
    kind = _("Scheduled notice")
    reason = _("Goes out automatically at the set time.")
    next_step = _("Check the text before it goes out; you can still correct or cancel it.")
    action = _("Open the notice")
    return [
        WorkbenchTask(
            title=row.title,
            url=detail_url(row.id),
            kind=kind,
            due=row.when,
            urgent=False,
            where=row.area_name,
            reason=reason,
            next_step=next_step,
            action=action,
        )
        for row in rows
    ]


def notices_with_low_read_rates(request: HttpRequest) -> list[WorkbenchTask]:
    """Notices published one to fourteen days ago that fewer than half of the actor's recipients have
    read (one query)."""
    actor = request.user
    if not actor.has_perm("notices.remind_unread"):
        return []
    now = timezone.now()
    rows = low_read_for_workbench(actor, since=now - LOW_READ_WITHIN, until=now - LOW_READ_AFTER)
    tasks: list[WorkbenchTask] = []
    if not rows:
        return tasks
    detail_url = _detail_url()
    kind = _("Notice read by few")
    reason = _("%(read)s of %(total)s residents in your area have read it (%(percent)s%%).")
    next_step = _("Remind those who have not read it, or visit them.")
    action = _("See who has read it")
    for row in rows:
        count = row.count
        if count is None or count.total == 0 or count.percent >= LOW_READ_PERCENT:
            continue
        tasks.append(
            WorkbenchTask(
                title=row.title,
                url=detail_url(row.id),
                kind=kind,
                due=None,
                urgent=row.urgency == "urgent",
                where=row.area_name,
                reason=reason % {"read": count.read, "total": count.total, "percent": count.percent},
                next_step=next_step,
                action=action,
            )
        )
        if len(tasks) >= MAX_TASKS:
            break
    return tasks
