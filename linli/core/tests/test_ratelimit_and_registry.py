"""Rate limiter windows and the module registry."""

from __future__ import annotations

import pytest
import time_machine

from linli.core import ratelimit, registry


@pytest.mark.django_db
def test_fixed_window_limit_and_reset() -> None:
    with time_machine.travel("2026-11-29 10:00:05", tick=False):
        results = [ratelimit.hit("test", "alice", limit=3, window_seconds=60) for _ in range(5)]
        assert results == [True, True, True, False, False]
        assert ratelimit.exceeded("test", "alice", limit=3, window_seconds=60)
        assert ratelimit.hit("test", "bob", limit=3, window_seconds=60)
    with time_machine.travel("2026-11-29 10:01:05", tick=False):
        assert ratelimit.hit("test", "alice", limit=3, window_seconds=60)


def test_registry_lists_foundation_modules_and_navigation() -> None:
    names = {module.name for module in registry.modules()}
    assert {"areas", "accounts", "audit"} <= names
    staff_urls = {entry.url_name for entry in registry.navigation("staff")}
    assert "areas:tree" in staff_urls and "audit:events" in staff_urls
    resident_urls = {entry.url_name for entry in registry.navigation("resident")}
    assert "audit:events" not in resident_urls


def test_registry_refuses_a_second_module_with_the_same_name() -> None:
    existing = registry.modules()[0]
    clone = registry.ModuleManifest(name=existing.name, label="clone")
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(clone)
