"""docs/permissions.md lists every registered permission (the matrix stays complete)."""

from __future__ import annotations

from pathlib import Path

import rules.permissions

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"


def test_every_permission_is_in_the_matrix() -> None:
    text = DOC.read_text(encoding="utf-8")
    names = [
        name
        for name in rules.permissions.permissions
        if name.split(".")[0] in {"areas", "accounts", "audit", "privacy", "notify"}
    ]
    assert len(names) >= 15
    missing = [name for name in names if f"`{name}`" not in text]
    assert not missing, f"docs/permissions.md misses {missing}"
