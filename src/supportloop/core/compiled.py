"""Hot statements compiled to SQL once per process, then replayed with each call's ids.

Turning a queryset into SQL costs the ORM more than PostgreSQL spends running a lookup by key: the ticket page's
panel query has a dozen subqueries, and on the write paths (an API reply, its SLA clock, its report fact) the
compiler was a fifth of a request's time. `compiled_once(shape, build, ids)` calls `build` once per process and
`shape` with stand-in values where the ids go, keeps the SQL and the compiler, and on later calls puts the real
values where the stand-ins were. So `build` must give the same SQL for every value of `ids` within one `shape`
(no branches on the values, no `__in` lists of varying length).

Stand-ins: an integer id is a negative number no real row has (compared as text too, where a query casts it);
a text value (a token's digest) is a string no real value holds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db import connection, connections, models

# Stand-in ids are negative, so no real row has one and no other parameter equals one by chance.
_STAND_IN_BASE = -(10**15)
_TEXT_STAND_IN = "\x1fstand-in:"  # a control character no digest, slug or number contains


class _Compiled:
    """A query compiled once with stand-in ids: its SQL, its parameters, which of them are ids (`slots`), and the
    compiler that made it (which knows how to turn rows back into model instances)."""

    def __init__(self, build: Callable[[dict[str, Any]], models.QuerySet], ids: dict[str, Any]) -> None:
        stand_ins: dict[str, Any] = {
            name: f"{_TEXT_STAND_IN}{name}" if isinstance(ids[name], str) else _STAND_IN_BASE - n
            for n, name in enumerate(sorted(ids))
        }
        queryset = build(stand_ins)
        self.queryset = queryset
        self.compiler = queryset.query.get_compiler(using=queryset.db)
        sql, params = self.compiler.as_sql()
        by_value: dict[int | str, str] = {value: name for name, value in stand_ins.items()}
        by_value.update({str(value): f"str:{name}" for name, value in stand_ins.items() if isinstance(value, int)})
        self.sql = sql
        self.params = list(params)
        self.slots = [by_value.get(p) if isinstance(p, (int, str)) else None for p in params]

    def values(self, ids: dict[str, Any]) -> list[Any]:
        """The parameters with the real ids where the stand-ins were (as text where the query compares text)."""
        return [
            p if slot is None else (str(ids[slot[4:]]) if slot.startswith("str:") else ids[slot])
            for p, slot in zip(self.params, self.slots, strict=True)
        ]


_compiled: dict[tuple[Any, ...], _Compiled] = {}
R = TypeVar("R")  # a row: a model, or what values_list makes of it


def _compiled_for(
    shape: tuple[Any, ...], build: Callable[[dict[str, Any]], models.QuerySet], ids: dict[str, Any]
) -> _Compiled:
    key = (connection.alias, connection.vendor, *shape)
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled[key] = _Compiled(build, ids)
    return compiled


def one_row(
    shape: tuple[Any, ...], build: Callable[[dict[str, Any]], models.QuerySet], ids: dict[str, Any]
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
    shape: tuple[Any, ...], build: Callable[[dict[str, Any]], models.QuerySet], ids: dict[str, Any]
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


def compiled_one_or_none(
    shape: tuple[Any, ...], build: Callable[[dict[str, Any]], models.QuerySet[Any, R]], ids: dict[str, Any]
) -> R | None:
    """The row of a lookup on a unique key (see core.lookup.one_or_none), or None, compiled once per `shape`."""
    found = compiled_once(shape, lambda stand_ins: build(stand_ins).order_by()[:1], ids)
    return cast(R, found[0]) if found else None
