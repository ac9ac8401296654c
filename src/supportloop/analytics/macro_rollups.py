"""Keeping the Macros dashboard's rollup current: MacroDailyVolume counts macro uses per local day, macro and the
ticket's channel, product area and contact reason; MacroApplicationFact remembers, per use, the bucket it is counted
in.

`macro_facts_refresh(ticket_id)` compares one ticket's macro uses (tickets.MacroApplication, with the ticket's
current dimensions) with their facts and moves exactly the counts that differ: a new use is added, a use whose
ticket changed product area (channel, contact reason) moves, a use that is gone is taken out. It recomputes from
the uses, so running it twice or after a missed call leaves the same rows. The analytics app calls it after a macro
was applied (tickets.hooks.macro_applied_listeners) and after a ticket event that changed one of those dimensions,
each time after the writing transaction committed. `macro_rollup_rebuild()` rebuilds both tables set-based; it is
part of `analytics_rebuild`.

This module must not read the uses per page view: the dashboard reads MacroDailyVolume (analytics.dashboards).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from supportloop.analytics.counters import counters_add, insert_select
from supportloop.analytics.models import MacroApplicationFact, MacroDailyVolume
from supportloop.tickets.models import MacroApplication

# (local day, macro, channel, product area key, contact reason key): one MacroDailyVolume bucket.
MacroKey = tuple[date, int, str, int, int]
KEY_FIELDS = ("day", "macro_key", "channel", "product_area_key", "contact_reason_key")


def _key_of(fact: MacroApplicationFact) -> MacroKey:
    return (fact.day, fact.macro_key, fact.channel, fact.product_area_key, fact.contact_reason_key)


def macro_facts_refresh(*, ticket_id: int) -> int:
    """Bring one ticket's macro-use facts and their daily counts in line with its uses; how many uses were added,
    moved or taken out. Two refreshes of one ticket's first use may both insert its fact: the second fails on the
    primary key and runs again, now seeing (and locking) what the first wrote."""
    try:
        return _refresh(ticket_id)
    except IntegrityError:
        return _refresh(ticket_id)


@transaction.atomic
def _refresh(ticket_id: int) -> int:
    # Lock first, then read the uses: a concurrent refresh of the ticket waits here and then sees what this one did.
    kept = {f.application_id: f for f in MacroApplicationFact.objects.select_for_update().filter(ticket_id=ticket_id)}
    tz = timezone.get_default_timezone()
    uses = MacroApplication.objects.filter(ticket_id=ticket_id).values_list(
        "pk", "macro_id", "applied_at", "ticket__channel", "ticket__product_area_id", "ticket__contact_reason_id"
    )
    moves: Counter[MacroKey] = Counter()
    added: list[MacroApplicationFact] = []
    changed: list[MacroApplicationFact] = []
    for pk, macro_id, applied_at, channel, area_id, reason_id in uses:
        key: MacroKey = (applied_at.astimezone(tz).date(), macro_id, channel, area_id or 0, reason_id or 0)
        fact = kept.pop(pk, None)
        if fact is not None and _key_of(fact) == key:
            continue
        if fact is None:
            fact = MacroApplicationFact(application_id=pk, ticket_id=ticket_id)
            added.append(fact)
        else:
            moves[_key_of(fact)] -= 1
            changed.append(fact)
        for name, value in zip(KEY_FIELDS, key, strict=True):
            setattr(fact, name, value)
        moves[key] += 1
    for gone in kept.values():  # uses deleted since (with their ticket or macro)
        moves[_key_of(gone)] -= 1
    if kept:
        MacroApplicationFact.objects.filter(pk__in=list(kept)).delete()
    if changed:
        MacroApplicationFact.objects.bulk_update(changed, list(KEY_FIELDS))
    if added:
        MacroApplicationFact.objects.bulk_create(added)
    counters_add(MacroDailyVolume, KEY_FIELDS, ("count",), ((*key, n) for key, n in moves.items()))
    return len(added) + len(changed) + len(kept)


def macro_rollup_rebuild() -> int:
    """Both tables from the uses and their tickets (INSERT ... SELECT compiled from ORM querysets); the number of
    daily buckets. Days use the same time zone as the refresh (the default one)."""
    MacroDailyVolume.objects.all().delete()
    MacroApplicationFact.objects.all().delete()
    # Every selected column an expression with its own name: the SELECT keeps this order (plain field names would
    # come in the model's field order), which the INSERT's column list follows.
    facts = MacroApplication.objects.order_by().values(
        a=F("pk"),
        t=F("ticket_id"),
        d=TruncDate("applied_at", tzinfo=timezone.get_default_timezone()),
        m=F("macro_id"),
        ch=F("ticket__channel"),
        pa=Coalesce("ticket__product_area_id", Value(0)),
        cr=Coalesce("ticket__contact_reason_id", Value(0)),
    )
    insert_select(MacroApplicationFact, ["application_id", "ticket_id", *KEY_FIELDS], facts)
    sums = (
        MacroApplicationFact.objects.order_by()
        .values(d=F("day"), m=F("macro_key"), ch=F("channel"), pa=F("product_area_key"), cr=F("contact_reason_key"))
        .annotate(n=Count("*"))
    )
    insert_select(MacroDailyVolume, [*KEY_FIELDS, "count"], sums)
    return MacroDailyVolume.objects.count()
