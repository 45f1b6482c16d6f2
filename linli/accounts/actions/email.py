"""Changing an account's e-mail address (issue 5, security finding 1).

The address is not an ordinary preference: it receives notifications and, for staff, enrolment
links. So a change

1. needs a fresh sign-in (re-authentication within ``LINLI_REAUTH_SECONDS``, SECURITY.md A7);
2. sends a confirmation link to the NEW address: a ``TimestampSigner``-signed token naming the
   request and a random secret whose SHA-256 digest is stored (expires after
   ``LINLI_EMAIL_CHANGE_LINK_HOURS``, single use; a newer request cancels older ones);
3. takes effect only when the owner, signed in, opens that link and confirms;
4. then tells the OLD address that the address was changed.

The request and its confirmation (and every refused confirmation) are audited, with the
addresses masked. E-mail leaves after commit through Django's configured backend (SMTP in
production), like the notification e-mails.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import secrets

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import User
from linli.accounts.models_links import EmailChangeRequest
from linli.audit.actions import record_event
from linli.core import ratelimit
from linli.core.errors import PermissionRefused, RateLimited, ValidationFailed
from linli.privacy.masking import mask_email

logger = logging.getLogger(__name__)
SIGNING_SALT = "linli.accounts.email-change"
REQUESTS_PER_DAY = 5
"""Confirmation e-mails one account may have sent in a day: each goes to an address the user
typed, so without a limit the platform would mail anyone, as often as asked."""
REQUEST_WINDOW_SECONDS = 24 * 3600


def send_account_email(address: str, subject: str, body: str) -> None:
    """One e-mail about the account itself (not an inbox notification). Failures are logged
    without the address."""
    message = EmailMessage(subject=subject, body=body, to=[address], headers={"Auto-Submitted": "auto-generated"})
    try:
        message.send(fail_silently=False)
    except OSError as error:  # SMTP errors are OSErrors
        logger.warning("account e-mail not sent: %s", type(error).__name__)


def link_hours() -> int:
    """How long a confirmation link works (``LINLI_EMAIL_CHANGE_LINK_HOURS``, 24 by default)."""
    return int(getattr(settings, "LINLI_EMAIL_CHANGE_LINK_HOURS", 24))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SIGNING_SALT)


def do_request_email_change(request: HttpRequest, user: User, new_email: str, *, site_url: str) -> EmailChangeRequest:
    """Send a confirmation link for ``new_email`` (already validated as an address) to that
    address. ``site_url`` is the site's address (scheme and host) for the link."""
    from linli.accounts.actions.login import is_recently_authenticated

    if not is_recently_authenticated(request):
        raise PermissionRefused(_("Confirm it is you first."), code="reauthentication_required")
    new_email = new_email.strip()
    if new_email.lower() == (user.email or "").lower():
        raise ValidationFailed(_("This is already your e-mail address."), code="email_unchanged", field="email")
    if not ratelimit.hit(
        "email-change-request", str(user.pk), limit=REQUESTS_PER_DAY, window_seconds=REQUEST_WINDOW_SECONDS
    ):
        raise RateLimited(
            _("You asked for too many confirmation links today. Try again tomorrow."),
            code="email_change_rate",
            field="email",
        )
    secret = secrets.token_urlsafe(24)
    now = timezone.now()
    hours = link_hours()
    with transaction.atomic():
        # Earlier requests: finished ones are deleted (their address is not kept), an open one is
        # cancelled (its link stops working) and deleted at the next request.
        EmailChangeRequest.objects.filter(user=user).exclude(
            confirmed_at__isnull=True, cancelled_at__isnull=True
        ).delete()
        EmailChangeRequest.objects.filter(user=user, confirmed_at__isnull=True, cancelled_at__isnull=True).update(
            cancelled_at=now
        )
        change = EmailChangeRequest.objects.create(
            user=user,
            new_email=new_email,
            token_hash=_digest(secret),
            created_at=now,
            expires_at=now + datetime.timedelta(hours=hours),
        )
        token = _signer().sign(f"{change.pk}.{secret}")
        record_event(
            "account.email_change_requested",
            actor=user,
            target=user,
            detail={"request": change.pk, "new_email": mask_email(new_email)},
        )
        url = site_url + reverse("accounts:confirm_email", kwargs={"token": token})
        subject = _("Confirm your new Linli e-mail address")
        body = _(
            "Someone signed in to your Linli account asked to use this address for it. To confirm, open "
            "this link while signed in to Linli (it works once and expires in %(hours)d hours):\n\n%(url)s\n\n"
            "If this was not you, ignore this e-mail: nothing changes."
        ) % {"hours": hours, "url": url}
        transaction.on_commit(lambda: send_account_email(new_email, subject, body), robust=True)
    return change


def _refuse(user: User, reason: str, change: EmailChangeRequest | None = None) -> ValidationFailed:
    record_event(
        "account.email_change_refused",
        actor=user,
        target=user,
        outcome="denied",
        detail={"reason": reason, "request": change.pk if change is not None else None},
    )
    if reason == "expired":
        message = _("This confirmation link has expired. Ask for a new one on your account page.")
    elif reason == "used":
        message = _("This confirmation link was already used or replaced by a newer one.")
    else:
        message = _("This confirmation link is not valid for your account.")
    return ValidationFailed(message, code=f"email_link_{reason}")


def pending_change(user: User, token: str) -> EmailChangeRequest:
    """The open request ``token`` confirms, for its owner ``user``; raises ``ValidationFailed``
    (audited) when the link is forged, expired, used, replaced or another account's."""
    try:
        value = _signer().unsign(token, max_age=datetime.timedelta(hours=link_hours()))
    except signing.SignatureExpired:
        raise _refuse(user, "expired") from None
    except signing.BadSignature:
        raise _refuse(user, "invalid") from None
    change_id, _separator, secret = value.partition(".")
    change = EmailChangeRequest.objects.filter(pk=int(change_id)).first() if change_id.isdigit() else None
    if change is None or not hmac.compare_digest(change.token_hash, _digest(secret)):
        raise _refuse(user, "invalid", change)
    if change.user_id != user.pk:
        raise _refuse(user, "other_account", change)
    if change.confirmed_at is not None or change.cancelled_at is not None:
        raise _refuse(user, "used", change)
    if change.expires_at <= timezone.now():
        raise _refuse(user, "expired", change)
    return change


def do_confirm_email_change(user: User, token: str) -> str:
    """The owner opened the link and confirmed: change the address, tell the old one. Returns the
    new address."""
    change = pending_change(user, token)  # refusals are audited (outside the transaction below)
    with transaction.atomic():
        locked = EmailChangeRequest.objects.select_for_update().get(pk=change.pk)
        applied = locked.confirmed_at is None and locked.cancelled_at is None  # not a concurrent confirmation
        if applied:
            _apply_change(user, locked)
    if not applied:
        raise _refuse(user, "used", change)
    return user.email


def _apply_change(user: User, locked: EmailChangeRequest) -> None:
    now = timezone.now()
    EmailChangeRequest.objects.filter(pk=locked.pk).update(confirmed_at=now)
    old_email = user.email
    new_email = locked.new_email
    User.objects.filter(pk=user.pk).update(email=new_email)
    user.email = new_email
    record_event(
        "account.email_changed",
        actor=user,
        target=user,
        detail={"request": locked.pk, "old_email": mask_email(old_email), "new_email": mask_email(new_email)},
    )
    if old_email:
        subject = _("Your Linli e-mail address was changed")
        body = _(
            "The e-mail address of your Linli account was changed to %(address)s. If this was not you, "
            "contact your community or system administrator at once."
        ) % {"address": mask_email(new_email)}
        transaction.on_commit(lambda: send_account_email(old_email, subject, body), robust=True)
