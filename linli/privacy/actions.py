"""Writes of the privacy module.

* Reveal-with-reason (SECURITY.md D4, A7, C1): showing a full personal value is its own action,
  permission-checked at the object's area, gated by fresh re-authentication and always audited.
  Each staff member may reveal at most ``LINLI_REVEALS_PER_HOUR`` values in any hour and
  ``LINLI_REVEALS_PER_DAY`` in any 24 hours (sliding windows over ``RevealRecord``); beyond that the
  reveal is refused (429, audited as denied) and the security administrators are alerted once per
  window.
* Data-key rotation (D1): ``do_rotate_data_keys`` re-encrypts every encrypted value under the
  current key."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from linli.audit.actions import record_event
from linli.core import ratelimit
from linli.core.errors import PermissionRefused, RateLimited, ReauthenticationRequired, ValidationFailed
from linli.privacy import crypto
from linli.privacy.masking import mask_name
from linli.privacy.models import RevealRecord

REVEAL_RULES = {"phone": "privacy.reveal_phone", "id_number": "privacy.reveal_id_number"}
MIN_REASON_LENGTH = 4
HOUR = 3600
DAY = 24 * 3600


@dataclass(frozen=True)
class RevealQuota:
    name: str  # "hour" | "day"
    seconds: int
    limit: int


def reveal_quotas() -> tuple[RevealQuota, RevealQuota]:
    """The configured quotas (settings ``LINLI_REVEALS_PER_HOUR``, ``LINLI_REVEALS_PER_DAY``)."""
    return (
        RevealQuota("hour", HOUR, int(getattr(settings, "LINLI_REVEALS_PER_HOUR", 20))),
        RevealQuota("day", DAY, int(getattr(settings, "LINLI_REVEALS_PER_DAY", 60))),
    )


def _exceeded_quota(user: Any, now: datetime) -> tuple[RevealQuota, datetime] | None:
    """The first quota ``user`` has used up, with the moment the next reveal becomes possible.
    One query in the common case (both counts in one aggregate)."""
    hour, day = reveal_quotas()
    counts = RevealRecord.objects.filter(user=user, created_at__gt=now - timedelta(seconds=day.seconds)).aggregate(
        day=Count("id"), hour=Count("id", filter=Q(created_at__gt=now - timedelta(seconds=hour.seconds)))
    )
    for quota in (hour, day):
        used = int(counts[quota.name] or 0)
        if used >= quota.limit:
            since = now - timedelta(seconds=quota.seconds)
            oldest_counted = (
                RevealRecord.objects.filter(user=user, created_at__gt=since)
                .order_by("created_at")
                .values_list("created_at", flat=True)[used - quota.limit : used - quota.limit + 1]
            )
            first = next(iter(oldest_counted), now)
            return quota, first + timedelta(seconds=quota.seconds)
    return None


def object_label(target: models.Model) -> str:
    """A masked label of a revealed object (a person's masked name), never a full value."""
    name = getattr(target, "display_name", "") or getattr(target, "name", "")
    if name:
        return mask_name(str(name))[:100]
    return f"{target._meta.verbose_name} #{target.pk}"[:100]


def security_admins_for(actor: Any) -> list[Any]:
    """The active security administrators responsible for ``actor``: those whose area holds one
    of the actor's role areas; every security administrator when none does."""
    from linli.accounts.models import Role, RoleAssignment

    actor_paths = list(RoleAssignment.objects.active().filter(user=actor).values_list("area__path", flat=True))
    grants = list(
        RoleAssignment.objects.active()
        .filter(role=Role.SECURITY_ADMIN, user__is_active=True)
        .select_related("user", "area")
        .order_by("user_id")
    )
    responsible = {
        grant.user_id: grant.user for grant in grants if any(path.startswith(grant.area.path) for path in actor_paths)
    }
    if not responsible:
        responsible = {grant.user_id: grant.user for grant in grants}
    return list(responsible.values())


def _alert_quota_exceeded(actor: Any, quota: RevealQuota) -> int:
    """Tell the security administrators, once per user and quota window (a fixed window of the
    quota's length in the shared rate limiter), that ``actor`` hit a reveal quota. Returns the
    number of administrators alerted."""
    from linli.notify.actions import do_send_notification

    if ratelimit.increment(f"privacy.reveal_alert.{quota.name}", str(actor.pk), window_seconds=quota.seconds) != 1:
        return 0
    admins = security_admins_for(actor)
    label = getattr(actor, "display_name", "") or actor.get_username()
    for admin in admins:
        with override(getattr(admin, "language", None) or settings.LANGUAGE_CODE):
            period = _("in one hour") if quota.name == "hour" else _("in 24 hours")
            do_send_notification(
                admin,
                title=_("Reveal quota exceeded"),
                body=_(
                    "%(user)s (%(username)s) tried to view more than %(limit)d full personal values %(period)s. "
                    "Further reveals are refused until the window passes."
                )
                % {"user": label, "username": actor.get_username(), "limit": quota.limit, "period": period},
                kind="security",
            )
    return len(admins)


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
    actor: Any = request.user
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
    now = timezone.now()
    with transaction.atomic():
        # One reveal at a time per user, so two parallel requests cannot both take the last unit
        # of the quota (PostgreSQL row lock; SQLite transactions are IMMEDIATE, hence serial).
        type(actor)._default_manager.select_for_update().filter(pk=actor.pk).values_list("pk").first()
        exceeded = _exceeded_quota(actor, now)
        if exceeded is not None:
            quota, allowed_at = exceeded
            record_event(
                "privacy.reveal_denied",
                actor=actor,
                outcome="denied",
                target=target,
                detail={"field": field_name, "reason": reason[:200], "quota": quota.name, "limit": quota.limit},
            )
            _alert_quota_exceeded(actor, quota)
        else:
            record_event(
                "privacy.revealed",
                actor=actor,
                target=target,
                detail={"field": field_name, "category": str(category), "reason": reason[:200]},
            )
            RevealRecord.objects.create(
                user=actor,
                field=field_name,
                category=str(category),
                object_type=target._meta.label_lower,
                object_id=str(target.pk),
                object_label=object_label(target),
                reason=reason[:200],
                created_at=now,
            )
            value = str(getattr(target, field_name))
    if exceeded is not None:
        quota, allowed_at = exceeded
        message = (
            _("You have viewed %(limit)d full values in the last hour, the most allowed. Try again after %(time)s.")
            if quota.name == "hour"
            else _(
                "You have viewed %(limit)d full values in the last 24 hours, the most allowed. Try again after %(time)s."
            )
        )
        raise RateLimited(
            message % {"limit": quota.limit, "time": timezone.localtime(allowed_at).strftime("%Y-%m-%d %H:%M")},
            code="reveal_quota",
            retry_after=max(1, int((allowed_at - now).total_seconds() + 0.999)),
        )
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
