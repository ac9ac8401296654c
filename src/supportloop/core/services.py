"""Services shared by every domain: the audit trail and counters."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F

from supportloop.core.models import Counter, Event


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def event_record(
    *,
    actor: Any | None,
    verb: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    actor_label: str = "",
) -> Event:
    """Append one audit event. Call inside the transaction of the change it describes."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    label = actor_label or (actor.get_username() if actor is not None else "system")
    return Event.objects.create(
        actor=actor,
        actor_label=label[:200],
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        changes=_jsonable(changes or {}),
    )


def field_changes(instance: models.Model, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply new values to an instance and return {field: [before, after]} for those that differ."""
    changes: dict[str, list[Any]] = {}
    for name, new in new_values.items():
        old = getattr(instance, name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
            setattr(instance, name, new)
    return changes


def counter_next(*, name: str) -> int:
    """Return the next value of a named counter; concurrent callers serialise on the counter row.

    One statement, UPDATE ... RETURNING (PostgreSQL, SQLite >= 3.35): it is on the path of every ticket
    write, so it costs one round trip, and the row lock it takes lasts until the caller's transaction ends.
    """
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = value + 1 WHERE name = %s RETURNING value", [name])
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    Counter.objects.get_or_create(name=name, defaults={"value": 0})  # first use; a racing creator is fine
    return counter_next(name=name)


CHANGES_COUNTER = "changes"


def change_seq_next() -> int:
    """Next value of the change sequence that orders the /api/v1/changes feed (docs/decisions/0002).

    It is a Counter row incremented with UPDATE, so the row stays locked until the calling transaction
    commits: sequence order is commit order, and a reader that sees value N also sees every change below N.
    Call it FIRST in a write to tickets, contacts or companies (before any other row lock) so every writer
    takes its locks in the same order and none can deadlock.
    """
    return counter_next(name=CHANGES_COUNTER)


@transaction.atomic
def counter_reserve(*, name: str, count: int) -> int:
    """Reserve `count` consecutive values (for bulk loads); returns the first one."""
    Counter.objects.get_or_create(name=name, defaults={"value": 0})
    Counter.objects.filter(name=name).update(value=F("value") + count)
    last = Counter.objects.values_list("value", flat=True).get(name=name)
    return last - count + 1
