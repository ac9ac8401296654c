"""Writing rollup rows: the one way every analytics rollup moves its counts, and the rebuilds' bulk insert.

`counters_add(model, keys, counts, rows)` adds each row's counts to the bucket its key columns name, creating the
bucket when it is missing, in one `INSERT ... ON CONFLICT (keys) DO UPDATE` (PostgreSQL and SQLite). The key
columns must be exactly one unique constraint of the model. A concurrent refresh that creates the same bucket
meanwhile cannot make it fail: the conflict turns into the addition.

Rows with the same key are summed first (PostgreSQL refuses to update one row twice in a statement), rows that add
nothing are dropped, and the rest go in key order, so two refreshes lock the buckets they share in one order and
cannot deadlock.

`insert_select(model, columns, queryset)` fills a table from a queryset compiled by the ORM, in one statement: the
rebuilds (`analytics_rebuild` and its parts) use it on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def _concrete(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def counters_add(
    model: type[models.Model], keys: Sequence[str], counts: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Add `counts` (the last values of each row) to the buckets named by `keys` (its first values); how many
    buckets were touched."""
    width = len(keys)
    summed: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        key, deltas = tuple(row[:width]), row[width:]
        total = summed.setdefault(key, [0] * len(counts))
        for i, delta in enumerate(deltas):
            total[i] += delta
    moving = sorted((key, deltas) for key, deltas in summed.items() if any(deltas))
    if not moving:
        return 0
    opts = model._meta
    fields = [_concrete(model, name) for name in (*keys, *counts)]
    quote = connection.ops.quote_name
    table = quote(opts.db_table)
    columns = [quote(str(field.column)) for field in fields]
    placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([placeholders] * len(moving))} "  # noqa: S608 - our names
        f"ON CONFLICT ({', '.join(columns[:width])}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns[width:])
    )
    params = [
        field.get_db_prep_save(value, connection)
        for key, deltas in moving
        for field, value in zip(fields, (*key, *deltas), strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    return len(moving)


def insert_select(model: type[models.Model], columns: list[str], queryset: Any) -> None:
    """INSERT INTO the model's table (columns) the rows of a queryset, compiled from the ORM: one statement."""
    sql, params = queryset.query.sql_with_params()
    table = model._meta.db_table
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) {sql}", params)
