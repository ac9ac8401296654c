"""Snoozing: a ticket leaves the inbox's normal views until a time, then wakes (the `wake_snoozed` job, or a
customer's reply inside customer_messages_add_in_transaction). Each change keeps TicketRollup in step."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.errors import ValidationFailed
from supportloop.core.indexing import TICKET, index_changed
from supportloop.core.services import change_seq_next, change_seq_take, event_build, event_record, events_record_many
from supportloop.tickets.models import Ticket
from supportloop.tickets.rollups import RollupKey, rollup_apply, rollup_key, rollup_move

SNOOZE_CHOICES = ("later_today", "tomorrow", "next_week")
MORNING_HOUR = 9  # "tomorrow" and "next week" wake at this hour, the agent's local time
WAKE_BATCH = 500  # tickets woken per transaction by the job


def snooze_until_for(choice: str, *, now: datetime | None = None, tz: ZoneInfo | None = None) -> datetime:
    """The moment a named snooze ends: later today (+3 h), tomorrow 09:00, next Monday 09:00, in `tz`."""
    now = now or timezone.now()
    local = timezone.localtime(now, tz or timezone.get_current_timezone())
    if choice == "later_today":
        return now + timedelta(hours=3)
    if choice == "tomorrow":
        day = local + timedelta(days=1)
    elif choice == "next_week":
        day = local + timedelta(days=7 - local.weekday())
    else:
        raise ValidationFailed("Unknown snooze choice.", errors={"until": f"one of {', '.join(SNOOZE_CHOICES)}"})
    return day.replace(hour=MORNING_HOUR, minute=0, second=0, microsecond=0)


@transaction.atomic
def ticket_snooze(*, ticket: Ticket, until: datetime, actor: User | None) -> Ticket:
    """Hide the ticket from the normal views until `until` (in the future)."""
    if timezone.is_naive(until):
        raise ValidationFailed("The snooze time needs a time zone.", errors={"until": "naive"})
    if until <= timezone.now():
        raise ValidationFailed("Snooze until a moment in the future.", errors={"until": "in the past"})
    seq = change_seq_next()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    before, old_key = ticket.snoozed_until, rollup_key(ticket)
    ticket.snoozed_until = until
    ticket.change_seq = seq
    ticket.save(update_fields=["snoozed_until", "change_seq"])
    deltas: Counter[RollupKey] = Counter()
    rollup_move(deltas, old_key, rollup_key(ticket))
    rollup_apply(deltas)
    event_record(actor=actor, verb="ticket.snoozed", target=ticket, changes={"snoozed_until": [before, until]})
    index_changed(TICKET, [ticket.pk])
    return ticket


@transaction.atomic
def ticket_unsnooze(*, ticket: Ticket, actor: User | None) -> Ticket:
    """Bring a snoozed ticket back now; a ticket that is not snoozed is left alone (no event)."""
    seq = change_seq_next()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if ticket.snoozed_until is None:
        return ticket
    before, old_key = ticket.snoozed_until, rollup_key(ticket)
    ticket.snoozed_until = None
    ticket.change_seq = seq
    ticket.save(update_fields=["snoozed_until", "change_seq"])
    deltas: Counter[RollupKey] = Counter()
    rollup_move(deltas, old_key, rollup_key(ticket))
    rollup_apply(deltas)
    event_record(actor=actor, verb="ticket.unsnoozed", target=ticket, changes={"snoozed_until": [before, None]})
    index_changed(TICKET, [ticket.pk])
    return ticket


def tickets_wake_due(*, now: datetime | None = None, batch: int = WAKE_BATCH) -> int:
    """Wake every ticket whose snooze has ended, `batch` per transaction (the `wake_snoozed` job); returns how
    many woke. Safe to run twice and beside another worker."""
    now = now or timezone.now()
    woken = 0
    while True:
        due_ids = list(
            Ticket.objects.filter(snoozed_until__isnull=False, snoozed_until__lte=now)
            .order_by("snoozed_until", "id")
            .values_list("pk", flat=True)[:batch]
        )
        if not due_ids:
            return woken
        with transaction.atomic():
            # The change sequence first, as every ticket writer does (lock order), then the tickets, read again
            # under lock: one unsnoozed meanwhile is skipped (its sequence value stays unused, a harmless gap).
            first_seq = change_seq_take(len(due_ids))
            due = list(
                Ticket.objects.select_for_update()
                .filter(pk__in=due_ids, snoozed_until__isnull=False, snoozed_until__lte=now)
                .order_by("pk")
            )
            deltas: Counter[RollupKey] = Counter()
            events = []
            for i, ticket in enumerate(due):
                old_key, before = rollup_key(ticket), ticket.snoozed_until
                ticket.snoozed_until = None
                ticket.change_seq = first_seq + i
                rollup_move(deltas, old_key, rollup_key(ticket))
                events.append(
                    event_build(
                        actor=None,
                        actor_label="system",
                        verb="ticket.woken",
                        target=ticket,
                        changes={"snoozed_until": [before, None], "reason": [None, "time"]},
                    )
                )
            Ticket.objects.bulk_update(due, ["snoozed_until", "change_seq"])
            rollup_apply(deltas)
            events_record_many(events)
            index_changed(TICKET, [t.pk for t in due])
            woken += len(due)
        if len(due_ids) < batch:
            return woken
