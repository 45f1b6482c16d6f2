"""The browser-test harness (``linli/testing_browser.py``) decides between skipping and failing when
Chromium is missing, and launches Chromium as the CI machines need."""

from __future__ import annotations

import pytest

from linli import testing_browser


def test_missing_browser_skips_with_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception) as skipped:
        testing_browser._unavailable(testing_browser.MISSING_CHROMIUM)

    assert str(skipped.value) == "Chromium not installed: apt-get install chromium fonts-noto-cjk"


def test_missing_browser_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception) as failed:
        testing_browser._unavailable(testing_browser.MISSING_CHROMIUM)

    assert (
        str(failed.value)
        == "Chromium not installed: apt-get install chromium fonts-noto-cjk (CI=true: the browser tests must run)"
    )


def test_chromium_is_launched_as_the_ci_machines_need() -> None:
    assert str(testing_browser.CHROMIUM) == "/usr/bin/chromium"
    assert testing_browser.CHROMIUM_ARGS == [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
