"""Enrolment links for the staff second factor (issue 5, security finding 7).

Knowing a staff account's password is not enough to enrol its first authenticator app (or a
replacement after a reset): that needs a one-time enrolment link issued by a system administrator
(系统管理员) for that account. A link

* is issued by a system administrator (after fresh re-authentication) for an account in their remit
  that has no confirmed authenticator; it is issued automatically when a system administrator
  creates a staff account, and by the operator's ``create_administrator`` command;
* is also issued when a security administrator resets a lost authenticator, but then it is only
  e-mailed to the account's own address (never shown to the security administrator); without an
  address on file, a system administrator issues one;
* expires after ``LINLI_STAFF_ENROLMENT_LINK_HOURS`` (72 h by default), works once, and replaces
  any earlier unused link of the account;
* is stored only as a SHA-256 digest; the page that issues it shows it once.

Opening the link remembers it (encrypted) in the browser's session; after the password step, the
second-factor page then offers enrolment, and confirming the first code uses the link. Issuing,
use and every refusal (expired, used, replaced, unknown, another account's) are audited.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import AccountKind, Role, StaffTOTPDevice, User
from linli.accounts.models_links import StaffEnrolmentLink
from linli.audit.actions import record_event
from linli.core import context, ratelimit
from linli.core.errors import Conflict, PermissionRefused, RateLimited
from linli.privacy import crypto

ENROLMENT_SESSION_KEY = "linli_enrolment_link"
"""The raw token of an opened enrolment link, encrypted, in the session until enrolment."""
REFUSALS_PER_HOUR = 20
"""Unusable links presented from one network address in an hour; beyond that every attempt is
refused (429) unaudited until the hour passes. Anyone may present a link, and each refusal is an
audit event: unlimited, it would let an anonymous visitor grow the append-only audit log at will."""
REFUSAL_WINDOW_SECONDS = 3600


def link_hours() -> int:
    """How long an enrolment link works (``LINLI_STAFF_ENROLMENT_LINK_HOURS``, 72 by default)."""
    return int(getattr(settings, "LINLI_STAFF_ENROLMENT_LINK_HOURS", 72))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def enrolment_path(token: str) -> str:
    return reverse("accounts:enrolment_link", kwargs={"token": token})


def _issue(account: User, *, issued_by: User | None, reason: str, emailed: bool) -> str:
    """Create a link (replacing unused ones); returns the raw token. Call inside a transaction."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    StaffEnrolmentLink.objects.filter(user=account, used_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=now
    )
    link = StaffEnrolmentLink.objects.create(
        user=account,
        token_hash=_digest(token),
        issued_by=issued_by,
        issued_at=now,
        expires_at=now + datetime.timedelta(hours=link_hours()),
    )
    record_event(
        "account.enrolment_link_issued",
        actor=issued_by,
        actor_label="" if issued_by is not None else "operator",
        target=account,
        role=Role.SYSTEM_ADMIN if reason == "issued" else "",
        detail={"link": link.pk, "reason": reason, "emailed": emailed, "hours": link_hours()},
    )
    return token


def _send_link_email(address: str, url: str) -> None:
    from linli.accounts.actions.email import send_account_email

    hours = link_hours()
    send_account_email(
        address,
        _("Set up your Linli authenticator"),
        _(
            "Open this link, sign in with your username and password, and set up the authenticator app "
            "on your phone. The link works once and expires in %(hours)d hours:\n\n%(url)s\n\n"
            "If you did not expect this, tell your system administrator."
        )
        % {"hours": hours, "url": url},
    )


def do_issue_enrolment_link(account: User, *, acting_user: User, email_base_url: str | None = None) -> str:
    """System administrator: issue an enrolment link for ``account`` (in their remit, without a
    confirmed authenticator). Returns the raw token, to be shown once. With ``email_base_url``
    (the site's address) and an address on file, the link is also e-mailed to the account."""
    from linli.accounts.actions.staff import _check_system_admin

    try:
        _check_system_admin(acting_user, account)
        if account.pk == acting_user.pk:
            raise PermissionRefused(_("You cannot issue an enrolment link for yourself."), code="own_enrolment_link")
        if StaffTOTPDevice.objects.filter(user=account, confirmed=True).exists():
            raise Conflict(
                _("This account already has an authenticator. A security administrator must reset it first."),
                code="has_second_factor",
            )
    except (PermissionRefused, Conflict) as error:
        record_event(
            "account.enrolment_link_refused",
            actor=acting_user,
            target=account,
            outcome="denied",
            detail={"code": error.code},
        )
        raise
    send = bool(email_base_url and account.email)
    with transaction.atomic():
        token = _issue(account, issued_by=acting_user, reason="issued", emailed=send)
        if send:
            url = f"{email_base_url}{enrolment_path(token)}"
            address = account.email
            transaction.on_commit(lambda: _send_link_email(address, url), robust=True)
    return token


def issue_after_second_factor_reset(account: User, *, acting_user: User, email_base_url: str | None) -> bool:
    """After a security administrator reset ``account``'s authenticator: e-mail a new enrolment
    link to the account's own address, if it has one (the administrator never sees it). Returns
    whether a link was sent. Call inside the reset's transaction."""
    if not (email_base_url and account.email):
        return False
    token = _issue(account, issued_by=acting_user, reason="second_factor_reset", emailed=True)
    url = f"{email_base_url}{enrolment_path(token)}"
    address = account.email
    transaction.on_commit(lambda: _send_link_email(address, url), robust=True)
    return True


def issue_for_operator(account: User) -> str:
    """The ``create_administrator`` console command: the first administrator's enrolment link."""
    with transaction.atomic():
        return _issue(account, issued_by=None, reason="operator", emailed=False)


def _refused(reason: str, *, link: StaffEnrolmentLink | None, user: Any) -> None:
    actor = user if user is not None and getattr(user, "is_authenticated", False) else None
    record_event(
        "auth.enrolment_link_refused",
        outcome="denied",
        actor=actor,
        actor_label="" if actor is not None else "anonymous",
        target=link.user if link is not None else actor,
        detail={"reason": reason, "link": link.pk if link is not None else None},
    )


def link_problem(link: StaffEnrolmentLink | None, user: Any = None) -> str:
    """Why ``link`` cannot be used (by ``user``, when given), or ``""``."""
    if link is None:
        return "unknown"
    if link.used_at is not None:
        return "used"
    if link.revoked_at is not None:
        return "replaced"
    if link.expires_at <= timezone.now():
        return "expired"
    if user is not None and getattr(user, "is_authenticated", False) and link.user_id != user.pk:
        return "other_account"
    if link.user.kind != AccountKind.STAFF or not link.user.is_active:
        return "unknown"
    return ""


def find_link(token: str) -> StaffEnrolmentLink | None:
    if not token or len(token) > 100:
        return None
    return StaffEnrolmentLink.objects.select_related("user").filter(token_hash=_digest(token)).first()


def do_open_enrolment_link(request: HttpRequest, token: str) -> str:
    """Someone opened an enrolment link: remember it in the session when it is usable. Returns the
    problem (``""`` when usable); refusals are audited."""
    identity = context.current().source_ip or "unknown"
    if token and ratelimit.exceeded(
        "enrolment-link-refused", identity, limit=REFUSALS_PER_HOUR, window_seconds=REFUSAL_WINDOW_SECONDS
    ):
        raise RateLimited(
            _("Too many enrolment links were tried from this network. Try again in an hour."),
            code="enrolment_link_rate",
            retry_after=REFUSAL_WINDOW_SECONDS,
        )
    link = find_link(token)
    problem = link_problem(link, request.user)
    if problem:
        if token:  # nothing presented (an empty form) is not an attempt
            ratelimit.increment("enrolment-link-refused", identity, window_seconds=REFUSAL_WINDOW_SECONDS)
            _refused(problem, link=link, user=request.user)
        request.session.pop(ENROLMENT_SESSION_KEY, None)
        return problem
    request.session[ENROLMENT_SESSION_KEY] = crypto.encrypt(token, context=ENROLMENT_SESSION_KEY)
    return ""


def session_link_token(request: HttpRequest) -> str:
    stored = request.session.get(ENROLMENT_SESSION_KEY)
    if not stored:
        return ""
    try:
        return crypto.decrypt(stored, context=ENROLMENT_SESSION_KEY)
    except crypto.DecryptionError:
        request.session.pop(ENROLMENT_SESSION_KEY, None)
        return ""


def usable_session_link(request: HttpRequest, user: User) -> StaffEnrolmentLink | None:
    """The enrolment link opened in this session, if it is still usable by ``user``; a link that
    has become unusable (expired meanwhile, replaced, another account's) is refused and forgotten."""
    token = session_link_token(request)
    if not token:
        return None
    link = find_link(token)
    problem = link_problem(link, user)
    if problem:
        _refused(problem, link=link, user=user)
        request.session.pop(ENROLMENT_SESSION_KEY, None)
        return None
    return link


def refuse_enrolment_without_link(user: User) -> None:
    """A staff member without an authenticator tried to enrol without a usable link."""
    _refused("missing", link=None, user=user)


def use_link(link_id: int, user: User) -> bool:
    """Mark the link used (inside the enrolment transaction); False if it is no longer usable."""
    link = StaffEnrolmentLink.objects.select_for_update().select_related("user").filter(pk=link_id).first()
    if link_problem(link, user):
        return False
    assert link is not None
    StaffEnrolmentLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
    record_event("auth.enrolment_link_used", actor=user, target=user, detail={"link": link.pk})
    return True


def pending_link(account: User) -> StaffEnrolmentLink | None:
    """The account's current unused, unexpired link (for the staff detail page)."""
    return (
        StaffEnrolmentLink.objects.filter(
            user=account, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .order_by("-id")
        .first()
    )
