"""The session engine (``SESSION_ENGINE = "linli.accounts.sessions"``): Django's database sessions
with the per-request read written by hand.

Every request that carries a session cookie reads its session row. Through the ORM that read
costs ≈ 0.4 ms of Python for ≈ 0.03 ms of SQL (docs/decisions/0011-signed-in-request-cost.md), so
``load`` runs the same statement — the row by key, only while unexpired — directly on the cursor.
Writes (create, save, delete, key rotation) stay Django's, so the table, the cookie and every
session semantics are unchanged."""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict[str, Any]:
        session_key = self.session_key
        if not session_key:
            return {}
        connection = connections[router.db_for_read(self.model)]
        ops = connection.ops
        table = ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {table} WHERE session_key = %s AND expire_date > %s",  # noqa: S608
                [session_key, ops.adapt_datetimefield_value(timezone.now())],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return {}
        self.linli_loaded_text = row[0]  # the identity path recognises this text on later requests
        return dict(self.decode(row[0]))
