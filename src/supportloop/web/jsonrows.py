"""Several small lists in one round trip: a subquery's rows as one JSON array, as a column of an outer query.

The ticket page shows a dozen short lists (tags, the requester's addresses, notes, other tickets, feedback, the
audit timeline ...). Read one query each, their round trips cost more than their work: at 1,000,000 tickets each
is well under a millisecond on the server, but a query is a round trip, a parse and a plan. `JSONRows` puts each
list in one column of a single SELECT (JSON_GROUP_ARRAY on SQLite, JSONB_AGG on PostgreSQL), and `rows` turns a
column back into dicts. The aggregate's order is not guaranteed, so callers sort what they read.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django.db import models
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
