"""Workbench task providers of community notices: scheduled notices about to go out, and notices
that few of the actor's residents have read a day after publication (remind them)."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.registry import WorkbenchTask
from linli.notices.selectors import read_counts_for, recent_published_for, scheduled_for_workbench

LOW_READ_PERCENT = 50
LOW_READ_AFTER = datetime.timedelta(hours=24)
LOW_READ_WITHIN = datetime.timedelta(days=14)
MAX_TASKS = 10


def scheduled_notices(request: HttpRequest) -> list[WorkbenchTask]:
    """Scheduled notices in the actor's publishing remit, due at their publication time (one query)."""
    actor = request.user
    if not actor.has_perm("notices.publish_notice"):
        return []
    tasks = []
    for notice in scheduled_for_workbench(actor, limit=MAX_TASKS):
        tasks.append(
            WorkbenchTask(
                title=notice.title,
                url=reverse("notices:detail", kwargs={"notice_id": notice.pk}),
                kind=_("Scheduled notice"),
                due=notice.publish_at,
                urgent=False,
                where=notice.area.name,
                reason=_("Goes out automatically at the set time."),
                next_step=_("Check the text before it goes out; you can still correct or cancel it."),
                action=_("Open the notice"),
            )
        )
    return tasks


def notices_with_low_read_rates(request: HttpRequest) -> list[WorkbenchTask]:
    """Notices published one to fourteen days ago that fewer than half of the actor's recipients have
    read (two queries)."""
    actor = request.user
    if not actor.has_perm("notices.remind_unread"):
        return []
    now = timezone.now()
    notices = recent_published_for(actor, since=now - LOW_READ_WITHIN, until=now - LOW_READ_AFTER)
    counts = read_counts_for(actor, [notice.pk for notice in notices])
    tasks = []
    for notice in notices:
        count = counts.get(notice.pk)
        if count is None or count.total == 0 or count.percent >= LOW_READ_PERCENT:
            continue
        tasks.append(
            WorkbenchTask(
                title=notice.title,
                url=reverse("notices:detail", kwargs={"notice_id": notice.pk}),
                kind=_("Notice read by few"),
                due=None,
                urgent=notice.urgency == "urgent",
                where=notice.area.name,
                reason=_("%(read)s of %(total)s residents in your area have read it (%(percent)s%%).")
                % {"read": count.read, "total": count.total, "percent": count.percent},
                next_step=_("Remind those who have not read it, or visit them."),
                action=_("See who has read it"),
            )
        )
        if len(tasks) >= MAX_TASKS:
            break
    return tasks
