"""What triggers, routing rules and time rules share: a version stamp other processes read to know their cached
copy is stale, that per-process cache, and the reordering of a list of rules by position.

Inside a ticket-event listener the versions of every cache are read together, once per event (one query for
routing, SLA policies, triggers and webhook subscriptions together, instead of one each): the read happens after
the event's transaction committed, as each listener's own read did, and a change committed while the event's
listeners run is seen by the next event, as one committed just after a listener's read always was.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, Protocol, TypeVar

from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Greatest

from supportloop.accounts.models import User
from supportloop.core.compiled import compiled_once
from supportloop.core.errors import ValidationFailed
from supportloop.core.lookup import one_or_none
from supportloop.core.models import Counter
from supportloop.core.services import event_record
from supportloop.tickets.hooks import ticket_event_dispatching


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


CachedT = TypeVar("CachedT", bound=Versioned)


_names: set[str] = set()  # the counters of every VersionedCache: read together inside a ticket-event listener
_snapshot = threading.local()  # .value: (the event being dispatched, {name: version})


def version_read(name: str) -> int:
    value = one_or_none(Counter.objects.filter(name=name).values_list("value", flat=True))
    return int(value or 0)


def _version_current(name: str) -> int:
    """The counter's value: read afresh outside a ticket-event listener; inside one, from the versions read once
    for that event (all cached counters in one query)."""
    event = ticket_event_dispatching()
    if event is None:
        return version_read(name)
    taken = getattr(_snapshot, "value", None)
    if taken is None or taken[0] is not event or name not in taken[1]:
        names = sorted(_names | {name})
        slots = {f"name{i}": n for i, n in enumerate(names)}  # the same names on every event: compiled once
        values = dict(
            compiled_once(
                ("automation: versions", *names),
                lambda ids: Counter.objects.filter(name__in=[ids[slot] for slot in slots]).values_list("name", "value"),
                slots,
            )
        )
        taken = (event, {n: int(values.get(n) or 0) for n in names})
        _snapshot.value = taken
    return taken[1][name]


def version_bump(name: str) -> None:
    """Called by every write in its transaction: other processes see the new version once it commits.

    The version is the time in microseconds (or the old one plus one, if the clock is behind), not a plain
    increment: a write that rolls back hands its number back, and a process that read the rolled-back rules
    inside that transaction would otherwise take the next write's identical number for its own stale copy."""
    stamp = time.time_ns() // 1000
    if not Counter.objects.filter(name=name).update(value=Greatest(F("value") + 1, Value(stamp))):
        Counter.objects.get_or_create(name=name, defaults={"value": stamp})
    _snapshot.value = None  # this thread reads the versions again, its own change included


class VersionedCache(Generic[CachedT]):
    """One compiled copy per process, rebuilt by `build(version)` when the counter `name` moved (one query when
    nothing changed, and none inside a ticket-event listener whose event has read the versions already)."""

    def __init__(self, name: str, build: Callable[[int], CachedT]) -> None:
        self.name = name
        self._build = build
        self._lock = threading.Lock()
        self._value: CachedT | None = None
        _names.add(name)

    def get(self) -> CachedT:
        version = _version_current(self.name)
        cached = self._value
        if cached is not None and cached.version == version:
            return cached
        fresh = self._build(version)
        with self._lock:
            self._value = fresh
        return fresh


def position_next(model: type[models.Model]) -> int:
    last = model._default_manager.order_by("-position").values_list("position", flat=True).first()
    return 0 if last is None else last + 1


def name_free(model: type[models.Model], name: str, *, label: str, exclude: int | None = None) -> None:
    taken = model._default_manager.filter(name__iexact=name)
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.exists():
        raise ValidationFailed(f"A {label} named {name!r} exists.", errors={"name": "already taken"})


def ordered_reorder(
    model: type[models.Model],
    *,
    ids: list[int],
    actor: User | None,
    field: str,
    label: str,
    verb: str,
    version: str,
) -> list[models.Model]:
    """Put every row of `model` in the order given (each id once, all of them); the caller holds the transaction."""
    rows = {r.pk: r for r in model._default_manager.select_for_update().order_by("position", "id")}
    if len(ids) != len(set(ids)) or set(ids) != set(rows):
        raise ValidationFailed(
            f"Give every {label}'s id once, in the new order.", errors={field: f"every {label} once"}
        )
    before = list(rows)
    for position, pk in enumerate(ids):
        row = rows[pk]
        if row.position != position:  # type: ignore[attr-defined]
            row.position = position  # type: ignore[attr-defined]
            row.save(update_fields=["position"])
    if before != list(ids):
        version_bump(version)
        event_record(actor=actor, verb=verb, target=rows[ids[0]], changes={"order": [before, list(ids)]})
    return [rows[pk] for pk in ids]


def ordered_move(model: type[models.Model], *, pk: int, offset: int, reorder: Callable[[list[int]], object]) -> None:
    """Move one row up (offset -1) or down (+1): the settings pages' arrows."""
    order = list(model._default_manager.order_by("position", "id").values_list("pk", flat=True))
    index = order.index(pk)
    target = max(0, min(len(order) - 1, index + offset))
    if target != index:
        order.insert(target, order.pop(index))
        reorder(order)
