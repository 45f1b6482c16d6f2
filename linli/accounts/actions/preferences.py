"""A user's own preferences: language, elderly mode, notification channels. The e-mail address is
not a preference: it changes only through ``linli.accounts.actions.email`` (fresh sign-in and a
confirmation link sent to the new address)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from linli.accounts.models import User
from linli.audit.actions import record_event

PREFERENCE_FIELDS = ("language", "elderly_mode", "notify_by_sms", "notify_by_email")


def do_update_preferences(user: User, **changes: Any) -> list[str]:
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise ValueError(f"not a preference: {sorted(unknown)}")
    changed = [name for name in PREFERENCE_FIELDS if name in changes and getattr(user, name) != changes[name]]
    if not changed:
        return []
    with transaction.atomic():
        for name in changed:
            setattr(user, name, changes[name])
        user.save(update_fields=changed)
        record_event("account.preferences_changed", actor=user, target=user, detail={"fields": changed})
    return changed
