"""Say plainly at the end of a run when the browser tests were skipped (no Chromium here)."""

from __future__ import annotations

from typing import Any

BROWSER_SKIP_MARK = "Chromium not installed"


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if BROWSER_SKIP_MARK in str(getattr(report, "longrepr", ""))
    ]
    if skipped:
        terminalreporter.write_sep("-", "browser tests skipped", yellow=True)
        terminalreporter.write_line(
            f"{len(skipped)} browser test(s) skipped: Chromium not installed: apt-get install chromium fonts-noto-cjk "
            "(with CI=true a missing browser fails the run)"
        )
