"""Each ticket's SLA state, kept up to date from ticket events, and the periodic check that records warnings
and breaches exactly once.

- `sla_on_ticket_event` is the ticket-event listener (registered in automation/sla.py): after a ticket write
  commits it applies the event to the ticket's clocks, at the event's own time (the ticket's or the message's
  stored time, not the listener's clock), in a transaction of its own with an audit event.
- `sla_check_due` is the scheduled pass: it reads only TicketSla rows whose `next_check_at` has passed (an index
  range scan), locks them with SKIP LOCKED so two hosts share the work, and records each warning or breach with
  a conditional UPDATE (`... WHERE <target>_breached_at IS NULL`), so two concurrent passes act once. Each one
  is raised as a ticket event (sla_warning / sla_breach) for the triggers.

The clock rules themselves are in automation/sla_clock.py (pure); this module loads and stores them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any

from django.db import transaction
from django.utils import timezone

from supportloop.automation.business_hours import ALWAYS_OPEN, BusinessHours, NoBusinessHours
from supportloop.automation.calendars import business_hours_of
from supportloop.automation.models import BusinessCalendar, BusinessCalendarTeam, SlaPolicy, TicketSla, TicketSlaPause
from supportloop.automation.services.ordered import VersionedCache, version_bump
from supportloop.automation.sla_clock import (
    NEXT_RESPONSE,
    PAUSING_STATUSES,
    TARGETS,
    Clock,
    Pause,
    Targets,
    clock_agent_reply,
    clock_customer_reply,
    clock_due,
    clock_reply_withdrawn,
    clock_status_change,
    paused_seconds,
)
from supportloop.core.compiled import compiled_once, compiled_one_or_none
from supportloop.core.models import Event
from supportloop.core.services import event_build, events_record_many
from supportloop.tickets.hooks import WITHDRAWN_REPLY_AT, TicketEvent, TicketEventKind, ticket_event_emit
from supportloop.tickets.models import Message, Ticket

logger = logging.getLogger("supportloop.automation.sla")

CHECK_BATCH = 500
SLA_POLICIES_VERSION = "automation.sla_policies"  # bumped by every policy write (services/sla_config.py)
CALENDARS_VERSION = "automation.calendars"  # bumped by every business calendar write (services/sla_config.py)
CLOCK_FIELDS = [
    "policy",
    "calendar",
    "started_at",
    "paused_since",
    "paused_seconds",
    "next_check_at",
    "updated_at",
    "next_response_started_at",
    "next_response_met_count",
    "next_response_breached_count",
    *(f"{t}_{suffix}" for t in TARGETS for suffix in ("due_at", "warn_at", "fulfilled_at", "warned_at", "breached_at")),
]


# -- policy and calendar of a ticket --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Applied:
    policy: SlaPolicy | None
    calendar: BusinessCalendar | None
    hours: BusinessHours
    targets: Targets


NO_POLICY = Applied(None, None, ALWAYS_OPEN, Targets())


def policies_in_order() -> list[SlaPolicy]:
    return list(SlaPolicy.objects.filter(is_active=True).prefetch_related("targets").order_by("position", "id"))


@dataclass(frozen=True)
class PolicySet:
    version: int
    policies: tuple[SlaPolicy, ...]  # with their targets prefetched; read only, shared by every ticket event


_policies = VersionedCache(
    SLA_POLICIES_VERSION, lambda version: PolicySet(version=version, policies=tuple(policies_in_order()))
)


def active_policies() -> tuple[SlaPolicy, ...]:
    """The active policies in order, from this process's cache unless a policy changed since (the version probe,
    shared with the other automation caches inside a ticket-event listener)."""
    return _policies.get().policies


def policy_for(ticket: Ticket, policies: Sequence[SlaPolicy]) -> tuple[SlaPolicy, Targets] | None:
    """The first policy in order whose plans, channels and priorities match the ticket, with its targets."""
    plan = ticket.company.plan if ticket.company_id and ticket.company else ""
    for policy in policies:
        if policy.plans and plan not in policy.plans:
            continue
        if policy.channels and ticket.channel not in policy.channels:
            continue
        for target in policy.targets.all():
            if target.priority == ticket.priority:
                return policy, Targets(
                    first_response=target.first_response_minutes,
                    next_response=target.next_response_minutes,
                    resolution=target.resolution_minutes,
                    warn_before=policy.warn_before_minutes,
                )
    return None


@dataclass(frozen=True)
class CalendarSet:
    """Every business calendar: the default one and each team's. Read only, shared by every ticket event."""

    version: int
    default: BusinessCalendar | None
    by_team: Mapping[int, BusinessCalendar]

    def any(self) -> bool:
        return self.default is not None or bool(self.by_team)

    def for_team(self, team_id: int | None) -> BusinessCalendar | None:
        """The team's calendar, else the default one, else None (24/7)."""
        found = self.by_team.get(team_id) if team_id is not None else None
        return found or self.default


def _calendar_set(version: int) -> CalendarSet:
    calendars = {c.pk: c for c in BusinessCalendar.objects.all()}
    by_team = {
        team_id: calendars[calendar_id]
        for team_id, calendar_id in BusinessCalendarTeam.objects.values_list("team_id", "calendar_id")
        if calendar_id in calendars
    }
    default = next((c for c in calendars.values() if c.is_default), None)
    return CalendarSet(version=version, default=default, by_team=MappingProxyType(by_team))


_calendars = VersionedCache(CALENDARS_VERSION, _calendar_set)


def business_calendars() -> CalendarSet:
    """The calendars from this process's cache unless one changed since (read with the other automation versions
    inside a ticket-event listener: no query there)."""
    return _calendars.get()


def calendar_for(team_id: int | None) -> BusinessCalendar | None:
    """The team's calendar, else the default one, else None (24/7)."""
    return business_calendars().for_team(team_id)


def applied_to(ticket: Ticket, policies: Sequence[SlaPolicy] | None = None) -> Applied:
    found = policy_for(ticket, policies if policies is not None else active_policies())
    if found is None:
        return NO_POLICY
    policy, targets = found
    calendar = calendar_for(ticket.team_id) if policy.business_hours else None
    hours = business_hours_of(calendar) if calendar is not None else ALWAYS_OPEN
    return Applied(policy, calendar, hours, targets)


def sla_policies_changed() -> None:
    """Called by every policy write in its transaction: each process reads the policies again."""
    version_bump(SLA_POLICIES_VERSION)


def business_calendars_changed() -> None:
    """Called by every calendar write in its transaction: each process reads the calendars again."""
    version_bump(CALENDARS_VERSION)


# -- loading and storing clocks -------------------------------------------------------------------------------------
def _clock_of(sla: TicketSla, pauses: list[TicketSlaPause]) -> Clock:
    return Clock(
        started_at=sla.started_at,
        pauses=[Pause(started_at=p.started_at, status=p.status, ended_at=p.ended_at) for p in pauses],
        first_response_fulfilled_at=sla.first_response_fulfilled_at,
        next_response_started_at=sla.next_response_started_at,
        next_response_fulfilled_at=sla.next_response_fulfilled_at,
        resolution_fulfilled_at=sla.resolution_fulfilled_at,
    )


def next_check(sla: TicketSla) -> datetime | None:
    """The earliest unrecorded warning or breach of a running, unfulfilled target."""
    moments = []
    for t in TARGETS:
        if getattr(sla, f"{t}_fulfilled_at") is not None:
            continue
        due, warn = getattr(sla, f"{t}_due_at"), getattr(sla, f"{t}_warn_at")
        if due is None or getattr(sla, f"{t}_breached_at") is not None:
            continue
        moments.append(due)
        if warn is not None and warn < due and getattr(sla, f"{t}_warned_at") is None:
            moments.append(warn)
    return min(moments, default=None)


def derive(sla: TicketSla, clock: Clock, applied: Applied) -> None:
    """Copy the clock's facts onto the row and compute its due, warning and next-check times."""
    sla.policy, sla.calendar = applied.policy, applied.calendar
    sla.started_at = clock.started_at
    sla.paused_since = clock.paused_since
    sla.first_response_fulfilled_at = clock.first_response_fulfilled_at
    sla.next_response_started_at = clock.next_response_started_at
    sla.next_response_fulfilled_at = clock.next_response_fulfilled_at
    sla.resolution_fulfilled_at = clock.resolution_fulfilled_at
    try:
        sla.paused_seconds = round(paused_seconds(applied.hours, clock))
        for t in TARGETS:
            due = clock_due(applied.hours, clock, applied.targets, t)
            setattr(sla, f"{t}_due_at", due.due_at)
            setattr(sla, f"{t}_warn_at", due.warn_at)
    except NoBusinessHours:  # a calendar closed for ten years: no due time rather than a crash
        logger.warning("calendar %s has no open hours; SLA due times cleared", applied.calendar)
        for t in TARGETS:
            setattr(sla, f"{t}_due_at", None)
            setattr(sla, f"{t}_warn_at", None)
    sla.next_check_at = next_check(sla)


def _store_pauses(sla: TicketSla, rows: list[TicketSlaPause], clock: Clock, hours: BusinessHours) -> None:
    """Write the pauses the clock gained or ended (rows and clock.pauses are in the same order)."""
    for i, pause in enumerate(clock.pauses):
        seconds = 0
        if pause.ended_at is not None:
            seconds = round(business_seconds_or_zero(hours, pause.started_at, pause.ended_at))
        if i < len(rows):
            row = rows[i]
            if row.ended_at != pause.ended_at or row.business_seconds != seconds:
                row.ended_at, row.business_seconds = pause.ended_at, seconds
                row.save(update_fields=["ended_at", "business_seconds"])
        else:
            TicketSlaPause.objects.create(
                ticket_sla=sla,
                status=pause.status,
                started_at=pause.started_at,
                ended_at=pause.ended_at,
                business_seconds=seconds,
            )


def business_seconds_or_zero(hours: BusinessHours, start: datetime, end: datetime) -> float:
    from supportloop.automation.business_hours import business_seconds_between

    return business_seconds_between(hours, start, end)


def _sla_for_update(ticket: Ticket) -> tuple[TicketSla, list[TicketSlaPause], bool]:
    """The ticket's SLA row, locked, with its pauses; created from the ticket's own columns when missing (a
    ticket from before SLAs existed)."""
    sla = compiled_one_or_none(
        ("sla: clock row",),
        lambda ids: TicketSla.objects.select_for_update().filter(ticket_id=ids["ticket"]),
        {"ticket": ticket.pk},
    )
    if sla is not None:
        pauses = compiled_once(
            ("sla: pauses",),
            lambda ids: TicketSlaPause.objects.filter(ticket_sla_id=ids["ticket"]).order_by("started_at", "id"),
            {"ticket": sla.pk},
        )
        return sla, pauses, False
    sla = TicketSla(ticket=ticket, started_at=ticket.created_at, first_response_fulfilled_at=ticket.first_response_at)
    return sla, [], True


def _moment_of(event: TicketEvent, ticket: Ticket) -> datetime:
    """When the event happened: the ticket's creation (its first message has the same time), else its message's
    time, else the ticket's last change (the service set both)."""
    if event.kind == TicketEventKind.CREATED:
        return ticket.created_at
    if event.message_id is not None:
        created = Message.objects.filter(pk=event.message_id).values_list("created_at", flat=True).first()
        if created is not None:
            return created
    return ticket.updated_at


def apply_event(clock: Clock, *, kind: str, changes: dict[str, list[Any]], at: datetime) -> list[str]:
    """Apply one ticket event to a clock; returns the targets it fulfilled. Used by the listener and the seeder."""
    fulfilled: list[str] = []
    new_status = (changes.get("status") or [None, None])[1]
    if kind == TicketEventKind.REPLIED:
        fulfilled += clock_agent_reply(clock, at=at)
        if new_status:
            fulfilled += clock_status_change(clock, new=new_status, at=at)
    elif kind == TicketEventKind.CUSTOMER_REPLIED:
        if new_status:
            fulfilled += clock_status_change(clock, new=new_status, at=at)
        clock_customer_reply(clock, at=at)
    elif new_status:  # created, updated
        fulfilled += clock_status_change(clock, new=new_status, at=at)
    return fulfilled


def _record_fulfilment(sla: TicketSla, fulfilled: list[str], had_running_cycle: bool) -> list[tuple[str, datetime]]:
    """After an event fulfilled targets: a target answered after its due time breached at that due time (unless
    the check already recorded it); a next-response cycle counts as met or breached. Returns new breaches."""
    breaches = []
    for t in fulfilled:
        due, done = getattr(sla, f"{t}_due_at"), getattr(sla, f"{t}_fulfilled_at")
        if due is None or done is None:
            continue
        late = done > due
        if late and getattr(sla, f"{t}_breached_at") is None:
            setattr(sla, f"{t}_breached_at", due)
            breaches.append((t, due))
        if t == NEXT_RESPONSE and had_running_cycle:
            if late or sla.next_response_breached_at is not None:
                sla.next_response_breached_count += 1
            else:
                sla.next_response_met_count += 1
    return breaches


def _take_back(sla: TicketSla, clock: Clock, changes: dict[str, list[Any]]) -> None:
    """Undo send: the targets the withdrawn reply answered run again, and a next-response cycle it closed no
    longer counts as met or breached (a breach its lateness recorded stays: the due time did pass)."""
    at = datetime.fromisoformat(changes[WITHDRAWN_REPLY_AT][0])
    if NEXT_RESPONSE not in clock_reply_withdrawn(clock, at=at):
        return
    if sla.next_response_breached_at is not None:
        sla.next_response_breached_count = max(0, sla.next_response_breached_count - 1)
    else:
        sla.next_response_met_count = max(0, sla.next_response_met_count - 1)


def _new_cycle(sla: TicketSla) -> None:
    for suffix in ("due_at", "warn_at", "warned_at", "breached_at"):
        setattr(sla, f"{NEXT_RESPONSE}_{suffix}", None)


def _emit(kind: str, sla: TicketSla, target: str, due: datetime | None) -> None:
    ticket_event_emit(
        TicketEvent(
            kind=kind,
            ticket_id=sla.ticket_id,
            changes={"target": [None, target], "due_at": [None, due.isoformat() if due else None]},
            source=f"sla:{sla.policy_id}" if sla.policy_id else "sla",
        )
    )


def advance(
    sla: TicketSla, clock: Clock, applied: Applied, *, kind: str, changes: dict[str, list[Any]], at: datetime
) -> list[tuple[str, datetime]]:
    """Apply one event to a ticket's clock and row in memory (no query): the listener's and the seeder's one
    path. Returns the breaches the event revealed (a target fulfilled after its due time)."""
    if kind == TicketEventKind.UPDATED and WITHDRAWN_REPLY_AT in changes:
        _take_back(sla, clock, changes)
    cycle_before = clock.next_response_started_at
    had_running_cycle = cycle_before is not None and clock.next_response_fulfilled_at is None
    fulfilled = apply_event(clock, kind=kind, changes=changes, at=at)
    if clock.next_response_started_at != cycle_before:
        _new_cycle(sla)
    derive(sla, clock, applied)
    breaches = _record_fulfilment(sla, fulfilled, had_running_cycle)
    sla.next_check_at = next_check(sla)
    return breaches


@transaction.atomic
def ticket_sla_apply(
    *,
    ticket_id: int,
    kind: str,
    changes: dict[str, list[Any]],
    at: datetime | None = None,
    message_id: int | None = None,
) -> TicketSla | None:
    """Bring one ticket's SLA state up to date after a ticket event (`at`: when it happened; by default the
    stored time of the event's message or of the ticket's last change)."""
    ticket = compiled_one_or_none(
        ("sla: ticket",), lambda ids: Ticket.objects.select_related("company").filter(pk=ids["id"]), {"id": ticket_id}
    )
    if ticket is None:
        return None  # deleted since
    sla, rows, created = _sla_for_update(ticket)
    moment = at or _moment_of(TicketEvent(kind=kind, ticket_id=ticket_id, message_id=message_id), ticket)
    clock = _clock_of(sla, rows)
    if created and kind != TicketEventKind.CREATED and ticket.status in PAUSING_STATUSES and "status" not in changes:
        clock.pauses.append(Pause(started_at=ticket.updated_at, status=ticket.status))
    before = {f: getattr(sla, f) for f in ("policy_id", "paused_since", *(f"{t}_due_at" for t in TARGETS))}
    applied = applied_to(ticket)
    fulfilled_before = {t: clock.fulfilled_at(t) for t in TARGETS}
    breaches = advance(sla, clock, applied, kind=kind, changes=changes, at=moment)
    sla.updated_at = timezone.now()
    sla.save(force_insert=created)
    _store_pauses(sla, rows, clock, applied.hours)
    after = {f: getattr(sla, f) for f in before}
    diff = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    fulfilled = [t for t in TARGETS if fulfilled_before[t] is None and clock.fulfilled_at(t) is not None]
    if fulfilled:
        diff["fulfilled"] = [None, fulfilled]
    reopened = [t for t in TARGETS if fulfilled_before[t] is not None and clock.fulfilled_at(t) is None]
    if reopened:
        diff["reopened"] = [None, reopened]
    events = []
    if diff or created:
        events.append(event_build(actor=None, actor_label="sla", verb="sla.clock_updated", target=sla, changes=diff))
    for target, due in breaches:
        events.append(
            event_build(
                actor=None,
                actor_label="sla",
                verb="ticket.sla_breached",
                target=ticket,
                changes={"target": [None, target], "breached_at": [None, due]},
            )
        )
        _emit(TicketEventKind.SLA_BREACH, sla, target, due)
    events_record_many(events)
    return sla


def sla_on_ticket_event(event: TicketEvent) -> None:
    """The ticket-event listener: clock changes for created, updated, replied and customer_replied events."""
    if event.kind not in (
        TicketEventKind.CREATED,
        TicketEventKind.UPDATED,
        TicketEventKind.REPLIED,
        TicketEventKind.CUSTOMER_REPLIED,
    ):
        return
    if event.kind == TicketEventKind.UPDATED and not {"status", "priority", "team", WITHDRAWN_REPLY_AT} & set(
        event.changes
    ):
        return  # tags, subject, taxonomy: nothing an SLA depends on
    if event.kind == TicketEventKind.REPLIED and not {"status", "first_response_at", "waiting_since"} & set(
        event.changes
    ):
        return  # answered already and nobody waiting since: no cycle runs, so the reply fulfils nothing
    try:
        ticket_sla_apply(
            ticket_id=event.ticket_id, kind=event.kind, changes=event.changes, at=event.at, message_id=event.message_id
        )
    except Exception:  # logged: the ticket write has committed; a failed clock update must not fail it
        logger.exception("SLA state of ticket %s not updated after %s", event.ticket_id, event.kind)


# -- the periodic check ---------------------------------------------------------------------------------------------
@dataclass
class CheckResult:
    warnings: int = 0
    breaches: int = 0


def _due_records(sla: TicketSla, now: datetime) -> list[tuple[str, str, datetime]]:
    """(target, "warned"|"breached", recorded time) due on this row at `now`. A warning whose breach is also
    due (the check ran late) is skipped: the breach says more."""
    found = []
    for t in TARGETS:
        if getattr(sla, f"{t}_fulfilled_at") is not None:
            continue
        due, warn = getattr(sla, f"{t}_due_at"), getattr(sla, f"{t}_warn_at")
        if due is None or getattr(sla, f"{t}_breached_at") is not None:
            continue
        if due <= now:
            found.append((t, "breached", due))
        elif warn is not None and warn <= now and getattr(sla, f"{t}_warned_at") is None:
            found.append((t, "warned", now))
    return found


def sla_check_due(*, now: datetime | None = None, batch_size: int = CHECK_BATCH, emit: bool = True) -> CheckResult:
    """Record every warning and breach due at `now`, each exactly once, in batches of one transaction each."""
    now = now or timezone.now()
    result = CheckResult()
    while True:
        with transaction.atomic():
            rows = list(
                TicketSla.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("ticket")
                .filter(next_check_at__lte=now)
                .order_by("next_check_at")[:batch_size]
            )
            if not rows:
                break
            events: list[Event] = []
            for sla in rows:
                records = _due_records(sla, now)
                for target, what, moment in records:
                    setattr(sla, f"{target}_{what}_at", moment)
                guard = {f"{t}_{what}_at__isnull": True for t, what, _m in records}
                values = {f"{t}_{what}_at": m for t, what, m in records}
                # The conditional UPDATE is what makes a record happen once even if two passes held the same row
                # (SQLite has no row locks; a pass that lost its lock): the loser updates nothing.
                won = TicketSla.objects.filter(pk=sla.pk, **guard).update(next_check_at=next_check(sla), **values)
                if not won:
                    continue
                for target, what, moment in records:
                    verb = "ticket.sla_breached" if what == "breached" else "ticket.sla_warning"
                    event = event_build(
                        actor=None,
                        actor_label="sla",
                        verb=verb,
                        target=sla.ticket,
                        changes={"target": [None, target], f"{what}_at": [None, moment]},
                    )
                    events.append(event)
                    if what == "breached":
                        result.breaches += 1
                    else:
                        result.warnings += 1
                    if emit:
                        kind = TicketEventKind.SLA_BREACH if what == "breached" else TicketEventKind.SLA_WARNING
                        _emit(kind, sla, target, getattr(sla, f"{target}_due_at"))
            events_record_many(events)
    return result
