"""Reads of the privacy module a user can trigger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from linli.privacy.models import RevealRecord

OWN_REVEALS_DAYS = 30
OWN_REVEALS_LIMIT = 200


@dataclass(frozen=True)
class RevealUsage:
    hour: int
    day: int
    hour_limit: int
    day_limit: int


def own_reveals_for(user: Any) -> list[RevealRecord]:
    """The reveals ``user`` made in the last 30 days, newest first — only ever the user's own
    (the audit table is for the audit administrator alone)."""
    since = timezone.now() - timedelta(days=OWN_REVEALS_DAYS)
    return list(
        RevealRecord.objects.filter(user=user, created_at__gte=since).only(
            "id", "field", "category", "object_label", "reason", "created_at"
        )[:OWN_REVEALS_LIMIT]
    )


def reveal_usage_for(user: Any) -> RevealUsage:
    """How much of the hourly and daily reveal quota ``user`` has used (one query)."""
    from linli.privacy.actions import reveal_quotas

    hour, day = reveal_quotas()
    now = timezone.now()
    counts = RevealRecord.objects.filter(user=user, created_at__gt=now - timedelta(seconds=day.seconds)).aggregate(
        day=Count("id"), hour=Count("id", filter=Q(created_at__gt=now - timedelta(seconds=hour.seconds)))
    )
    return RevealUsage(
        hour=int(counts["hour"] or 0), day=int(counts["day"] or 0), hour_limit=hour.limit, day_limit=day.limit
    )
