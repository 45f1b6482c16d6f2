"""Workbench task providers of the accounts module: home links waiting for verification
(待核验的住户房屋绑定) in the actor's remit."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.actions.residents import VERIFICATION_DAYS, relation_label
from linli.accounts.selectors_residents import pending_links_for_workbench
from linli.core.registry import WorkbenchTask
from linli.privacy.masking import mask_name

MAX_TASKS = 20


def pending_dwelling_links(request: HttpRequest) -> list[WorkbenchTask]:
    """At most 20 pending home links, oldest first; due three days after the request, urgent once
    overdue. One query (the actor's grants are already cached for the request)."""
    actor = request.user
    if not actor.has_perm("accounts.verify_resident"):
        return []
    now = timezone.now()
    tasks = []
    for link in pending_links_for_workbench(actor, limit=MAX_TASKS):
        due = link.created_at + datetime.timedelta(days=VERIFICATION_DAYS)
        tasks.append(
            WorkbenchTask(
                title=f"{mask_name(link.user.display_name) or _('Resident')} · {link.dwelling.name}",
                url=reverse("residents:detail", kwargs={"link_id": link.pk}),
                kind=_("Home verification"),
                due=due,
                urgent=due < now,
                detail=relation_label(link.relation),
            )
        )
    return tasks
