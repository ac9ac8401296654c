"""SLA clocks of one ticket: what starts, pauses, resumes and stops them, and when each target falls due.

Pure, like business_hours.py: the service (automation/services/sla.py) loads the facts from TicketSla, calls
these functions with the event's own time, and stores the answers. The seeder replays a seeded ticket's
history through the same functions, so a demo ticket's clock is computed exactly as a live one.

Three targets, each in business seconds of the ticket's calendar:
- first response: from the ticket's creation to the first public agent reply;
- next response: from a customer's message that arrives after an answer to the agent's next public reply;
- resolution: from creation to solved (reopening resumes it).
While the ticket is pending, on hold, solved or closed every clock is paused; the pause ends when the ticket is
active again (the customer's reply reopens it). Paused business time moves the due times later, so the
customer is owed exactly the target's amount of running business time. A pause that begins after a target
already fell due does not move that due time: the breach happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from supportloop.automation.business_hours import BusinessHours, business_add, business_seconds_between

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"
TARGETS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)

PAUSING_STATUSES = frozenset({"pending", "on_hold", "solved", "closed"})
DONE_STATUSES = frozenset({"solved", "closed"})


@dataclass
class Pause:
    started_at: datetime
    status: str
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Targets:
    """A policy's targets for one priority, in minutes (None: no target), and the warning lead time."""

    first_response: int | None = None
    next_response: int | None = None
    resolution: int | None = None
    warn_before: int = 0

    def minutes(self, target: str) -> int | None:
        value: int | None = getattr(self, target)
        return value


@dataclass
class Clock:
    """The facts of one ticket's clocks (TicketSla's columns without the derived due times)."""

    started_at: datetime
    pauses: list[Pause] = field(default_factory=list)
    first_response_fulfilled_at: datetime | None = None
    next_response_started_at: datetime | None = None
    next_response_fulfilled_at: datetime | None = None
    resolution_fulfilled_at: datetime | None = None

    @property
    def paused_since(self) -> datetime | None:
        return self.pauses[-1].started_at if self.pauses and self.pauses[-1].ended_at is None else None

    def target_start(self, target: str) -> datetime | None:
        return self.next_response_started_at if target == NEXT_RESPONSE else self.started_at

    def fulfilled_at(self, target: str) -> datetime | None:
        value: datetime | None = getattr(self, f"{target}_fulfilled_at")
        return value


# -- transitions -------------------------------------------------------------------------------------------------
def clock_status_change(clock: Clock, *, new: str, at: datetime) -> list[str]:
    """The ticket's status became `new` at `at`. Returns the targets this fulfilled (resolution on solve)."""
    fulfilled = []
    if new in PAUSING_STATUSES:
        if clock.paused_since is None:
            clock.pauses.append(Pause(started_at=at, status=new))
        if new in DONE_STATUSES and clock.resolution_fulfilled_at is None:
            clock.resolution_fulfilled_at = at
            fulfilled.append(RESOLUTION)
    else:
        if clock.paused_since is not None:
            clock.pauses[-1].ended_at = at
        clock.resolution_fulfilled_at = None  # reopened: the resolution clock runs on from where it stopped
    return fulfilled


def clock_agent_reply(clock: Clock, *, at: datetime) -> list[str]:
    """A public agent reply at `at`: it answers the first response and a running next response."""
    fulfilled = []
    if clock.first_response_fulfilled_at is None:
        clock.first_response_fulfilled_at = at
        fulfilled.append(FIRST_RESPONSE)
    if clock.next_response_started_at is not None and clock.next_response_fulfilled_at is None:
        clock.next_response_fulfilled_at = at
        fulfilled.append(NEXT_RESPONSE)
    return fulfilled


def clock_reply_withdrawn(clock: Clock, *, at: datetime) -> list[str]:
    """The agent reply of `at` was taken back before it left (undo send): the targets it answered run again.
    Returns them."""
    reopened = []
    if clock.first_response_fulfilled_at == at:
        clock.first_response_fulfilled_at = None
        reopened.append(FIRST_RESPONSE)
    if clock.next_response_started_at is not None and clock.next_response_fulfilled_at == at:
        clock.next_response_fulfilled_at = None
        reopened.append(NEXT_RESPONSE)
    return reopened


def clock_customer_reply(clock: Clock, *, at: datetime) -> bool:
    """A customer's message at `at`: starts a next-response cycle when they were answered (before the first
    answer, the first-response clock already covers them). Returns whether a cycle started."""
    if clock.first_response_fulfilled_at is None:
        return False
    if clock.next_response_started_at is not None and clock.next_response_fulfilled_at is None:
        return False  # still waiting for the answer to an earlier message: that clock keeps running
    clock.next_response_started_at = at
    clock.next_response_fulfilled_at = None
    return True


# -- due times -----------------------------------------------------------------------------------------------------
def paused_seconds(hours: BusinessHours, clock: Clock, *, since: datetime | None = None) -> float:
    """Business seconds of the closed pauses (after `since`, if given)."""
    total = 0.0
    for pause in clock.pauses:
        if pause.ended_at is None:
            continue
        start = max(pause.started_at, since) if since else pause.started_at
        total += business_seconds_between(hours, start, pause.ended_at)
    return total


def target_due(
    hours: BusinessHours, clock: Clock, *, start: datetime, seconds: float, until: datetime | None = None
) -> datetime | None:
    """When `seconds` of running business time after `start` are used up, or None while a pause holds the
    clock before that. Pauses are taken in order: each one that began before the due time so far moves it.
    Pauses from `until` on (the moment the target was fulfilled) no longer concern it."""
    due = business_add(hours, start, seconds)
    owed = seconds
    for pause in clock.pauses:
        if pause.ended_at is not None and pause.ended_at <= start:
            continue
        if pause.started_at >= due or (until is not None and pause.started_at >= until):
            break
        if pause.ended_at is None:
            return None
        owed += business_seconds_between(hours, max(pause.started_at, start), pause.ended_at)
        due = business_add(hours, start, owed)
    return due


@dataclass(frozen=True)
class Due:
    due_at: datetime | None  # None: no target, not started, or paused before it fell due
    warn_at: datetime | None


NOT_DUE = Due(None, None)


def clock_due(hours: BusinessHours, clock: Clock, targets: Targets, target: str) -> Due:
    """The due and warning times of one target (whether or not it is already fulfilled)."""
    minutes = targets.minutes(target)
    start = clock.target_start(target)
    if minutes is None or start is None:
        return NOT_DUE
    until = clock.fulfilled_at(target)
    due = target_due(hours, clock, start=start, seconds=minutes * 60, until=until)
    if due is None:
        return NOT_DUE
    lead = min(targets.warn_before, minutes)
    warn = target_due(hours, clock, start=start, seconds=(minutes - lead) * 60, until=until) if lead > 0 else None
    return Due(due, warn)
