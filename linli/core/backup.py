"""Backup and restore (SECURITY.md R5).

* SQLite: the online backup API copies a consistent snapshot while the server runs; the copy is
  checked with ``PRAGMA integrity_check`` before it is accepted. Restore checks the backup, then
  replaces the database file (stop the server first) and removes stale WAL files.
* PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists``.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection


class BackupError(Exception):
    pass


def integrity_check(path: Path) -> str:
    probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return str(probe.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        probe.close()


def table_counts_sqlite(path: Path) -> dict[str, int]:
    probe = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in probe.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        ]
        return {table: int(probe.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]) for table in tables}  # noqa: S608
    finally:
        probe.close()


def _pg_environment(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    import os

    arguments = ["--dbname", str(settings_dict["NAME"])]
    if settings_dict.get("HOST"):
        arguments += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        arguments += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        arguments += ["--username", str(settings_dict["USER"])]
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return arguments, env


def backup(destination: Path) -> Path:
    destination.parent.mkdir(parents=True, exist_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        target = sqlite3.connect(destination)
        try:
            connection.connection.backup(target)
        finally:
            target.close()
        result = integrity_check(destination)
        if result != "ok":
            destination.unlink(missing_ok=True)
            raise BackupError(f"the backup failed its integrity check: {result}")
        return destination
    if connection.vendor == "postgresql":
        arguments, env = _pg_environment(connection.settings_dict)
        subprocess.run(["pg_dump", "--format=custom", "--file", str(destination), *arguments], check=True, env=env)
        return destination
    raise BackupError(f"backup is not supported for {connection.vendor}")


def restore(source: Path) -> None:
    if not source.exists():
        raise BackupError(f"{source} does not exist")
    if connection.vendor == "sqlite":
        result = integrity_check(source)
        if result != "ok":
            raise BackupError(f"the backup failed its integrity check: {result}")
        database = Path(connection.settings_dict["NAME"])
        connection.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        temporary = database.with_suffix(".restoring")
        shutil.copyfile(source, temporary)
        temporary.replace(database)
        return
    if connection.vendor == "postgresql":
        arguments, env = _pg_environment(connection.settings_dict)
        connection.close()
        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", *arguments, str(source)], check=True, env=env
        )
        return
    raise BackupError(f"restore is not supported for {connection.vendor}")
