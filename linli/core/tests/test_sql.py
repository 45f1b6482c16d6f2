"""``linli.core.sql``: hand-written reads give what the ORM gives (converted values, deferred fields,
bound parameters)."""

from __future__ import annotations

import pytest
from django.db import connection

from linli import testing
from linli.accounts.models import User
from linli.core.sql import Reader, aware, cached_sql, datetime_param, fetch, ranges_sql, table

FIELDS = ["id", "phone", "display_name", "is_active", "date_joined", "password_changed_at"]


@pytest.mark.django_db
def test_reader_builds_what_only_builds() -> None:
    resident = testing.make_resident("13912345678", name="王小明")
    reader = Reader(User, FIELDS)
    quote = connection.ops.quote_name
    sql = f"SELECT {reader.columns('u', quote)} FROM {quote(table(User))} u WHERE u.{quote('id')} = %s"  # noqa: S608

    built = reader.build(connection, fetch(connection, sql, [resident.pk])[0])
    orm = User.objects.only(*FIELDS).get(pk=resident.pk)

    assert [getattr(built, name) for name in FIELDS] == [getattr(orm, name) for name in FIELDS]
    assert built.phone == "13912345678" and built.is_active is True
    assert built.date_joined.tzinfo is not None
    assert built.get_deferred_fields() == orm.get_deferred_fields()
    assert built._state.adding is False and built._state.db == connection.alias


def test_reader_needs_the_primary_key() -> None:
    with pytest.raises(ValueError, match="primary key"):
        Reader(User, ["phone"])


@pytest.mark.django_db
def test_ranges_datetimes_and_cached_sql() -> None:
    first = testing.make_resident(name="甲")
    second = testing.make_resident(name="乙")
    quote = connection.ops.quote_name
    where, params = ranges_sql(f"u.{quote('username')}", [(first.username, first.username + "~")])
    nothing, no_params = ranges_sql("u.username", [])
    sql = cached_sql(
        ("test.core.sql", 1),
        connection,
        lambda quote: (
            f"SELECT u.{quote('id')}, u.{quote('date_joined')} FROM {quote(table(User))} u "  # noqa: S608
            f"WHERE {where} AND u.{quote('date_joined')} <= %s"
        ),
    )

    rows = fetch(connection, sql, [*params, datetime_param(connection, second.date_joined)])

    assert [(pk, aware(joined)) for pk, joined in rows] == [(first.pk, first.date_joined)]
    assert (nothing, no_params) == ("(1 = 0)", [])
    assert cached_sql(("test.core.sql", 1), connection, lambda quote: "changed") == sql
