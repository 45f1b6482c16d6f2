"""A logging filter that masks ID and phone numbers before a record is written (SECURITY.md C3)."""

from __future__ import annotations

import logging
import re

ID_PATTERN = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
PHONE_PATTERN = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")


def scrub(text: str) -> str:
    text = ID_PATTERN.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(2), text)
    return PHONE_PATTERN.sub(lambda m: m.group(1) + "****" + m.group(2), text)


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
