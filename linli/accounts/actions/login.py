"""Sign-in flows.

* Residents: phone → one-time code by SMS (5 minutes, 5 tries, 5 sends per phone per hour) →
  signed in; an account is created on first sign-in, so the answer never reveals whether a phone
  is registered.
* Staff: username + password (django-axes locks the name after 5 failures in 30 minutes; a wider
  per-IP limit applies too) → TOTP (enrolment with a QR code the first time) → staff pages.
* Fresh re-authentication before sensitive steps (A7): password + TOTP for staff, a new phone
  code for residents.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
from typing import Any

import django_otp
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.actions.sessions import do_start_session, rotate_session_key
from linli.accounts.models import AccountKind, LoginCode, StaffTOTPDevice, User
from linli.audit.actions import record_event
from linli.core import context, ratelimit
from linli.core.errors import RateLimited, ValidationFailed
from linli.privacy.crypto import blind_index
from linli.privacy.masking import mask_phone

REAUTH_SESSION_KEY = "linli_reauthenticated_at"
LOGIN_CODE_MAX_ATTEMPTS = 5
LOGIN_WINDOW_SECONDS = 30 * 60


def phone_index(phone: str) -> str:
    return blind_index(phone, purpose="phone")


def _code_hash(phone_idx: str, code: str) -> str:
    return blind_index(f"{phone_idx}:{code}", purpose="login_code")


def _client_identity() -> str:
    return context.current().source_ip or "unknown"


def do_request_login_code(phone: str) -> None:
    """Create a login code for ``phone`` (already validated) and send it after commit."""
    from linli.notify.sms import get_gateway

    if not ratelimit.hit(
        "login-code-phone", phone, limit=settings.LINLI_LOGIN_CODE_SENDS_PER_PHONE_HOUR, window_seconds=3600
    ):
        raise RateLimited(_("Too many codes were sent to this number. Try again in an hour."))
    if not ratelimit.hit("login-code-ip", _client_identity(), limit=20, window_seconds=3600):
        raise RateLimited(_("Too many codes were requested from this network. Try again later."))
    code = f"{secrets.randbelow(10**6):06d}"
    index = phone_index(phone)
    now = timezone.now()
    with transaction.atomic():
        LoginCode.objects.filter(phone_index=index, used_at__isnull=True).update(used_at=now)
        LoginCode.objects.create(
            phone_index=index,
            code_hash=_code_hash(index, code),
            expires_at=now + datetime.timedelta(seconds=settings.LINLI_LOGIN_CODE_TTL_SECONDS),
        )
        record_event("auth.login_code_sent", actor_label=mask_phone(phone), object_type="phone", object_id=index[:16])
        message = _("Your Linli sign-in code is %(code)s. It expires in 5 minutes. Never share it.") % {"code": code}
        # robust: a gateway failure after commit is logged (number masked) instead of turning the
        # page into a 500; the resident can ask for a new code.
        transaction.on_commit(
            lambda: get_gateway().send(phone, message, template="login_code", parameters={"code": code}),
            robust=True,
        )


def _check_login_code(phone: str, code: str) -> bool:
    index = phone_index(phone)
    now = timezone.now()
    login_code = (
        LoginCode.objects.select_for_update()
        .filter(phone_index=index, used_at__isnull=True, expires_at__gt=now)
        .order_by("-id")
        .first()
    )
    if login_code is None:
        return False
    if login_code.attempts >= LOGIN_CODE_MAX_ATTEMPTS:
        return False
    if hmac.compare_digest(login_code.code_hash, _code_hash(index, code)):
        LoginCode.objects.filter(id=login_code.id).update(used_at=now)
        return True
    LoginCode.objects.filter(id=login_code.id).update(attempts=login_code.attempts + 1)
    return False


def do_login_with_code(request: HttpRequest, phone: str, code: str) -> User:
    """Sign a resident in; creates the resident account on first sign-in."""
    if not ratelimit.hit(
        "login-ip", _client_identity(), limit=settings.LINLI_LOGIN_IP_LIMIT, window_seconds=LOGIN_WINDOW_SECONDS
    ):
        raise RateLimited(_("Too many sign-in attempts from this network. Try again in 30 minutes."))
    index = phone_index(phone)
    with transaction.atomic():
        if not _check_login_code(phone, code):
            record_event(
                "auth.login_failed", outcome="failure", actor_label=mask_phone(phone), detail={"method": "phone_code"}
            )
            failed = True
        else:
            failed = False
            user = User.objects.filter(phone_index=index).first()
            if user is None:
                user = User(
                    username=f"r{secrets.token_hex(6)}", kind=AccountKind.RESIDENT, phone=phone, phone_index=index
                )
                user.set_unusable_password()
                user.save()
                record_event("account.created", actor=user, target=user, detail={"kind": "resident"})
            elif user.kind != AccountKind.RESIDENT or not user.is_active:
                record_event(
                    "auth.login_failed",
                    outcome="failure",
                    actor_label=mask_phone(phone),
                    detail={"method": "phone_code", "reason": "inactive"},
                )
                failed = True
    if failed:
        raise ValidationFailed(_("The code is wrong or has expired."), code="login_failed", field="code")
    assert user is not None
    do_start_session(request, user, method="phone_code")
    return user


def _name_is_locked(request: HttpRequest, username: str) -> bool:
    """Whether django-axes already locks this account name (so the audit tells an attempt during
    a lockout from the failure that started it)."""
    if not getattr(settings, "AXES_ENABLED", True):
        return False
    from axes.handlers.proxy import AxesProxyHandler

    return bool(AxesProxyHandler.is_locked(request, {"username": username}))


def do_login_with_password(request: HttpRequest, username: str, password: str) -> User:
    """First factor for staff. Returns the user signed in but not yet verified (no staff access
    until ``do_verify_second_factor``)."""
    identity = _client_identity()
    if ratelimit.exceeded(
        "login-ip", identity, limit=settings.LINLI_LOGIN_IP_LIMIT, window_seconds=LOGIN_WINDOW_SECONDS
    ):
        record_event(
            "auth.login_failed",
            outcome="denied",
            actor_label=username[:64],
            detail={"method": "password", "reason": "ip_limit"},
        )
        raise RateLimited(_("Too many sign-in attempts. Try again in 30 minutes."))
    locked_before = _name_is_locked(request, username)
    user = authenticate(request, username=username, password=password)
    if user is None:
        ratelimit.hit("login-ip", identity, limit=settings.LINLI_LOGIN_IP_LIMIT, window_seconds=LOGIN_WINDOW_SECONDS)
        locked = locked_before or bool(getattr(request, "axes_locked_out", False))
        detail: dict[str, Any] = {"method": "password", "reason": "locked" if locked_before else "bad_credentials"}
        if locked and not locked_before:
            detail["lockout_started"] = True  # this failure reached the limit
        record_event(
            "auth.login_failed",
            outcome="denied" if locked_before else "failure",
            actor_label=username[:64],
            detail=detail,
        )
        if locked:
            raise RateLimited(_("Too many failed attempts. Try again in 30 minutes."))
        raise ValidationFailed(_("Wrong username or password."), code="login_failed")
    do_start_session(request, user, method="password")
    return user


def confirmed_device(user: User) -> StaffTOTPDevice | None:
    return StaffTOTPDevice.objects.filter(user=user, confirmed=True).first()


def do_verify_second_factor(request: HttpRequest, user: User, token: str) -> bool:
    device = confirmed_device(user)
    with transaction.atomic():
        throttled = device is not None and not device.verify_is_allowed()[0]
        if device is None or not device.verify_token(token):
            reason = "no_device" if device is None else "throttled" if throttled else "wrong_code"
            record_event(
                "auth.second_factor_failed", outcome="failure", actor=user, target=user, detail={"reason": reason}
            )
            return False
        django_otp.login(request, device)
        record_event("auth.second_factor_passed", actor=user, target=user)
    # Privilege change: the password-only session id must not become a full staff session
    # (session fixation, issue 5 finding 3).
    rotate_session_key(request, user)
    request.session[REAUTH_SESSION_KEY] = timezone.now().timestamp()
    return True


def do_begin_totp_enrolment(user: User) -> StaffTOTPDevice:
    """Create (or reuse) an unconfirmed TOTP device with a fresh 160-bit seed."""
    with transaction.atomic():
        device = StaffTOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = StaffTOTPDevice.objects.create(
                user=user, name="TOTP", confirmed=False, encrypted_key=secrets.token_hex(20)
            )
            record_event("auth.totp_enrolment_started", actor=user, target=user)
    return device


def do_confirm_totp_enrolment(request: HttpRequest, user: User, token: str, *, link_id: int) -> bool:
    """Confirm the pending device with its first code, using the enrolment link ``link_id``
    (issue 5 finding 7: the password alone does not enrol an authenticator)."""
    from linli.accounts.actions.enrolment import refuse_enrolment_without_link, use_link

    with transaction.atomic():
        device = StaffTOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
        if device is None or not device.verify_token(token):
            record_event("auth.totp_enrolment_failed", outcome="failure", actor=user, target=user)
            return False
        enrolled = use_link(link_id, user)  # False: the link expired or was used or replaced meanwhile
        if enrolled:
            StaffTOTPDevice.objects.filter(user=user, confirmed=True).delete()
            StaffTOTPDevice.objects.filter(id=device.id).update(confirmed=True, confirmed_at=timezone.now())
            device.refresh_from_db()
            django_otp.login(request, device)
            record_event("auth.totp_enrolled", actor=user, target=user)
    if not enrolled:
        refuse_enrolment_without_link(user)
        return False
    rotate_session_key(request, user)
    request.session[REAUTH_SESSION_KEY] = timezone.now().timestamp()
    from linli.accounts.actions.sessions import do_end_other_sessions

    do_end_other_sessions(user, keep=getattr(request, "linli_session", None), reason="second_factor_changed")
    return True


def do_reset_second_factor(user: User, *, acting_user: User, email_base_url: str | None = None) -> bool:
    """Security administrator: remove a staff member's TOTP device (lost phone); they enrol again
    at next sign-in with an enrolment link. With ``email_base_url`` (the site's address) and an
    address on file, a new link is e-mailed to the staff member (never shown to the security
    administrator); returns whether it was. Ends all their sessions."""
    from linli.accounts.actions.enrolment import issue_after_second_factor_reset
    from linli.accounts.actions.sessions import do_end_other_sessions

    with transaction.atomic():
        StaffTOTPDevice.objects.filter(user=user).delete()
        record_event("account.second_factor_reset", actor=acting_user, target=user)
        emailed = issue_after_second_factor_reset(user, acting_user=acting_user, email_base_url=email_base_url)
    do_end_other_sessions(user, keep=None, reason="second_factor_reset")
    return emailed


def is_recently_authenticated(request: HttpRequest) -> bool:
    stamp = request.session.get(REAUTH_SESSION_KEY)
    if not stamp:
        return False
    return timezone.now().timestamp() - float(stamp) <= settings.LINLI_REAUTH_SECONDS


def do_reauthenticate_staff(request: HttpRequest, user: User, password: str, token: str) -> bool:
    device = confirmed_device(user)
    with transaction.atomic():
        ok = user.check_password(password) and device is not None and device.verify_token(token)
        record_event("auth.reauthenticated", actor=user, target=user, outcome="success" if ok else "failure")
    if ok:
        rotate_session_key(request, user)
        request.session[REAUTH_SESSION_KEY] = timezone.now().timestamp()
    return ok


def do_reauthenticate_resident(request: HttpRequest, user: User, code: str) -> bool:
    with transaction.atomic():
        ok = _check_login_code(user.phone, code)
        record_event("auth.reauthenticated", actor=user, target=user, outcome="success" if ok else "failure")
    if ok:
        rotate_session_key(request, user)
        request.session[REAUTH_SESSION_KEY] = timezone.now().timestamp()
    return ok


def do_change_password(request: HttpRequest, user: User, old_password: str, new_password: str) -> None:
    from django.contrib.auth import password_validation, update_session_auth_hash

    from linli.accounts.actions.sessions import do_end_other_sessions

    if not user.check_password(old_password):
        record_event("account.password_change_failed", outcome="failure", actor=user, target=user)
        raise ValidationFailed(_("The current password is wrong."), code="wrong_password", field="old_password")
    if hmac.compare_digest(old_password, new_password):
        raise ValidationFailed(
            _("Choose a password different from the current one."), code="password_reused", field="new_password"
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages), code="password_policy", field="new_password") from error
    with transaction.atomic():
        user.set_password(new_password)
        user.password_changed_at = timezone.now()
        user.save(update_fields=["password", "password_changed_at"])
        record_event("account.password_changed", actor=user, target=user)
    update_session_auth_hash(request, user)
    do_end_other_sessions(user, keep=getattr(request, "linli_session", None), reason="password_changed")


def lockout_identity(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    return str((credentials or {}).get("username", ""))


def do_expire_login_codes(*, now: datetime.datetime | None = None) -> int:
    """Housekeeping job: delete sign-in codes past their expiry (used or not); they can never be
    accepted again and each row holds a keyed hash of a phone number. Returns the count."""
    now = now or timezone.now()
    with transaction.atomic():
        deleted = LoginCode.objects.filter(expires_at__lte=now).delete()[0]
        if deleted:
            record_event("auth.login_codes_purged", actor_label="system", detail={"count": deleted})
    return deleted
