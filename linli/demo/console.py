"""What ``linli demo`` and ``linli demo_accounts`` print: where to go, how to sign in, and the table
of demo accounts. Operator console text, in English like the rest of the command output."""

from __future__ import annotations

import os
import unicodedata

from linli.demo.generator import DEMO_PASSWORD
from linli.demo.models import DemoDataset
from linli.demo.selectors import DemoAccountEntry


def base_url() -> str:
    return f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/"


def display_width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - display_width(text))


def accounts_table(entries: list[DemoAccountEntry]) -> list[str]:
    header = ("Role", "Sign in with", "Area")
    rows = [header] + [(entry.role, entry.sign_in, entry.area) for entry in entries]
    widths = [max(display_width(row[column]) for row in rows) for column in range(2)]
    lines = []
    for index, (role, sign_in, area) in enumerate(rows):
        lines.append(f"  {pad(role, widths[0])}  {pad(sign_in, widths[1])}  {area}".rstrip())
        if index == 0:
            lines.append(f"  {'-' * widths[0]}  {'-' * widths[1]}  {'-' * 4}")
    return lines


def sign_in_guide(dataset: DemoDataset, entries: list[DemoAccountEntry]) -> str:
    url = base_url()
    resident = next((entry for entry in entries if entry.label == "resident_verified"), None)
    staff = next((entry for entry in entries if entry.is_staff), None)
    resident_phone = resident.sign_in if resident else "the phone number of a resident below"
    staff_name = staff.sign_in if staff else "a staff username below"
    lines = [
        f"Demo street: scale {dataset.scale}, seed {dataset.seed}. All people and data are fictional.",
        "",
        f"Open {url}",
        "",
        "Sign in as a resident:",
        f"  1. Go to {url}accounts/login/ and enter the mobile number {resident_phone}.",
        '  2. Press "Send code" (获取验证码).',
        f"  3. Read the 6-digit code in the demo SMS outbox at {url}dev/sms/ and enter it.",
        "",
        "Sign in as staff:",
        f"  1. Go to {url}accounts/staff-login/ and enter the username {staff_name} "
        f"with the demo password {DEMO_PASSWORD}",
        f"  2. Read the current 6-digit code on the demo authenticator page at {url}dev/authenticator/ and enter it.",
        "",
        f"Demo accounts (staff password for all: {DEMO_PASSWORD}):",
        *accounts_table(entries),
    ]
    return "\n".join(lines)
