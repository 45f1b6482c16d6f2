"""docs/permissions.md lists every registered permission (the matrix stays complete)."""

from __future__ import annotations

from pathlib import Path

import rules.permissions
from django.apps import apps

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"


def test_every_permission_is_in_the_matrix() -> None:
    text = DOC.read_text(encoding="utf-8")
    linli_apps = {config.label for config in apps.get_app_configs() if config.name.startswith("linli.")}
    names = [name for name in rules.permissions.permissions if name.split(".")[0] in linli_apps]
    assert len(names) >= 15
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"docs/permissions.md misses {missing}"
