"""Workbench task providers of the accounts module: home links waiting for verification
(待核验的住户房屋绑定) in the actor's remit."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.actions.residents import VERIFICATION_DAYS, relation_label
from linli.accounts.selectors import pending_links_for_workbench
from linli.core.registry import WorkbenchTask
from linli.core.urls import id_url
from linli.privacy.masking import mask_name

MAX_TASKS = 20


def pending_dwelling_links(request: HttpRequest) -> list[WorkbenchTask]:
    """At most 20 pending home links, oldest first; due three days after the request, urgent once
    overdue. One query of the displayed columns (no encrypted field is read); the detail URL is
    reversed and each sentence translated once per page, not once per card."""
    actor = request.user
    if not actor.has_perm("accounts.verify_resident"):
        return []
    rows = pending_links_for_workbench(actor, limit=MAX_TASKS)
    if not rows:
        return []
    now = timezone.now()
    detail_url = id_url("residents:detail", "link_id")
    kind = _("Home verification")
    resident = _("Resident")
    asks = _("%(name)s asks to be linked to this home as %(relation)s.")
    waiting = _("Asked on %(date)s; residents should have a decision within %(days)d days.")
    overdue = _("Asked on %(date)s; the %(days)d days for a decision have passed.")
    next_step = _("Check the name, the relation and any evidence, then approve or reject.")
    action = _("Review")
    relations: dict[str, str] = {}
    local = timezone.get_current_timezone()
    tasks = []
    for row in rows:
        due = row.created_at + datetime.timedelta(days=VERIFICATION_DAYS)
        relation = relations.get(row.relation)
        if relation is None:
            relation = relations[row.relation] = relation_label(row.relation)
        asked = f"{row.created_at.astimezone(local):%m-%d %H:%M}"
        building = " ".join(part for part in (row.building, row.unit) if part)
        tasks.append(
            WorkbenchTask(
                title=" ".join(part for part in (row.estate, building, row.dwelling) if part),
                url=detail_url(row.id),
                kind=kind,
                due=due,
                urgent=due < now,
                detail=asks % {"name": mask_name(row.display_name) or resident, "relation": relation},
                reason=(overdue if due < now else waiting) % {"date": asked, "days": VERIFICATION_DAYS},
                next_step=next_step,
                action=action,
            )
        )
    return tasks
