"""Reads of the demo records: the fictional accounts (演示账号) with where they work or live, and
the current TOTP codes of the demo staff accounts. Only accounts recorded in ``DemoAccount`` are
ever returned, never a real account."""

from __future__ import annotations

import time
from dataclasses import dataclass

from django_otp.oath import hotp

from linli.accounts.models import RoleAssignment, StaffTOTPDevice
from linli.areas.models import Area, AreaKind
from linli.demo.models import DemoAccount, DemoAccountLabel, DemoDataset

TOTP_STEP_SECONDS = 30


@dataclass(frozen=True)
class DemoAccountEntry:
    user_id: int
    label: str
    role: str  # translated label
    username: str
    sign_in: str  # the username for staff, the phone number for residents
    area: str
    is_staff: bool


@dataclass(frozen=True)
class AuthenticatorCode:
    account: DemoAccountEntry
    code: str
    seconds_remaining: int


def current_dataset() -> DemoDataset | None:
    return DemoDataset.objects.first()


def demo_accounts(*, staff_only: bool = False) -> list[DemoAccountEntry]:
    """The demo accounts in display order (3 queries)."""
    accounts = list(DemoAccount.objects.select_related("user", "area").order_by("position"))
    if staff_only:
        accounts = [account for account in accounts if account.is_staff_account]
    ancestor_ids = {ancestor for account in accounts if account.area for ancestor in account.area.ancestor_ids()}
    names = dict(Area.objects.filter(id__in=ancestor_ids, kind__gte=AreaKind.COMMUNITY).values_list("id", "name"))
    departments = dict(
        RoleAssignment.objects.active()
        .filter(user_id__in=[account.user_id for account in accounts], department__isnull=False)
        .values_list("user_id", "department__name")
    )
    entries = []
    for account in accounts:
        user = account.user
        area = account.area
        if area is None:
            place = ""
        elif area.kind >= AreaKind.COMMUNITY:
            place = " ".join(names[ancestor] for ancestor in area.ancestor_ids() if ancestor in names)
        else:
            place = area.name
        if account.user_id in departments:
            place = f"{departments[account.user_id]} · {place}"
        staff = account.is_staff_account
        entries.append(
            DemoAccountEntry(
                user_id=account.user_id,
                label=account.label,
                role=str(DemoAccountLabel(account.label).label),
                username=user.username,
                sign_in=user.username if staff else user.phone,
                area=place,
                is_staff=staff,
            )
        )
    return entries


def authenticator_codes(now: float | None = None) -> list[AuthenticatorCode]:
    """The current 6-digit TOTP code of each demo staff account (4 queries)."""
    now = time.time() if now is None else now
    step = int(now) // TOTP_STEP_SECONDS
    remaining = TOTP_STEP_SECONDS - int(now) % TOTP_STEP_SECONDS
    entries = demo_accounts(staff_only=True)
    devices = {
        device.user_id: device
        for device in StaffTOTPDevice.objects.filter(user_id__in=[entry.user_id for entry in entries], confirmed=True)
    }
    codes = []
    for entry in entries:
        device = devices.get(entry.user_id)
        if device is None:
            continue
        codes.append(AuthenticatorCode(entry, f"{hotp(device.bin_key, step, digits=6):06d}", remaining))
    return codes
