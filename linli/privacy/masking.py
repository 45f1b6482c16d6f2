"""Masking helpers: the default display of personal data in templates, API schemas and exports.

ID ``1101**********1234`` keeps the province and city digits and the last 4; phone
``138****5678`` keeps the carrier prefix and the last 4; names keep the surname (``张*``,
``欧阳**``, compound surnames such as 欧阳 whole)."""

from __future__ import annotations

import re

COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
)


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    value = re.sub(r"\s", "", value)
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str | None) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    for surname in COMPOUND_SURNAMES:
        if value.startswith(surname) and len(value) > len(surname):
            return surname + "*" * (len(value) - len(surname))
    if len(value) == 1:
        return "*"
    if value.isascii():
        return value[0] + "***"
    return value[0] + "*" * (len(value) - 1)


def mask_address(value: str | None, keep: int = 6) -> str:
    if not value:
        return ""
    return value[:keep] + "****" if len(value) > keep else value


def mask_email(value: str | None) -> str:
    if not value or "@" not in value:
        return value or ""
    local, _, domain = value.partition("@")
    return (local[:1] + "***@" + domain) if local else "***@" + domain


MASKERS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "name": mask_name,
    "address": mask_address,
    "email": mask_email,
}
