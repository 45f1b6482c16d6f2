"""The staff password policy (SECURITY.md A2): at least 12 characters (Django's
MinimumLengthValidator), 3 of 4 character classes (this validator), not a common password
(CommonPasswordValidator), rotated every 90 days (``password_expired``)."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _


class CharacterClassValidator:
    def __init__(self, required_classes: int = 3) -> None:
        self.required_classes = required_classes

    def validate(self, password: str, user: Any = None) -> None:
        classes = [
            any(char.islower() for char in password),
            any(char.isupper() for char in password),
            any(char.isdigit() for char in password),
            any(not char.isalnum() for char in password),
        ]
        if sum(classes) < self.required_classes:
            raise ValidationError(
                _("Use at least %(count)d of: lower-case letters, capitals, digits, symbols.")
                % {"count": self.required_classes},
                code="password_character_classes",
            )

    def get_help_text(self) -> str:
        return _("Use at least %(count)d of: lower-case letters, capitals, digits, symbols.") % {
            "count": self.required_classes
        }


def password_expired(user: Any, now: datetime.datetime | None = None) -> bool:
    if user.kind != "staff" or user.password_changed_at is None:
        return user.kind == "staff"
    now = now or timezone.now()
    return now - user.password_changed_at > datetime.timedelta(days=settings.LINLI_STAFF_PASSWORD_MAX_AGE_DAYS)
