"""System checks run by ``manage.py check`` (and so by ``check --deploy`` in CI)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from linli.core.environment import MINIMUM_AUDIT_RETENTION_DAYS


@checks.register(checks.Tags.security, deploy=True)
def production_keys_check(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if getattr(settings, "IS_PRODUCTION", False) and settings.LINLI_KEYS_ARE_DEVELOPMENT:
        errors.append(checks.Error("development keys in production", id="linli.E001"))
    if settings.LINLI_AUDIT_RETENTION_DAYS < MINIMUM_AUDIT_RETENTION_DAYS:
        errors.append(checks.Error("audit retention below 184 days", id="linli.E002"))
    return errors
