"""Services shared by every domain: the audit trail and counters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from supportloop.core.errors import ValidationFailed
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


_event_time: ContextVar[datetime | None] = ContextVar("event_time", default=None)


@contextmanager
def events_dated(when: datetime) -> Iterator[None]:
    """For the demo seeder only: events built inside are stamped `when` instead of now. Events cannot be
    moved after they are written (the table is append-only), so a replayed history is dated as it is written."""
    token = _event_time.set(when)
    try:
        yield
    finally:
        _event_time.reset(token)


def event_build(
    *,
    actor: Any | None,
    verb: str,
    target: models.Model,
    changes: dict[str, Any] | None = None,
    actor_label: str = "",
) -> Event:
    """An unsaved audit event: for services that write many at once with `events_record_many`."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    label = actor_label or (actor.get_username() if actor is not None else "system")
    return Event(
        created_at=_event_time.get() or timezone.now(),
        actor=actor,
        actor_label=label[:200],
        verb=verb,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        target_label=str(target)[:300],
        changes=_jsonable(changes or {}),
    )


def events_redact(*, rewrites: dict[int, tuple[dict[str, Any], str]], reason: str) -> int:
    """Rewrite the `changes` and `target_label` of audit events for a legal erasure: {event id: (changes, label)}.

    Only for the privacy app's erasure, inside its transaction. Each event gets an EventRedaction row first
    (`reason` names the erasure, never the erased data); the database's append-only triggers let exactly this
    UPDATE through for a redacted event and refuse every other (migration core 0006). Returns events rewritten.
    """
    from supportloop.core.models import EventRedaction

    for event_id, (changes, label) in rewrites.items():
        EventRedaction.objects.get_or_create(event_id=event_id, defaults={"reason": reason[:200]})
        # The plain QuerySet: EventQuerySet.update refuses every update by design.
        models.QuerySet(model=Event).filter(pk=event_id).update(changes=_jsonable(changes), target_label=label[:300])
    return len(rewrites)


def event_record(**fields: Any) -> Event:
    """Append one audit event (the keyword arguments of event_build). Call inside the transaction of the change
    it describes."""
    event = event_build(**fields)
    event.save(force_insert=True)
    return event


def events_record_many(events: list[Event]) -> None:
    """Append events built with `event_build`, in one statement. Call inside the change's transaction."""
    if events:
        Event.objects.bulk_create(events)


def field_changes(instance: models.Model, new_values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply new values to an instance and return {field: [before, after]} for those that differ."""
    changes: dict[str, list[Any]] = {}
    for name, new in new_values.items():
        old = getattr(instance, name)
        if old != new:
            changes[name] = [_jsonable(old), _jsonable(new)]
            setattr(instance, name, new)
    return changes


def model_update(
    instance: models.Model,
    data: dict[str, Any],
    *,
    allowed_fields: Iterable[str],
    touch: dict[str, Any] | None = None,
    force: bool = False,
) -> dict[str, list[Any]]:
    """The one way an update service writes a row: set the fields of `data` that differ and save only those.

    Unknown keys are refused (422 naming them). `touch` holds bookkeeping columns (updated_at, change_seq ...) that
    are set and saved only when something changed, or when `force` says a related row changed (tags, domains).
    Returns {field: [before, after]} for the changed fields of `data`, ready for the audit event. Saving with
    `update_fields` is what keeps two people editing different fields of one record from overwriting each other:
    a stale in-memory copy writes back only the columns its user changed.
    """
    unknown = set(data) - set(allowed_fields)
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    changes = field_changes(instance, data)
    if changes or force:
        for name, value in (touch or {}).items():
            setattr(instance, name, value)
        fields = [*changes, *(touch or {})]
        if fields:
            instance.save(update_fields=fields)
    return changes


def counter_take(*, name: str, count: int = 1) -> int:
    """Take `count` consecutive values of a named counter and return the first; concurrent callers
    serialise on the counter row.

    One statement, UPDATE ... RETURNING (PostgreSQL, SQLite >= 3.35): it is on the path of every ticket
    write, so it costs one round trip, and the row lock it takes lasts until the caller's transaction ends.
    """
    table = connection.ops.quote_name(Counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET value = value + %s WHERE name = %s RETURNING value", [count, name])  # noqa: S608 - the model's table name, quoted; values are parameters
        row = cursor.fetchone()
    if row is not None:
        value: int = row[0]
        return value - count + 1
    Counter.objects.get_or_create(name=name, defaults={"value": 0})  # first use; a racing creator is fine
    return counter_take(name=name, count=count)


def transaction_required(writer: str) -> None:
    """Refuse to run a `*_in_transaction` writer outside a transaction: it relies on its caller's (its atomic
    wrapper's, or a batch's) for its locks and for all-or-nothing. Costs no query."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{writer} must run inside a transaction; call its atomic wrapper instead.")


def counter_next(*, name: str) -> int:
    """Return the next value of a named counter (see counter_take)."""
    return counter_take(name=name)


CHANGES_COUNTER = "changes"


def change_seq_next() -> int:
    """Next value of the change sequence that orders the /api/v1/changes feed (docs/decisions/0002).

    It is a Counter row incremented with UPDATE, so the row stays locked until the calling transaction
    commits: sequence order is commit order, and a reader that sees value N also sees every change below N.
    Call it FIRST in a write to tickets, contacts or companies (before any other row lock) so every writer
    takes its locks in the same order and none can deadlock.
    """
    return counter_next(name=CHANGES_COUNTER)


def change_seq_take(count: int) -> int:
    """Take `count` consecutive change-sequence values for one bulk write; returns the first. Same rule
    as change_seq_next: call it before any other row lock."""
    return counter_take(name=CHANGES_COUNTER, count=count)


@transaction.atomic
def counter_reserve(*, name: str, count: int) -> int:
    """Reserve `count` consecutive values (for bulk loads) in their own transaction; returns the first one."""
    return counter_take(name=name, count=count)
