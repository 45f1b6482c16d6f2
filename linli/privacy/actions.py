"""Reveal-with-reason (SECURITY.md D4, A7, C1): showing a full personal value is its own action,
permission-checked at the object's area, gated by fresh re-authentication and always audited."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from linli.audit.actions import record_event
from linli.core.errors import PermissionRefused, ReauthenticationRequired, ValidationFailed

REVEAL_RULES = {"phone": "privacy.reveal_phone", "id_number": "privacy.reveal_id_number"}
MIN_REASON_LENGTH = 4


def do_reveal_field(
    request: HttpRequest,
    target: models.Model,
    field_name: str,
    *,
    reason: str,
    scope_object: Any = None,
) -> str:
    """Return the plaintext of ``target.field_name`` for the requesting user.

    ``scope_object`` is what the permission rule checks (an object with an area path, e.g. the
    resident's dwelling link); it defaults to ``target``. Refusals are audited too."""
    from linli.accounts.actions.login import is_recently_authenticated

    field = target._meta.get_field(field_name)
    category = getattr(field, "category", None)
    rule = REVEAL_RULES.get(str(category))
    actor = request.user
    reason = (reason or "").strip()
    if rule is None:
        raise PermissionRefused(_("This field cannot be revealed."), code="not_revealable")
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(_("Give the reason for viewing the full value."), code="reason_required", field="reason")
    if not actor.has_perm(rule, scope_object if scope_object is not None else target):
        record_event(
            "privacy.reveal_denied", actor=actor, outcome="denied", target=target,
            detail={"field": field_name, "reason": reason[:200]},
        )
        raise PermissionRefused(_("You may not view this value."), code="reveal_forbidden")
    if not is_recently_authenticated(request):
        raise ReauthenticationRequired(_("Confirm your identity first."))
    with transaction.atomic():
        record_event(
            "privacy.revealed", actor=actor, target=target,
            detail={"field": field_name, "category": str(category), "reason": reason[:200]},
        )
        value = str(getattr(target, field_name))
    return value
