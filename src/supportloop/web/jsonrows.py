"""Several small lists in one round trip: a subquery's rows as one JSON array, as a column of an outer query.

The ticket page shows a dozen short lists (tags, the requester's addresses, notes, other tickets, feedback, the
audit timeline ...). Read one query each, their round trips cost more than their work: at 1,000,000 tickets each
is well under a millisecond on the server, but a query is a round trip, a parse and a plan. `JSONRows` puts each
list in one column of a single SELECT (JSON_GROUP_ARRAY on SQLite, JSONB_AGG on PostgreSQL), and `rows` turns a
column back into dicts. The aggregate's order is not guaranteed, so callers sort what they read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models
from django.db.models import Subquery
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

TEMPLATES = {
    "postgresql": "(SELECT COALESCE(JSONB_AGG(_rows._row), '[]'::jsonb) FROM (%(subquery)s) _rows)",
    "sqlite": "(SELECT COALESCE(JSON_GROUP_ARRAY(JSON(_rows._row)), '[]') FROM (%(subquery)s) _rows)",
}


class JSONRows(Subquery):
    """`queryset`'s rows (ordered and sliced as it says) as a JSON array of {name: field} objects."""

    def __init__(self, queryset: models.QuerySet, **fields: Any) -> None:
        super().__init__(queryset.values(_row=JSONObject(**fields)), output_field=models.JSONField())

    def as_sql(self, compiler: Any, connection: Any, template: Any = None, **extra_context: Any) -> Any:
        template = TEMPLATES.get(connection.vendor)
        if template is None:
            raise NotImplementedError(f"JSONRows supports SQLite and PostgreSQL, not {connection.vendor}")
        return super().as_sql(compiler, connection, template=template, **extra_context)  # type: ignore[call-arg]


def rows(value: Any) -> list[dict[str, Any]]:
    """A JSONRows column as a list of dicts, whichever way the driver handed it over."""
    if isinstance(value, (str, bytes)):
        value = json.loads(value)
    return list(value or [])


def nested(value: Any) -> Any:
    """A JSON column inside a row: PostgreSQL nests it, SQLite gives its text."""
    return json.loads(value) if isinstance(value, str) else value


def stamp(value: Any) -> datetime:
    """A timestamp column that is never null."""
    parsed = when(value)
    if parsed is None:
        raise ValueError(f"not a timestamp: {value!r}")
    return parsed


def when(value: Any) -> datetime | None:
    """A timestamp inside a row: ISO 8601 with the offset on PostgreSQL, naive UTC text on SQLite."""
    if value is None:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)


# Stand-in ids are negative, so no real row has one and no other parameter equals one by chance.
_STAND_IN_BASE = -(10**15)
_compiled: dict[tuple[Any, ...], tuple[str, list[Any], list[str | None]]] = {}


def one_row(
    shape: tuple[Any, ...], build: Callable[[dict[str, int]], models.QuerySet], ids: dict[str, int]
) -> dict[str, Any]:
    """The single row of the query `build(ids)` as {column: raw value}, compiling its SQL once per process and
    `shape` rather than on every call: the ticket page's panel query has a dozen subqueries, and turning them into
    SQL cost the ORM more than PostgreSQL spends running it. `build` is called once with stand-in ids; the later
    calls put the real ids where the stand-ins were (as numbers, or as text where the query compares text), so
    `build` must give the same SQL for every value of `ids` within one `shape`. Values come raw, as the driver
    hands them over (read JSON columns with `rows`). Raises LookupError when there is no row."""
    key = (connection.alias, connection.vendor, *shape)
    compiled = _compiled.get(key)
    if compiled is None:
        stand_ins = {name: _STAND_IN_BASE - n for n, name in enumerate(sorted(ids))}
        built_sql, built_params = build(stand_ins).query.sql_with_params()
        names: dict[int | str, str] = {value: name for name, value in stand_ins.items()}
        names.update({str(value): f"str:{name}" for name, value in stand_ins.items()})
        compiled = (
            built_sql,
            list(built_params),
            [names.get(p) if isinstance(p, (int, str)) else None for p in built_params],
        )
        _compiled[key] = compiled
    sql, params, slots = compiled
    values = [
        p if slot is None else (str(ids[slot[4:]]) if slot.startswith("str:") else ids[slot])
        for p, slot in zip(params, slots, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
        if row is None:
            raise LookupError("no row")
        return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}
