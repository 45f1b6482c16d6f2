"""Human, translated labels for what audit rows store as codes: event types, object types, roles
and sources. The audit viewer, its filter and the CSV export show these, never the raw code
(issue 5, newcomer finding 4). A test walks every ``record_event`` call in the code base and fails
when an event type has no label here."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

EVENT_LABELS: dict[str, Any] = {
    # sign-in and sessions
    "auth.login": _("Sign-in succeeded"),
    "auth.login_failed": _("Sign-in failed"),
    "auth.login_code_sent": _("Sign-in code sent"),
    "auth.login_codes_purged": _("Expired sign-in codes deleted"),
    "auth.second_factor_passed": _("Second factor passed"),
    "auth.second_factor_failed": _("Second factor failed"),
    "auth.reauthenticated": _("Identity confirmed again"),
    "auth.session_ended": _("Session ended"),
    "auth.session_rotated": _("Session key renewed"),
    "auth.sessions_ended": _("Sessions ended"),
    "auth.sessions_purged": _("Old sessions deleted"),
    "auth.totp_enrolment_started": _("Authenticator enrolment started"),
    "auth.totp_enrolment_failed": _("Authenticator enrolment failed"),
    "auth.totp_enrolled": _("Authenticator enrolled"),
    "auth.enrolment_link_used": _("Enrolment link used"),
    "auth.enrolment_link_refused": _("Enrolment link refused"),
    "authz.denied": _("Access denied"),
    # accounts
    "account.created": _("Account created"),
    "account.disabled": _("Account disabled"),
    "account.enabled": _("Account enabled"),
    "account.password_changed": _("Password changed"),
    "account.password_change_failed": _("Password change failed"),
    "account.password_reset": _("Password reset"),
    "account.preferences_changed": _("Preferences changed"),
    "account.second_factor_reset": _("Second factor reset"),
    "account.email_change_requested": _("E-mail change requested"),
    "account.email_change_refused": _("E-mail change refused"),
    "account.email_changed": _("E-mail address changed"),
    "account.enrolment_link_issued": _("Enrolment link issued"),
    "account.enrolment_link_refused": _("Enrolment link refused"),
    "role.assigned": _("Role assigned"),
    "role.assign_refused": _("Role assignment refused"),
    "role.revoked": _("Role revoked"),
    "role.revoke_refused": _("Role revocation refused"),
    "api_token.issued": _("API token issued"),
    "api_token.revoked": _("API token revoked"),
    "api.auth_failed": _("API sign-in failed"),
    # residents and homes
    "resident.link_requested": _("Home link requested"),
    "resident.link_verified": _("Home link verified"),
    "resident.link_rejected": _("Home link rejected"),
    "resident.link_revoked": _("Home link revoked"),
    "resident.link_withdrawn": _("Home link withdrawn"),
    "resident.letters_issued": _("Verification letters issued"),
    "resident.letter_code_failed": _("Wrong letter code"),
    "resident.evidence_viewed": _("Home evidence viewed"),
    # areas
    "area.created": _("Area created"),
    "area.updated": _("Area changed"),
    "area.deactivated": _("Area deactivated"),
    "area.reactivated": _("Area reactivated"),
    "area.imported": _("Areas imported"),
    # personal data
    "privacy.revealed": _("Personal data revealed"),
    "privacy.reveal_denied": _("Reveal refused"),
    "privacy.keys_rotated": _("Encryption keys rotated"),
    # notices and notifications
    "notice.published": _("Notice published"),
    "notice.scheduled": _("Notice scheduled"),
    "notice.corrected": _("Notice corrected"),
    "notice.withdrawn": _("Notice withdrawn"),
    "notice.read": _("Notice read"),
    "notice.reminded": _("Notice reminder sent"),
    "notification.sent": _("Notification sent"),
    # audit and demo
    "audit.exported": _("Audit events exported"),
    "demo.loaded": _("Demo data loaded"),
}

CATEGORY_LABELS: dict[str, Any] = {
    "auth": _("Sign-in"),
    "authz": _("Access control"),
    "account": _("Accounts"),
    "role": _("Roles"),
    "api_token": _("API tokens"),
    "api": _("API"),
    "resident": _("Residents and homes"),
    "area": _("Areas"),
    "privacy": _("Personal data"),
    "notice": _("Notices"),
    "notification": _("Notifications"),
    "audit": _("Audit"),
    "demo": _("Demo"),
}

OBJECT_LABELS: dict[str, Any] = {
    "accounts.user": _("Account"),
    "accounts.roleassignment": _("Role assignment"),
    "accounts.dwellinglink": _("Home link"),
    "accounts.dwellingevidence": _("Home evidence"),
    "accounts.verificationletter": _("Verification letter"),
    "accounts.logincode": _("Sign-in code"),
    "accounts.usersession": _("Session"),
    "accounts.stafftotpdevice": _("Authenticator"),
    "accounts.apitoken": _("API token"),
    "accounts.emailchangerequest": _("E-mail change"),
    "accounts.staffenrolmentlink": _("Enrolment link"),
    "areas.area": _("Area"),
    "areas.department": _("Department"),
    "audit.auditevent": _("Audit events"),
    "privacy.revealrecord": _("Reveal record"),
    "notify.notification": _("Notification"),
    "notify.delivery": _("Delivery"),
    "notices.notice": _("Notice"),
    "notices.noticeversion": _("Notice version"),
    "notices.noticeattachment": _("Notice attachment"),
    "notices.noticereceipt": _("Notice read receipt"),
    "notices.noticereminder": _("Notice reminder"),
    "demo.demodataset": _("Demo data"),
    "demo.demoaccount": _("Demo account"),
    "api": _("API"),
    "url": _("Page"),
    "phone": _("Phone number"),
}

SOURCE_LABELS: dict[str, Any] = {
    "web": _("Web"),
    "api": _("API"),
    "job": _("Background job"),
    "command": _("Server command"),
    "system": _("System"),
}


def event_label(code: str) -> str:
    label = EVENT_LABELS.get(code)
    if label is not None:
        return str(label)
    category = CATEGORY_LABELS.get(code.partition(".")[0])
    if category is not None:
        return gettext("Other event (%(category)s)") % {"category": category}
    return gettext("Other event")


def object_label(code: str) -> str:
    if not code:
        return ""
    label = OBJECT_LABELS.get(code)
    if label is not None:
        return str(label)
    from django.apps import apps

    try:
        model = apps.get_model(code)
    except (LookupError, ValueError):
        return gettext("Other object")
    return str(model._meta.verbose_name).capitalize()


def role_labels(codes: str) -> str:
    """``grid_worker,community_worker`` → ``网格员、社区工作者``."""
    from linli.accounts.models import Role

    names = {value: label for value, label in Role.choices}
    parts = [code for code in codes.split(",") if code]
    return pgettext("list separator", ", ").join(str(names.get(code, gettext("other role"))) for code in parts)


def source_label(code: str) -> str:
    label = SOURCE_LABELS.get(code)
    return str(label) if label is not None else gettext("Other source")


def event_type_choices(codes: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Filter choices grouped by category (optgroups), each group sorted by its label."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in codes:
        category = CATEGORY_LABELS.get(code.partition(".")[0])
        group = str(category) if category is not None else gettext("Other")
        groups.setdefault(group, []).append((code, event_label(code)))
    return [(group, sorted(choices, key=lambda item: item[1])) for group, choices in sorted(groups.items())]


def object_type_choices(codes: list[str]) -> list[tuple[str, str]]:
    return sorted(((code, object_label(code)) for code in codes if code), key=lambda item: item[1])
