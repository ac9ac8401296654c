"""Demo SLAs (`supportloop seed`): two business-hours calendars, two ordered policies, and every seeded ticket's
SLA state computed from its own history, so the demo shows due times, pauses, warnings and breaches.

Each ticket's audit events (created, replied, customer replied, status changes), dated at the seeded times, are
replayed through automation.services.sla.advance, the listener's own path, at their recorded time; then the
check records what was due at the seeding's "now". A ticket without events (bulk-loaded rows) is replayed from
its columns (created, first response, solved). Bulk seeding at the 1M scale skips this (`BULK_LIMIT`): a Python
replay of a million histories would take minutes, and the benchmark (benchmarks/sla_check.py) loads its own
SLA rows.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import Team
from supportloop.automation.models import BusinessCalendar, SlaPolicy, TicketSla, TicketSlaPause
from supportloop.automation.services.sla import (
    Applied,
    advance,
    applied_to,
    business_seconds_or_zero,
    policies_in_order,
    sla_check_due,
)
from supportloop.automation.services.sla_config import business_calendar_create, sla_policy_create
from supportloop.automation.sla_clock import Clock
from supportloop.core.models import Event
from supportloop.core.services import event_build, events_record_many
from supportloop.tickets.models import Ticket

BULK_LIMIT = 20_000  # as demo.seed's BULK_THRESHOLD: above it tickets are bulk-loaded
BATCH = 1000
VERBS = {
    "ticket.created": "created",
    "ticket.replied": "replied",
    "ticket.customer_replied": "customer_replied",
    "ticket.updated": "updated",
}
WEEKDAYS_8_TO_18 = [{"day": d, "start": "08:00", "end": "18:00"} for d in range(5)]


def build_configuration() -> None:
    if BusinessCalendar.objects.exists() or SlaPolicy.objects.exists():
        return
    business_calendar_create(
        name="EMEA office hours",
        time_zone="Europe/Berlin",
        hours=WEEKDAYS_8_TO_18,
        holidays_country="DE",
        holidays_subdivision="BE",
        custom_closed_dates=[
            {"date": "2026-12-24", "name": "Christmas Eve"},
            {"date": "2026-12-31", "name": "New Year's Eve"},
        ],
        is_default=True,
        actor=None,
    )
    business_calendar_create(
        name="APAC office hours",
        time_zone="Asia/Tokyo",
        hours=[{"day": d, "start": "09:00", "end": "18:00"} for d in range(5)],
        holidays_country="JP",
        teams=list(Team.objects.filter(slug="apac")),
        actor=None,
    )
    sla_policy_create(
        name="Enterprise",
        plans=["enterprise"],
        targets={
            "urgent": {"first_response": 30, "next_response": 60, "resolution": 240},
            "high": {"first_response": 60, "next_response": 120, "resolution": 480},
            "normal": {"first_response": 120, "next_response": 240, "resolution": 960},
            "low": {"first_response": 240, "next_response": 480, "resolution": 1920},
        },
        warn_before_minutes=30,
        actor=None,
    )
    sla_policy_create(
        name="Standard",
        targets={
            "urgent": {"first_response": 60, "next_response": 120, "resolution": 480},
            "high": {"first_response": 240, "next_response": 240, "resolution": 960},
            "normal": {"first_response": 480, "next_response": 480, "resolution": 2400},
            "low": {"first_response": 960, "next_response": 960, "resolution": 4800},
        },
        warn_before_minutes=60,
        actor=None,
    )


def _history(tickets: list[Ticket]) -> dict[int, list[tuple[datetime, str, dict[str, Any]]]]:
    found: dict[int, list[tuple[datetime, str, dict[str, Any]]]] = defaultdict(list)
    rows = (
        Event.objects.filter(target_type="tickets.ticket", target_id__in=[str(t.pk) for t in tickets], verb__in=VERBS)
        .order_by("created_at", "id")
        .values_list("target_id", "created_at", "verb", "changes")
    )
    for target_id, created_at, verb, changes in rows:
        found[int(target_id)].append((created_at, VERBS[verb], changes or {}))
    return found


def _from_columns(ticket: Ticket) -> list[tuple[datetime, str, dict[str, Any]]]:
    steps: list[tuple[datetime, str, dict[str, Any]]] = [(ticket.created_at, "created", {"status": [None, "new"]})]
    if ticket.first_response_at:
        steps.append((ticket.first_response_at, "replied", {"status": ["new", "open"]}))
    if ticket.solved_at:
        steps.append((ticket.solved_at, "updated", {"status": ["open", "solved"]}))
    elif ticket.status in ("pending", "on_hold"):
        steps.append((ticket.updated_at, "updated", {"status": ["open", ticket.status]}))
    return steps


def replay(tickets: list[Ticket], policies: list[SlaPolicy], now: datetime) -> int:
    """Build the SLA rows of these tickets from their histories; returns how many."""
    history = _history(tickets)
    slas, pauses, events = [], [], []
    for ticket in tickets:
        steps = history.get(ticket.pk) or _from_columns(ticket)
        applied: Applied = applied_to(ticket, policies)
        sla = TicketSla(ticket=ticket, started_at=ticket.created_at, updated_at=now)
        clock = Clock(started_at=ticket.created_at)
        for at, kind, changes in steps:
            if at > now:
                break
            for target, due in advance(sla, clock, applied, kind=kind, changes=changes, at=at):
                # the breach an answer revealed, on the audit trail as the listener writes it, dated when it happened
                event = event_build(
                    actor=None,
                    actor_label="sla",
                    verb="ticket.sla_breached",
                    target=ticket,
                    changes={"target": [None, target], "breached_at": [None, due]},
                )
                event.created_at = at
                events.append(event)
        slas.append(sla)
        pauses += [
            TicketSlaPause(
                ticket_sla=sla,
                status=p.status,
                started_at=p.started_at,
                ended_at=p.ended_at,
                business_seconds=round(business_seconds_or_zero(applied.hours, p.started_at, p.ended_at))
                if p.ended_at
                else 0,
            )
            for p in clock.pauses
        ]
    TicketSla.objects.bulk_create(slas, batch_size=BATCH)
    TicketSlaPause.objects.bulk_create(pauses, batch_size=BATCH)
    events_record_many(events)
    return len(slas)


def seed(*, rng: random.Random, size: int) -> dict[str, int]:
    """Configuration always; SLA state for the seeded tickets unless there are more than BULK_LIMIT."""
    build_configuration()
    if size > BULK_LIMIT:
        return {"tickets": 0, "warnings": 0, "breaches": 0}
    now = timezone.now()
    policies = policies_in_order()
    done, last = 0, 0
    while True:
        with transaction.atomic():
            batch = list(
                Ticket.objects.select_related("company").filter(pk__gt=last, sla__isnull=True).order_by("pk")[:BATCH]
            )
            if not batch:
                break
            done += replay(batch, policies, now)
            last = batch[-1].pk
    result = sla_check_due(now=now, emit=False)  # the demo's history is not news for the triggers
    return {"tickets": done, "warnings": result.warnings, "breaches": result.breaches}
