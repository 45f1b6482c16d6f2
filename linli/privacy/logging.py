"""A logging filter that masks ID and phone numbers before a record is written (SECURITY.md C3).

``scrub`` is also what ``record_event`` applies to every text it stores in the audit log."""

from __future__ import annotations

import logging
import re

# 18-character resident ID numbers (GB 11643): region 6 + birth date 8 + sequence 3 + check.
ID_PATTERN = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?!\d)")
# Mainland mobile numbers, optionally written with +86/0086 and spaces or dashes (138 1234 5678).
PHONE_PATTERN = re.compile(r"(?<![\d+])((?:\+|00)?86[\s-]?)?(1[3-9]\d)[\s-]?\d{4}[\s-]?(\d{4})(?!\d)")


def scrub(text: str) -> str:
    """Mask every ID number (``1101**********1234``) and mobile number (``138****5678``)."""
    text = ID_PATTERN.sub(lambda m: m.group(1)[:4] + "*" * 10 + m.group(2), text)
    return PHONE_PATTERN.sub(lambda m: (m.group(1) or "") + m.group(2) + "****" + m.group(3), text)


class PersonalDataFilter(logging.Filter):
    """Rewrites the record's message (and any traceback text) with numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        cleaned = scrub(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
