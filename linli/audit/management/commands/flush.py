"""Django's ``flush``, aware of the audit log's append-only triggers.

On a real database the triggers make ``flush`` fail: an audit log is never emptied by a
management command. On a test database (the test runner's, while a test run is in progress) the
row-removing triggers are lifted for the flush and restored right after, so transactional tests
(``@pytest.mark.django_db(transaction=True)``, ``TransactionTestCase``) can reset the database
between tests."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import DEFAULT_DB_ALIAS, connections
from django.test import utils as test_utils

from linli.audit import triggers


def _is_test_database(connection: Any) -> bool:
    """True only inside a test run (``setup_test_environment`` was called) on a database whose
    name the test runner gave it."""
    if getattr(test_utils._TestState, "saved_data", None) is None:
        return False
    name = str(connection.settings_dict.get("NAME") or "")
    test_name = str((connection.settings_dict.get("TEST") or {}).get("NAME") or "")
    return (
        name.startswith("test_") or "memorydb" in name or name == ":memory:" or (bool(test_name) and name == test_name)
    )


class Command(flush.Command):
    help = flush.Command.help + " Refused for the audit log except on a test database."

    def handle(self, **options: Any) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if not _is_test_database(connection):
            super().handle(**options)
            return
        with triggers.lifted_for_flush(connection):
            super().handle(**options)
