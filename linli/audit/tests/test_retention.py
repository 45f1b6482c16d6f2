"""Retention (SECURITY.md C6): a setting below 184 days is refused, in development and production."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from linli.core.environment import MINIMUM_AUDIT_RETENTION_DAYS, check_production_safety

SAFE = {"debug": False, "demo_mode": False, "development_keys": False, "allowed_hosts": ["linli.example.cn"]}


def test_the_minimum_is_six_months():
    assert MINIMUM_AUDIT_RETENTION_DAYS == 184


@pytest.mark.parametrize("production", [False, True])
@pytest.mark.parametrize("days", [0, 30, 183])
def test_less_than_184_days_is_refused(production, days):
    with pytest.raises(ImproperlyConfigured, match=f"LINLI_AUDIT_RETENTION_DAYS={days}: .* at least 184 days"):
        check_production_safety(production=production, audit_retention_days=days, **SAFE)


@pytest.mark.parametrize("production", [False, True])
@pytest.mark.parametrize("days", [184, 365, 3650])
def test_184_days_or_more_is_accepted(production, days):
    assert check_production_safety(production=production, audit_retention_days=days, **SAFE) is None


def test_the_running_configuration_keeps_at_least_184_days():
    assert settings.LINLI_AUDIT_RETENTION_DAYS >= 184


def test_settings_refuse_to_load_with_a_short_retention(monkeypatch):
    import importlib

    import linli.settings as settings_module

    monkeypatch.setenv("LINLI_AUDIT_RETENTION_DAYS", "100")
    with pytest.raises(ImproperlyConfigured, match="LINLI_AUDIT_RETENTION_DAYS=100"):
        importlib.reload(settings_module)
    monkeypatch.delenv("LINLI_AUDIT_RETENTION_DAYS")
    importlib.reload(settings_module)
