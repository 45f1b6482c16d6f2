"""Writes of the privacy module.

* Reveal-with-reason (SECURITY.md D4, A7, C1): showing a full personal value is its own action,
  permission-checked at the object's area, gated by fresh re-authentication and always audited.
* Data-key rotation (D1): ``do_rotate_data_keys`` re-encrypts every encrypted value under the
  current key."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.db import models, transaction
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.http import HttpRequest
from django.utils.translation import gettext as _

from linli.audit.actions import record_event
from linli.core.errors import PermissionRefused, ReauthenticationRequired, ValidationFailed
from linli.privacy import crypto

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
            "privacy.reveal_denied",
            actor=actor,
            outcome="denied",
            target=target,
            detail={"field": field_name, "reason": reason[:200]},
        )
        raise PermissionRefused(_("You may not view this value."), code="reveal_forbidden")
    if not is_recently_authenticated(request):
        raise ReauthenticationRequired(_("Confirm your identity first."))
    with transaction.atomic():
        record_event(
            "privacy.revealed",
            actor=actor,
            target=target,
            detail={"field": field_name, "category": str(category), "reason": reason[:200]},
        )
        value = str(getattr(target, field_name))
    return value


# --- key rotation ------------------------------------------------------------------------------


@dataclass
class RotationCount:
    """Per model: values re-encrypted, values already under the current key, values that could
    not be decrypted (tampered, or under a key no longer configured) with a few of their ids."""

    rotated: int = 0
    current: int = 0
    unreadable: int = 0
    unreadable_ids: list[str] = dataclass_field(default_factory=list)


@dataclass
class RotationReport:
    key_id: str
    models: dict[str, RotationCount]

    @property
    def rotated(self) -> int:
        return sum(count.rotated for count in self.models.values())

    @property
    def unreadable(self) -> int:
        return sum(count.unreadable for count in self.models.values())


def _rotate_model(
    model: type[models.Model], fields: list[Any], key_id: str, batch_size: int, count: RotationCount
) -> None:
    """Walk ``model`` by primary key in batches; each batch is one transaction, so an interrupted
    run keeps what it did and a rerun skips values already under ``key_id``."""
    raw = {field.name: Cast(field.name, output_field=models.TextField()) for field in fields}
    aliases = {f"raw_{name}": expression for name, expression in raw.items()}
    manager = model._base_manager
    last_pk: Any = None
    while True:
        rows = manager.order_by("pk")
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        batch = list(rows.annotate(**aliases).values_list("pk", *aliases)[:batch_size])
        if not batch:
            return
        with transaction.atomic():
            for pk, *stored_values in batch:
                for field, stored in zip(fields, stored_values, strict=True):
                    if not stored:
                        continue
                    if crypto.key_id_of(stored) == key_id:
                        count.current += 1
                        continue
                    try:
                        plaintext = crypto.decrypt(stored, context=field.encryption_context)
                    except crypto.DecryptionError:
                        count.unreadable += 1
                        if len(count.unreadable_ids) < 20:
                            count.unreadable_ids.append(f"{pk}.{field.name}")
                        continue
                    # Conditional on the stored value being unchanged since it was read, so a
                    # concurrent edit is never overwritten; get_prep_value encrypts under key_id.
                    updated = manager.filter(Exact(raw[field.name], stored), pk=pk).update(**{field.name: plaintext})
                    count.rotated += updated
        last_pk = batch[-1][0]


def do_rotate_data_keys(*, acting_user: Any = None, batch_size: int = 500) -> RotationReport:
    """Re-encrypt every ``EncryptedTextField`` value of every model under the current data key
    (``settings.LINLI_DATA_KEY_CURRENT``), SECURITY.md D1.

    Values already under the current key are skipped, so the run is idempotent and resumable
    (batches commit one by one). Blind indexes use their own key and are not touched. One audit
    event ``privacy.keys_rotated`` records the counts per model. Once a run reports nothing left
    under an old key (and backups made with it have expired), that key can be removed from
    ``LINLI_DATA_KEYS``."""
    from linli.privacy.inventory import encrypted_fields

    key_id = crypto.current_key_id()
    by_model: dict[type[models.Model], list[Any]] = {}
    for model, field in encrypted_fields():
        by_model.setdefault(model, []).append(field)
    report = RotationReport(key_id=key_id, models={})
    for model, fields in by_model.items():
        count = report.models.setdefault(model._meta.label_lower, RotationCount())
        _rotate_model(model, fields, key_id, max(1, batch_size), count)
    with transaction.atomic():
        record_event(
            "privacy.keys_rotated",
            actor=acting_user,
            outcome="success" if report.unreadable == 0 else "failure",
            detail={
                "key_id": key_id,
                "models": {
                    label: {"rotated": count.rotated, "current": count.current, "unreadable": count.unreadable}
                    for label, count in report.models.items()
                },
            },
        )
    return report
