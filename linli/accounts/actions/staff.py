"""Staff accounts: creation, disabling and enabling, password reset by an administrator, and the
dormant-account job (SECURITY.md A1, A2, B4, C1).

Every staff account belongs to one named person and is created by a system administrator
(系统管理员); there are no default or shared accounts (A1) — not even the first administrator, who
is created on the command line by the operator. A new account (and one whose password an
administrator reset) has ``password_changed_at = None``: its first sign-in ends on the password
change page (``linli.accounts.passwords.password_expired``), so only its owner knows the password
it works with.

A staff member's mobile number is stored encrypted for contact only; it gets no blind index, so it
never collides with, or signs in as, a resident account with the same number (staff who are also
residents keep a separate resident account).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.actions.roles import account_in_remit, held_role_paths
from linli.accounts.actions.sessions import do_end_other_sessions
from linli.accounts.models import AccountKind, Role, User
from linli.audit.actions import record_event
from linli.core.errors import Conflict, PermissionRefused, ValidationFailed
from linli.privacy.validators import validate_phone

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_REASON_LENGTH = 4
DORMANT_REASON = "dormant"
"""``disabled_reason`` of accounts disabled by the dormant-account job (shown translated)."""


def validate_username(username: str) -> str:
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise ValidationFailed(
            _("A username has 3–64 lower-case letters, digits, dots, dashes or underscores."),
            code="username_format",
            field="username",
        )
    return username


def validate_staff_password(password: str, account: User) -> None:
    """The staff password policy (A2): ``AUTH_PASSWORD_VALIDATORS``."""
    try:
        password_validation.validate_password(password, account)
    except ValidationError as error:
        raise ValidationFailed(" ".join(error.messages), code="password_policy", field="password") from error


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationFailed(_("Give a reason (at least 4 characters)."), code="reason_required", field="reason")
    return reason[:200]


def _check_system_admin(acting_user: Any, account: User | None = None) -> None:
    """The acting user holds the system administrator role (in the database) and, for an existing
    account, every role of that account lies inside their remit."""
    if acting_user is None or not getattr(acting_user, "is_active", False):
        raise PermissionRefused(_("Only a system administrator may manage staff accounts."), code="not_system_admin")
    paths = held_role_paths(acting_user, {Role.SYSTEM_ADMIN})
    if not paths:
        raise PermissionRefused(_("Only a system administrator may manage staff accounts."), code="not_system_admin")
    if account is not None:
        if account.kind != AccountKind.STAFF:
            raise PermissionRefused(_("This is not a staff account."), code="not_staff")
        if not account_in_remit(account, paths):
            raise PermissionRefused(_("This account is outside your remit."), code="account_out_of_remit")


def do_create_staff_account(
    *,
    username: str,
    display_name: str,
    password: str,
    email: str = "",
    phone: str = "",
    acting_user: User,
) -> User:
    """Create a staff account with an initial password the owner must change at first sign-in."""
    _check_system_admin(acting_user)
    username = validate_username(username)
    display_name = display_name.strip()
    if not display_name:
        raise ValidationFailed(_("Enter the person's name."), code="name_required", field="display_name")
    phone = phone.strip()
    if phone:
        try:
            phone = validate_phone(phone)
        except ValidationError as error:
            raise ValidationFailed(" ".join(error.messages), code="phone_format", field="phone") from error
    account = User(
        username=username,
        kind=AccountKind.STAFF,
        display_name=display_name[:64],
        email=email.strip(),
        phone=phone,
        password_changed_at=None,
    )
    validate_staff_password(password, account)
    account.set_password(password)
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_("This username is taken."), code="username_taken", field="username")
        account.save()
        record_event(
            "account.created",
            actor=acting_user,
            target=account,
            role=Role.SYSTEM_ADMIN,
            detail={"kind": "staff", "username": username, "has_phone": bool(phone), "has_email": bool(email)},
        )
    return account


def do_disable_staff_account(account: User, *, reason: str, acting_user: User) -> None:
    """Disable a staff account and end all its sessions at once."""
    reason = _reason(reason)
    _check_system_admin(acting_user, account)
    if account.pk == acting_user.pk:
        raise ValidationFailed(_("You cannot disable your own account."), code="disable_self")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=account.pk)
        if not locked.is_active:
            raise Conflict(_("This account is already disabled."), code="already_disabled")
        locked.is_active = False
        locked.disabled_reason = reason
        locked.save(update_fields=["is_active", "disabled_reason"])
        record_event(
            "account.disabled", actor=acting_user, target=locked, role=Role.SYSTEM_ADMIN, detail={"reason": reason}
        )
        do_end_other_sessions(locked, keep=None, reason="account_disabled")
    account.refresh_from_db(fields=["is_active", "disabled_reason"])


def do_enable_staff_account(account: User, *, reason: str, acting_user: User) -> None:
    """Enable a disabled staff account. The dormancy clock (``last_seen_at``) restarts now, or the
    next run of the dormant-account job would disable the account again before its owner signs in.
    A password older than 90 days must still be changed at the next sign-in."""
    reason = _reason(reason)
    _check_system_admin(acting_user, account)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=account.pk)
        if locked.is_active:
            raise Conflict(_("This account is already enabled."), code="already_enabled")
        locked.is_active = True
        locked.disabled_reason = ""
        locked.last_seen_at = timezone.now()
        locked.save(update_fields=["is_active", "disabled_reason", "last_seen_at"])
        record_event(
            "account.enabled", actor=acting_user, target=locked, role=Role.SYSTEM_ADMIN, detail={"reason": reason}
        )
    account.refresh_from_db(fields=["is_active", "disabled_reason", "last_seen_at"])


def do_reset_staff_password(account: User, *, password: str, acting_user: User) -> None:
    """Set a new initial password for a staff member who forgot theirs. They must change it at
    their next sign-in; all their sessions end."""
    _check_system_admin(acting_user, account)
    if account.pk == acting_user.pk:
        raise ValidationFailed(
            _("Change your own password on your account page."), code="reset_own_password", field="password"
        )
    validate_staff_password(password, account)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=account.pk)
        locked.set_password(password)
        locked.password_changed_at = None
        locked.save(update_fields=["password", "password_changed_at"])
        record_event("account.password_reset", actor=acting_user, target=locked, role=Role.SYSTEM_ADMIN)
        do_end_other_sessions(locked, keep=None, reason="password_reset")
    account.refresh_from_db(fields=["password", "password_changed_at"])


def do_reset_staff_second_factor(account: User, *, acting_user: User, email_base_url: str | None = None) -> bool:
    """Security administrator: remove the authenticator of a staff member who lost it, through
    ``login.do_reset_second_factor`` (audited, ends all their sessions); they enrol a new one with
    an enrolment link, e-mailed to them when they have an address (returns whether it was) or
    issued by a system administrator. Only for accounts in the administrator's remit, never their
    own."""
    from linli.accounts.actions.login import do_reset_second_factor

    paths = held_role_paths(acting_user, {Role.SECURITY_ADMIN}) if getattr(acting_user, "is_active", False) else []
    if not paths:
        raise PermissionRefused(
            _("Only a security administrator may reset a second factor."), code="not_security_admin"
        )
    if account.kind != AccountKind.STAFF or not account_in_remit(account, paths):
        raise PermissionRefused(_("This account is outside your remit."), code="account_out_of_remit")
    if account.pk == acting_user.pk:
        raise PermissionRefused(_("You cannot reset your own second factor."), code="own_second_factor")
    return do_reset_second_factor(account, acting_user=acting_user, email_base_url=email_base_url)


def do_create_first_administrator(
    *, username: str, display_name: str, password: str, role: str, area: Any, email: str = ""
) -> User:
    """Operator bootstrap and recovery, for a console command only (there is no default account,
    A1): create an administrator account holding ``role`` (system, security or audit
    administrator) at ``area``. Refused while any active account holds that role at all, so it
    cannot mint a second administrator beside working ones; it works again when every holder was
    disabled (for example by the dormant-account job). The password policy applies and the
    password must be changed at first sign-in, after enrolling the authenticator app. Audited as
    ``account.created`` and ``role.assigned`` with the actor ``operator``."""
    from linli.accounts.actions.roles import ROLE_AREA_KINDS
    from linli.accounts.models import ADMIN_ROLES, RoleAssignment

    if role not in ADMIN_ROLES:
        raise ValidationFailed(_("Choose an administrator role."), code="role_not_admin", field="role")
    if area is None or not area.is_active or area.kind not in ROLE_AREA_KINDS[role]:
        raise ValidationFailed(
            _("Administrators are placed at a district or a street."), code="role_area_kind", field="area"
        )
    username = validate_username(username)
    display_name = display_name.strip()
    if not display_name:
        raise ValidationFailed(_("Enter the person's name."), code="name_required", field="display_name")
    account = User(
        username=username,
        kind=AccountKind.STAFF,
        display_name=display_name[:64],
        email=email.strip(),
        password_changed_at=None,
    )
    validate_staff_password(password, account)
    account.set_password(password)
    with transaction.atomic():
        holders = RoleAssignment.objects.active().filter(role=role, user__is_active=True)
        if holders.exists():
            raise Conflict(
                _("An active account already holds this role; ask that administrator instead."),
                code="role_already_held",
            )
        if User.objects.filter(username__iexact=username).exists():
            raise Conflict(_("This username is taken."), code="username_taken", field="username")
        account.save()
        assignment = RoleAssignment.objects.create(user=account, role=role, area=area)
        record_event(
            "account.created",
            actor_label="operator",
            target=account,
            detail={"kind": "staff", "username": username, "bootstrap": True},
        )
        record_event(
            "role.assigned",
            actor_label="operator",
            target=account,
            area_id=area.pk,
            detail={"assignment": assignment.pk, "role": role, "area_code": area.code, "department": None},
        )
    return account


def dormant_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=settings.LINLI_STAFF_DORMANT_DAYS)


def do_disable_dormant_accounts(*, now: datetime.datetime | None = None) -> list[int]:
    """Disable every active staff account without a sign-in for ``LINLI_STAFF_DORMANT_DAYS``
    (default 90; an account that never signed in counts from its creation). Each is audited as
    ``account.disabled`` with reason ``dormant``; their sessions end. Returns the account ids."""
    cutoff = dormant_cutoff(now)
    days = settings.LINLI_STAFF_DORMANT_DAYS
    with transaction.atomic():
        dormant = list(
            User.objects.select_for_update()
            .filter(kind=AccountKind.STAFF, is_active=True)
            .filter(Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True, date_joined__lt=cutoff))
            .order_by("id")
        )
        for account in dormant:
            account.is_active = False
            account.disabled_reason = DORMANT_REASON
            account.save(update_fields=["is_active", "disabled_reason"])
            record_event(
                "account.disabled",
                actor_label="system",
                target=account,
                detail={"reason": DORMANT_REASON, "dormant_days": days},
            )
            do_end_other_sessions(account, keep=None, reason="account_disabled")
    return [account.pk for account in dormant]
