"""Small helpers for the hand-written reads of hot pages (decision 0011, docs/modules.md "Lean
pages"): on this code base an ORM query costs 0.35–0.55 ms of Python around 0.03 ms of SQL, so the
queries every workbench or list load runs are written by hand — with table and column names taken
from the models' ``_meta``, parameters always bound, and values converted as the ORM would.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Model

_SQL: dict[tuple[Any, ...], str] = {}


def connection_for(model: type[Model]) -> Any:
    return connections[router.db_for_read(model)]


def cached_sql(key: tuple[Any, ...], connection: Any, build: Any) -> str:
    """The SQL text built by ``build(quote_name)``, once per key and database vendor."""
    full_key = (connection.vendor, *key)
    sql = _SQL.get(full_key)
    if sql is None:
        sql = _SQL[full_key] = build(connection.ops.quote_name)
    return sql


def table(model: type[Model]) -> str:
    return model._meta.db_table


def ranges_sql(column_sql: str, ranges: Iterable[tuple[str, str]]) -> tuple[str, list[str]]:
    """``(column >= lower AND column < upper) OR …`` for every range; no range matches nothing."""
    parts: list[str] = []
    params: list[str] = []
    for lower, upper in ranges:
        parts.append(f"({column_sql} >= %s AND {column_sql} < %s)")
        params.extend((lower, upper))
    return ("(" + " OR ".join(parts) + ")" if parts else "(1 = 0)"), params


def datetime_param(connection: Any, value: datetime.datetime) -> Any:
    """A datetime bound as the ORM binds it (naive UTC text on SQLite, aware on PostgreSQL)."""
    return connection.ops.adapt_datetimefield_value(value)


def aware(value: Any) -> Any:
    """A datetime read by hand, made aware as the ORM makes it (SQLite returns naive UTC)."""
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value


def fetch(connection: Any, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())
