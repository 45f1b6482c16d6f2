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


def parent_joins(quote: Any, table_sql: str, start: str, levels: int) -> str:
    """``LEFT JOIN``s up a self-referencing ``parent_id`` chain from the row aliased ``start``:
    ``p1`` is its parent, ``p2`` the grandparent … ``p<levels>``; a missing ancestor gives NULLs."""
    return "".join(
        f"LEFT JOIN {table_sql} p{level} ON p{level}.{quote('id')} = "
        f"{start if level == 1 else f'p{level - 1}'}.{quote('parent_id')} "
        for level in range(1, levels + 1)
    )


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


class Reader:
    """Builds instances of ``model`` from columns of a hand-written SELECT, as ``.only(*fields)``
    would (the other fields deferred): each value goes through the field's own converters (aware
    datetimes, decrypted fields) and the instance is made by ``Model.from_db``."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        self.model = model
        # ``Model.from_db`` takes the values in the model's field order, whatever order is named
        wanted = {model._meta.get_field(name) for name in fields}
        self.fields = [field for field in model._meta.concrete_fields if field in wanted]
        if len(self.fields) != len(wanted):
            raise ValueError(f"{model.__name__}: a Reader reads concrete fields only")
        if model._meta.pk not in self.fields:
            raise ValueError(f"{model.__name__}: a Reader needs the primary key")
        self.attnames = [field.attname for field in self.fields]  # type: ignore[union-attr]
        self._converters: dict[str, list[list[Any]]] = {}

    def __len__(self) -> int:
        return len(self.fields)

    def columns(self, alias: str, quote: Any) -> str:
        return ", ".join(f"{alias}.{quote(field.column)}" for field in self.fields)  # type: ignore[union-attr]

    def build(self, connection: Any, values: Sequence[Any]) -> Any:
        converters = self._converters.get(connection.vendor)
        if converters is None:
            table_name = self.model._meta.db_table
            converters = self._converters[connection.vendor] = [
                [
                    *connection.ops.get_db_converters(field.get_col(table_name)),  # type: ignore[union-attr]
                    *field.get_db_converters(connection),  # type: ignore[union-attr]
                ]
                for field in self.fields
            ]
        converted = []
        for value, field_converters in zip(values, converters, strict=True):
            for converter in field_converters:
                value = converter(value, None, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, self.attnames, converted)
