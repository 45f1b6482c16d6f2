"""API tokens for machine clients (SECURITY.md A3, B4, C1; OWASP API2 broken authentication).

A token reads ``lnl_<prefix>_<secret>``: the 8-hex-digit ``prefix`` finds the row, only SHA-256
of the 256-bit ``secret`` is stored (a fast hash is right for a random secret: there is nothing
to brute-force), and the comparison is constant-time. A token acts as its owner — a staff
account, usually a service account with roles — narrowed to the token's area
(``linli.accounts.scoping.grants``); it counts as that owner's second factor, so a password-only
session can never mint one and a token can never reach an administrator function.

* Issuing needs the system administrator (``accounts.manage_api_tokens``) and fresh
  re-authentication (A7); the owner must hold an operational role at an area containing the
  token's area, and must not hold an administrator role (三员: administrator functions need a
  person with TOTP). Tokens always expire (at most a year). The secret is returned once.
* Revoking takes effect on the next request: every request reads the row.
* Audit: ``api_token.issued`` / ``api_token.revoked`` (never the secret), and failed token
  sign-ins ``api.auth_failed`` — at most one event per source IP per minute, so a flood of bad
  tokens cannot fill the audit log (the API's anonymous throttle answers 429 beyond its rate).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import ADMIN_ROLES, AccountKind, ApiToken, RoleAssignment, User
from linli.accounts.scoping import OPERATIONAL_ROLES
from linli.areas.models import Area
from linli.audit.actions import record_event
from linli.core import context, ratelimit
from linli.core.errors import PermissionRefused, ReauthenticationRequired, ValidationFailed

TOKEN_SCHEME = "lnl"  # noqa: S105 - the public scheme marker, not a secret
TOKEN_PATTERN = re.compile(r"^lnl_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")
MANAGE_RULE = "accounts.manage_api_tokens"
MAX_LIFETIME_DAYS = 365
DEFAULT_LIFETIME_DAYS = 90
LAST_USED_WRITE_INTERVAL = datetime.timedelta(seconds=60)
FAILURE_AUDIT_WINDOW_SECONDS = 60
_DUMMY_HASH = hashlib.sha256(b"linli-no-such-token").hexdigest()


@dataclass(frozen=True)
class IssuedApiToken:
    """The new row and its plaintext, which exists only in this object: show it once."""

    token: ApiToken
    plaintext: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_status(token: ApiToken, now: datetime.datetime | None = None) -> str:
    """``active``, ``expired`` or ``revoked``."""
    now = now or timezone.now()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"


def _owner_role_paths(owner: User) -> list[str]:
    return list(
        RoleAssignment.objects.active()
        .filter(user_id=owner.pk, role__in=OPERATIONAL_ROLES, area__is_active=True)
        .values_list("area__path", flat=True)
    )


def validate_token_request(*, owner: User | None, area: Area | None, name: str, lifetime_days: int) -> str:
    """Check an issue request; return the cleaned name. Raises ``ValidationFailed``."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed(_("Give the token a name of up to 100 characters."), code="token_name", field="name")
    if not 1 <= lifetime_days <= MAX_LIFETIME_DAYS:
        raise ValidationFailed(
            _("A token is valid for 1 to %(days)d days.") % {"days": MAX_LIFETIME_DAYS},
            code="token_lifetime",
            field="expires_in_days",
        )
    if owner is None or owner.kind != AccountKind.STAFF or not owner.is_active:
        raise ValidationFailed(_("Choose an active staff account as the owner."), code="token_owner", field="owner_id")
    if RoleAssignment.objects.active().filter(user_id=owner.pk, role__in=ADMIN_ROLES).exists():
        raise ValidationFailed(
            _("Administrator accounts cannot own API tokens. Use a service account with operational roles."),
            code="token_owner_admin",
            field="owner_id",
        )
    if area is None or not area.is_active:
        raise ValidationFailed(_("Choose an area."), code="token_area", field="area_id")
    if not any(area.path.startswith(path) for path in _owner_role_paths(owner)):
        raise ValidationFailed(
            _("The owner holds no role at an area containing this area."),
            code="token_area_outside_roles",
            field="area_id",
        )
    return name


def do_issue_api_token(
    request: HttpRequest,
    *,
    owner: User | None,
    area: Area | None,
    name: str,
    lifetime_days: int = DEFAULT_LIFETIME_DAYS,
) -> IssuedApiToken:
    """Issue a token for ``owner`` scoped to ``area``; the acting user is ``request.user``.

    The caller has already limited ``area`` to the acting administrator's scope (selectors);
    this action checks the rule again, fresh re-authentication and the owner's roles."""
    from linli.accounts.actions.login import is_recently_authenticated

    actor: Any = request.user
    if not actor.has_perm(MANAGE_RULE):
        raise PermissionRefused(_("You may not manage API tokens."), code="forbidden")
    if getattr(actor, "linli_api_token", None) is not None or not is_recently_authenticated(request):
        raise ReauthenticationRequired(_("Confirm your identity first."))
    clean_name = validate_token_request(owner=owner, area=area, name=name, lifetime_days=lifetime_days)
    assert owner is not None and area is not None
    now = timezone.now()
    secret = secrets.token_urlsafe(32)
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    name=clean_name,
                    prefix=prefix,
                    secret_hash=hash_secret(secret),
                    owner=owner,
                    area=area,
                    created_at=now,
                    expires_at=now + datetime.timedelta(days=lifetime_days),
                )
                record_event(
                    "api_token.issued",
                    actor=actor,
                    target=token,
                    area_id=area.pk,
                    detail={
                        "name": clean_name,
                        "prefix": prefix,
                        "owner_id": owner.pk,
                        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
                    },
                )
        except IntegrityError:
            if ApiToken.objects.filter(prefix=prefix).exists():
                continue  # a prefix collision (one in four billion): draw again
            raise
        return IssuedApiToken(token=token, plaintext=f"{TOKEN_SCHEME}_{prefix}_{secret}")
    raise RuntimeError("could not draw a free token prefix")


def do_revoke_api_token(token: ApiToken, *, acting_user: Any) -> ApiToken:
    """Revoke ``token`` now (idempotent: revoking a revoked token changes nothing)."""
    if not acting_user.has_perm(MANAGE_RULE):
        raise PermissionRefused(_("You may not manage API tokens."), code="forbidden")
    with transaction.atomic():
        now = timezone.now()
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        if updated:
            record_event(
                "api_token.revoked",
                actor=acting_user,
                target=token,
                area_id=token.area_id,
                detail={"name": token.name, "prefix": token.prefix, "owner_id": token.owner_id},
            )
    token.refresh_from_db(fields=["revoked_at"])
    return token


def _record_failure(reason: str, token: ApiToken | None, prefix: str) -> None:
    identity = context.current().source_ip or "unknown"
    if not ratelimit.hit("api-auth-failed-audit", identity, limit=1, window_seconds=FAILURE_AUDIT_WINDOW_SECONDS):
        return
    with transaction.atomic():
        record_event(
            "api.auth_failed",
            outcome="failure",
            object_type="accounts.apitoken" if token is not None else "",
            object_id=token.pk if token is not None else "",
            actor_label=f"{TOKEN_SCHEME}_{prefix}" if prefix else "",
            detail={"reason": reason, "method": "api_token"},
        )


def authenticate_token(raw: str) -> User | None:
    """The owner of a valid token with ``linli_api_token`` set (scoping narrows its grants to
    the token's area), or None. Refuses malformed, unknown, revoked and expired tokens and
    tokens of inactive or non-staff owners; audits failures (rate-limited per source IP)."""
    match = TOKEN_PATTERN.fullmatch((raw or "").strip())
    if match is None:
        _record_failure("malformed", None, "")
        return None
    prefix, secret = match.groups()
    token = ApiToken.objects.select_related("owner", "area").filter(prefix=prefix).first()
    presented = hash_secret(secret)
    if not hmac.compare_digest(presented, token.secret_hash if token is not None else _DUMMY_HASH) or token is None:
        _record_failure("unknown", token, prefix)
        return None
    now = timezone.now()
    reason = ""
    if token.revoked_at is not None:
        reason = "revoked"
    elif token.expires_at is not None and token.expires_at <= now:
        reason = "expired"
    elif not token.owner.is_active or token.owner.kind != AccountKind.STAFF:
        reason = "owner_inactive"
    elif not token.area.is_active:
        reason = "area_inactive"
    if reason:
        _record_failure(reason, token, prefix)
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_WRITE_INTERVAL:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    user = token.owner
    user.linli_api_token = token  # type: ignore[attr-defined]
    user.otp_device = None  # type: ignore[attr-defined]
    user.is_verified = lambda: False  # type: ignore[attr-defined,method-assign]  # a token is not a TOTP session
    return user
