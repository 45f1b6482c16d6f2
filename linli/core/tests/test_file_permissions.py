"""Data files are readable by their owner only (issue 5, security finding 8): after ``linli
prepare`` and a process that writes the database, the job queue, the SMS outbox and a backup,
the data folder is 0700 and every file in it 0600 — also files an older version left 0644."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

WRITER = """
import json
from pathlib import Path
from django.conf import settings
from django.db import connection
from huey.contrib.djhuey import HUEY
from linli.core.backup import backup
from linli.notify.sms import FileGateway

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS permission_probe (x integer)")
    cursor.execute("INSERT INTO permission_probe VALUES (1)")
FileGateway().send("13900000000", "probe")
HUEY.storage.enqueue(b"probe")
backup(Path(settings.DATA_DIR) / "backups" / "probe.sqlite3")
folder = Path(settings.DATA_DIR)
modes = {str(path.relative_to(folder)): path.stat().st_mode & 0o777 for path in folder.rglob("*")}
modes["."] = folder.stat().st_mode & 0o777
print("MODES=" + json.dumps(modes))
"""


def _run(arguments: list[str], env: dict[str, str]) -> str:
    linli = str(Path(sys.executable).with_name("linli"))
    result = subprocess.run(
        [linli, *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=lambda: os.umask(0o022),  # a typical login umask: group/world readable by default
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_data_files_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    old = data / "sms-outbox.jsonl"  # as an older version left it
    old.write_text("")
    old.chmod(0o644)
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL", "LINLI_HUEY"}}
    env.update({"LINLI_DATA_DIR": str(data), "LINLI_ENV": "development", "LINLI_SMS_GATEWAY": "file"})
    env.pop("LINLI_HUEY_IMMEDIATE", None)

    _run(["prepare"], env)
    output = _run(["shell", "-c", WRITER], env)
    modes = json.loads(output.split("MODES=", 1)[1].strip())

    expected_files = {
        "linli.sqlite3",
        "linli.sqlite3-wal",
        "linli.sqlite3-shm",
        "jobs.sqlite3",
        "dev-keys.json",
        "sms-outbox.jsonl",
        "backups/probe.sqlite3",
    }
    assert expected_files <= set(modes), sorted(modes)
    assert modes["."] == 0o700
    assert modes["backups"] == 0o700
    loose = {name: oct(mode) for name, mode in modes.items() if mode & 0o077}
    assert loose == {}
