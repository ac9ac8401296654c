"""Several small lists in one round trip: a subquery's rows as one JSON array, as a column of an outer query.

The ticket page shows a dozen short lists (tags, the requester's addresses, notes, other tickets, feedback, the
audit timeline ...). Read one query each, their round trips cost more than their work: at 1,000,000 tickets each
is well under a millisecond on the server, but a query is a round trip, a parse and a plan. `JSONRows` puts each
list in one column of a single SELECT (JSON_GROUP_ARRAY on SQLite, JSONB_AGG on PostgreSQL), and `rows` turns a
column back into dicts. The aggregate's order is not guaranteed, so callers sort what they read.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.db import connection, connections, models
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


class _Compiled:
    """A query compiled once with stand-in ids: its SQL, its parameters, which of them are ids (`slots`), and the
    compiler that made it (which knows how to turn rows back into model instances)."""

    def __init__(self, build: Callable[[dict[str, int]], models.QuerySet], names: list[str]) -> None:
        stand_ins = {name: _STAND_IN_BASE - n for n, name in enumerate(sorted(names))}
        queryset = build(stand_ins)
        self.queryset = queryset
        self.compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = self.compiler.as_sql()
        by_value: dict[int | str, str] = {value: name for name, value in stand_ins.items()}
        by_value.update({str(value): f"str:{name}" for name, value in stand_ins.items()})
        self.sql = sql
        self.params = list(params)
        self.slots = [by_value.get(p) if isinstance(p, (int, str)) else None for p in params]

    def values(self, ids: dict[str, int]) -> list[Any]:
        """The parameters with the real ids where the stand-ins were (as text where the query compares text)."""
        return [
            p if slot is None else (str(ids[slot[4:]]) if slot.startswith("str:") else ids[slot])
            for p, slot in zip(self.params, self.slots, strict=True)
        ]


_compiled: dict[tuple[Any, ...], _Compiled] = {}


def _compiled_for(
    shape: tuple[Any, ...], build: Callable[[dict[str, int]], models.QuerySet], ids: dict[str, int]
) -> _Compiled:
    key = (connection.alias, connection.vendor, *shape)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _Compiled(build, list(ids))
    return compiled


def one_row(
    shape: tuple[Any, ...], build: Callable[[dict[str, int]], models.QuerySet], ids: dict[str, int]
) -> dict[str, Any]:
    """The single row of the query `build(ids)` as {column: raw value}, compiling its SQL once per process and
    `shape` rather than on every call: the ticket page's panel query has a dozen subqueries, and turning them into
    SQL cost the ORM more than PostgreSQL spends running it. `build` is called once with stand-in ids; the later
    calls put the real ids where the stand-ins were (as numbers, or as text where the query compares text), so
    `build` must give the same SQL for every value of `ids` within one `shape`. Values come raw, as the driver
    hands them over (read JSON columns with `rows`). Raises LookupError when there is no row."""
    compiled = _compiled_for(shape, build, ids)
    with connection.cursor() as cursor:
        cursor.execute(compiled.sql, compiled.values(ids))
        row = cursor.fetchone()
        if row is None:
            raise LookupError("no row")
        return {column[0]: value for column, value in zip(cursor.description, row, strict=True)}


def compiled_once(
    shape: tuple[Any, ...], build: Callable[[dict[str, int]], models.QuerySet], ids: dict[str, int]
) -> list[Any]:
    """The results of `build(ids)` (model instances with their select_related rows and annotations, as the
    queryset would give them), with its SQL compiled once per process and `shape` as one_row does: the ticket
    page's ticket and thread queries spent longer in the ORM's compiler than in PostgreSQL. The same rules for
    `build` as one_row's."""
    compiled = _compiled_for(shape, build, ids)
    replay = copy.copy(compiled.compiler)  # keeps select, klass_info, annotation_col_map from the first compile
    replay.connection = connections[compiled.queryset.db]  # this thread's connection, not the first caller's
    sql, values = compiled.sql, compiled.values(ids)
    replay.as_sql = lambda *args, **kwargs: (sql, values)
    queryset = compiled.queryset._chain()  # type: ignore[attr-defined]
    queryset.query.get_compiler = lambda *args, **kwargs: replay
    return list(queryset)
