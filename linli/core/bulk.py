"""Bulk insert of new model instances through one prepared statement (``cursor.executemany``).

Django's ``bulk_create`` assembles a fresh multi-row ``INSERT`` for every batch and, on SQLite,
keeps batches under 999 parameters (about 60 rows of a wide table), so for data loads of
10⁴–10⁶ rows (the demo street, the benchmark data set, later the registry's imports) it spends
most of its time building SQL. ``bulk_insert`` prepares each value with the field's own
``get_db_prep_save`` — encrypted fields still encrypt, date-times are still converted — and hands
whole batches to the driver's ``executemany``.

What it does not do, unlike ``bulk_create``: it sends no signals, calls no ``save()``, and does
not read back primary keys the database assigns (give explicit ids when later rows refer to these
ones), and it stamps ``auto_now``/``auto_now_add`` fields with one time for the whole call. It runs
inside one transaction: a failing row rolls back every row of the call.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

DEFAULT_BATCH_SIZE = 5000
MEMO_LIMIT = 4096  # distinct values remembered per field (statuses, kinds, timestamps)

# Built-in field types whose prepared value is the Python value itself when it already has the
# field's type (checked by exact type, so subclasses such as encrypted fields never match).
PASS_THROUGH: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.SlugField: str,
    models.EmailField: str,
    models.URLField: str,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.AutoField: int,
    models.SmallAutoField: int,
    models.BigAutoField: int,
    models.BooleanField: bool,
}
# Built-in field types whose preparation is a pure function of the value: safe to memoise.
DETERMINISTIC = set(PASS_THROUGH) | {models.DateTimeField, models.DateField, models.DecimalField}
MEMO_VALUE_TYPES = (str, int, bool, datetime.datetime, datetime.date, decimal.Decimal, enum.Enum)

Converter = Callable[[models.Model], Any]


def bulk_insert(
    model: type[models.Model],
    objects: Sequence[models.Model],
    *,
    using: str = DEFAULT_DB_ALIAS,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> int:
    """Insert ``objects`` (new instances of ``model``) and return how many rows were written.

    Either every object has its primary key set (it is written) or none has (the database assigns
    it and the instances keep ``pk is None``)."""
    if not objects:
        return 0
    with_keys = [obj.pk is not None for obj in objects]
    if any(with_keys) and not all(with_keys):
        raise ValueError("bulk_insert: give every object a primary key, or none")
    connection = connections[using]
    meta = model._meta
    fields = [field for field in meta.concrete_fields if all(with_keys) or not field.primary_key]
    converters = [_converter(field, connection) for field in fields]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608 - names from model metadata
    with transaction.atomic(using=using, savepoint=False), connection.cursor() as cursor:
        for batch in _batches(objects, batch_size):
            cursor.executemany(sql, [tuple([convert(obj) for convert in converters]) for obj in batch])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = using
    return len(objects)


def _batches(objects: Sequence[models.Model], size: int) -> Iterable[Sequence[models.Model]]:
    iterator = iter(objects)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _converter(field: models.Field[Any, Any], connection: Any) -> Converter:
    attname = field.attname
    prepare = field.get_db_prep_save
    if isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add):
        # One timestamp for the whole call (bulk_create takes one per row): the rows arrive together.
        stamp = timezone.now() if isinstance(field, models.DateTimeField) else timezone.localdate()
        prepared_stamp = prepare(stamp, connection)

        def stamped(obj: models.Model) -> Any:
            setattr(obj, attname, stamp)
            return prepared_stamp

        return stamped
    kind = type(field.target_field) if isinstance(field, models.ForeignKey) else type(field)
    same_type = PASS_THROUGH.get(kind)
    if kind not in DETERMINISTIC:
        return lambda obj: prepare(getattr(obj, attname), connection)
    memo: dict[tuple[type, Any], Any] = {}

    def convert(obj: models.Model) -> Any:
        value = getattr(obj, attname)
        value_type = type(value)
        if value is None or value_type is same_type:
            return value
        if not isinstance(value, MEMO_VALUE_TYPES):
            return prepare(value, connection)
        key = (value_type, value)
        try:
            return memo[key]
        except KeyError:
            prepared = prepare(value, connection)
            if len(memo) < MEMO_LIMIT:
                memo[key] = prepared
            return prepared

    return convert
