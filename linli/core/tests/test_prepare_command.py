"""``linli prepare`` (called by ``make run`` and ``make test``) is idempotent and leaves the
database migrated, the cache table present and the catalogues compiled."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db


def test_prepare_twice_is_quiet_and_leaves_everything_ready() -> None:
    zh_mo = Path(settings.LOCALE_PATHS[0]) / "zh_Hans" / "LC_MESSAGES" / "django.mo"
    for _ in range(2):
        output = io.StringIO()
        call_command("prepare", stdout=output)
        assert output.getvalue() == ""

    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []
    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):  # with REDIS_URL the cache is Redis
        assert str(settings.CACHES["default"]["LOCATION"]) in connection.introspection.table_names()
    assert zh_mo.exists() and zh_mo.stat().st_mtime >= zh_mo.with_suffix(".po").stat().st_mtime
