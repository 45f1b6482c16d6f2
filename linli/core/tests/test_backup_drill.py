"""SECURITY.md test 9: back up → restore into scratch → integrity check, row counts and the audit
chain match. Runs the real ``linli`` command in subprocesses against file databases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from linli.core.backup import integrity_check, table_counts_sqlite

CREATE_DATA = """
import django; django.setup()
from linli import testing
testing.build_tree()
"""


def linli(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LINLI_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "linli.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, input=stdin, check=False, timeout=300
    )


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="the SQLite drill runs in the SQLite pass")
def test_backup_restore_drill(tmp_path: Path) -> None:
    source, scratch = tmp_path / "source", tmp_path / "scratch"
    source.mkdir()
    scratch.mkdir()
    assert linli(source, "-m", "linli.cli", "migrate", "-v0").returncode == 0
    (scratch / "dev-keys.json").write_bytes((source / "dev-keys.json").read_bytes())
    created = linli(source, "-c", CREATE_DATA)
    assert created.returncode == 0, created.stderr
    backup_file = tmp_path / "linli-backup.sqlite3"
    made = linli(source, "-m", "linli.cli", "backup", str(backup_file))
    assert made.returncode == 0, made.stderr
    assert integrity_check(backup_file) == "ok"

    restored = linli(scratch, "-m", "linli.cli", "restore", "--yes", str(backup_file))
    assert restored.returncode == 0, restored.stderr
    database = scratch / "linli.sqlite3"
    assert integrity_check(database) == "ok"
    assert table_counts_sqlite(database) == table_counts_sqlite(source / "linli.sqlite3")
    assert table_counts_sqlite(database)["areas_area"] == 19

    verified = linli(scratch, "-m", "linli.cli", "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "19" in verified.stdout or "ok" in verified.stdout.lower()


def test_restore_refuses_a_corrupt_backup(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    data = tmp_path / "data"
    data.mkdir()
    result = linli(data, "-m", "linli.cli", "restore", "--yes", str(broken))
    assert result.returncode != 0
