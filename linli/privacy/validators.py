"""Server-side validators for identifiers (SECURITY.md D6).

* Resident identity number, GB 11643-1999: 6-digit region code, 8-digit birth date, 3-digit
  sequence, check character by ISO 7064 MOD 11-2.
* Unified social credit code, GB 32100-2015: 18 characters over a 31-symbol alphabet, check
  character by the standard's weighted MOD 31.
* Mainland mobile phone numbers: 11 digits starting with 1[3-9].
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
ID_CHECK = "10X98765432"
# Province-level codes of GB/T 2260 (first two digits of the region code).
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}  # fmt: skip
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
USCC_PATTERN = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
PHONE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")


def id_number_check_character(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def normalise_id_number(value: str) -> str:
    """Full-width characters folded (``１１０…``), spaces removed, ``x`` upper-cased."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value or "")).upper()


def validate_id_number(value: str, *, today: datetime.date | None = None) -> str:
    """Return the normalised number or raise ValidationError with a code."""
    number = normalise_id_number(value)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise ValidationError(_("An ID number has 17 digits followed by a digit or X."), code="id_format")
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(_("The ID number's region code is not a known province."), code="id_region")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The ID number's birth date is not a real date."), code="id_birth_date") from None
    today = today or datetime.date.today()
    if birth > today or birth.year < 1890:
        raise ValidationError(_("The ID number's birth date is out of range."), code="id_birth_date")
    if id_number_check_character(number[:17]) != number[17]:
        raise ValidationError(_("The ID number's check character is wrong."), code="id_checksum")
    return number


def birth_date_from_id_number(number: str) -> datetime.date:
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def uscc_check_character(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_social_credit_code(value: str) -> str:
    """Return the normalised code or raise ValidationError with a code."""
    code = re.sub(r"\s", "", unicodedata.normalize("NFKC", value or "")).upper()
    if not USCC_PATTERN.fullmatch(code):
        raise ValidationError(_("A unified social credit code has 18 characters."), code="uscc_format")
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(_("The unified social credit code's check character is wrong."), code="uscc_checksum")
    return code


def normalise_phone(value: str) -> str:
    """``+86 138-1234-5678``, ``0086 13812345678`` and full-width digits all become ``13812345678``."""
    phone = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", value or ""))
    if phone.startswith("+86"):
        phone = phone[3:]
    elif phone.startswith("0086"):
        phone = phone[4:]
    return phone


def validate_phone(value: str) -> str:
    phone = normalise_phone(value)
    if not PHONE_PATTERN.fullmatch(phone):
        raise ValidationError(_("Enter an 11-digit mainland mobile number."), code="phone_format")
    return phone
