"""SLA clocks on a hand-built calendar: Mon-Fri 09:00-17:00 Europe/Berlin, with Wed 11 Feb 2026 a custom closed
day. February is CET (UTC+1): 09:00 local = 08:00 UTC, 17:00 local = 16:00 UTC. Expected moments are worked out
in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from supportloop.automation.business_hours import BusinessHours, ClosedDays, parse_weekly
from supportloop.automation.services.sla import apply_event
from supportloop.automation.sla_clock import (
    FIRST_RESPONSE,
    NEXT_RESPONSE,
    RESOLUTION,
    Clock,
    Targets,
    clock_due,
    paused_seconds,
)

HOURS = BusinessHours(
    tz=ZoneInfo("Europe/Berlin"),
    weekly=parse_weekly([{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]),
    closed=ClosedDays(None, frozenset({date(2026, 2, 11)})),
)
# first response 4 business hours, next response 2 h, resolution 16 h (two business days), warn 1 h before
TARGETS = Targets(first_response=240, next_response=120, resolution=960, warn_before=60)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def status(clock: Clock, old: str, new: str, at: datetime) -> list[str]:
    return apply_event(clock, kind="updated", changes={"status": [old, new]}, at=at)


def test_first_response_due_and_warning_from_creation():
    # Created Mon 9 Feb 15:00 CET (14:00 UTC): 2 h left Monday, then Tue 09:00 + 2 h = Tue 11:00 CET = 10:00 UTC.
    clock = Clock(started_at=utc(2026, 2, 9, 14))
    due = clock_due(HOURS, clock, TARGETS, FIRST_RESPONSE)
    assert due.due_at == utc(2026, 2, 10, 10)
    # warning 1 business hour before: 3 h after creation = Tue 10:00 CET = 09:00 UTC
    assert due.warn_at == utc(2026, 2, 10, 9)
    # resolution 16 h: Mon 2 h, Tue 8 h, Wed closed, Thu 6 h -> Thu 12 Feb 15:00 CET = 14:00 UTC
    assert clock_due(HOURS, clock, TARGETS, RESOLUTION).due_at == utc(2026, 2, 12, 14)
    # next response has not started
    assert clock_due(HOURS, clock, TARGETS, NEXT_RESPONSE).due_at is None


def test_pending_pauses_every_clock_and_the_customers_reply_resumes_it():
    clock = Clock(started_at=utc(2026, 2, 9, 14))  # Mon 15:00 CET
    # The agent answers Mon 16:00 CET (15:00 UTC) and sets the ticket pending.
    fulfilled = apply_event(clock, kind="replied", changes={"status": ["open", "pending"]}, at=utc(2026, 2, 9, 15))
    assert fulfilled == [FIRST_RESPONSE]
    assert clock.paused_since == utc(2026, 2, 9, 15)
    # While pending the resolution clock has no due time at all.
    assert clock_due(HOURS, clock, TARGETS, RESOLUTION).due_at is None
    # The first response was met before the pause: its due time stays Tue 11:00 CET.
    assert clock_due(HOURS, clock, TARGETS, FIRST_RESPONSE).due_at == utc(2026, 2, 10, 10)
    # The customer replies Tue 10 Feb 10:30 CET (09:30 UTC): the ticket reopens, the pause ends.
    apply_event(clock, kind="customer_replied", changes={"status": ["pending", "open"]}, at=utc(2026, 2, 10, 9, 30))
    assert clock.paused_since is None
    # Paused business time: Mon 16:00-17:00 (1 h) + Tue 09:00-10:30 (1.5 h) = 2.5 h
    assert paused_seconds(HOURS, clock) == 2.5 * 3600
    # Resolution: 16 h + 2.5 h paused = 18.5 h from Mon 15:00: Mon 2, Tue 8 (10), Wed closed, Thu 8 (18),
    # Fri 0.5 -> Fri 13 Feb 09:30 CET = 08:30 UTC
    assert clock_due(HOURS, clock, TARGETS, RESOLUTION).due_at == utc(2026, 2, 13, 8, 30)
    # The reply started a next-response clock: 2 h from Tue 10:30 CET = 12:30 CET = 11:30 UTC, warning at 10:30 UTC
    due = clock_due(HOURS, clock, TARGETS, NEXT_RESPONSE)
    assert (due.due_at, due.warn_at) == (utc(2026, 2, 10, 11, 30), utc(2026, 2, 10, 10, 30))


def test_on_hold_over_the_closed_day_pauses_only_the_business_time_it_covers():
    clock = Clock(started_at=utc(2026, 2, 9, 8))  # Mon 09:00 CET
    apply_event(clock, kind="replied", changes={"status": ["new", "open"]}, at=utc(2026, 2, 9, 8, 10))
    # On hold from Tue 16:00 CET (15:00 UTC) to Thu 10:00 CET (09:00 UTC): Tue 1 h + Wed closed + Thu 1 h = 2 h
    status(clock, "open", "on_hold", utc(2026, 2, 10, 15))
    status(clock, "on_hold", "open", utc(2026, 2, 12, 9))
    assert paused_seconds(HOURS, clock) == 2 * 3600
    # Resolution 16 h + 2 h = 18 h from Mon 09:00: Mon 8, Tue 8 (16), Wed closed, Thu 2 -> Thu 11:00 CET = 10:00 UTC
    assert clock_due(HOURS, clock, TARGETS, RESOLUTION).due_at == utc(2026, 2, 12, 10)


def test_a_pause_after_the_due_time_does_not_move_it():
    clock = Clock(started_at=utc(2026, 2, 9, 8))  # Mon 09:00 CET; first response due Mon 13:00 CET = 12:00 UTC
    status(clock, "new", "pending", utc(2026, 2, 9, 14))  # pending at 15:00 CET, after the first response fell due
    status(clock, "pending", "open", utc(2026, 2, 10, 8))
    assert clock_due(HOURS, clock, TARGETS, FIRST_RESPONSE).due_at == utc(2026, 2, 9, 12)


def test_solving_fulfils_resolution_and_reopening_resumes_it():
    clock = Clock(started_at=utc(2026, 2, 9, 8))  # Mon 09:00 CET
    apply_event(clock, kind="replied", changes={"status": ["new", "solved"]}, at=utc(2026, 2, 9, 10))
    assert clock.resolution_fulfilled_at == utc(2026, 2, 9, 10)
    # Reopened by the customer Tue 09:00 CET (08:00 UTC): solved from Mon 11:00 to Tue 09:00 CET = 6 business hours
    apply_event(clock, kind="customer_replied", changes={"status": ["solved", "open"]}, at=utc(2026, 2, 10, 8))
    assert clock.resolution_fulfilled_at is None
    # 16 h + 6 h = 22 h from Mon 09:00: Mon 8, Tue 8 (16), Wed closed, Thu 6 -> Thu 15:00 CET = 14:00 UTC
    assert clock_due(HOURS, clock, TARGETS, RESOLUTION).due_at == utc(2026, 2, 12, 14)


def test_a_second_customer_message_does_not_restart_a_running_next_response_clock():
    clock = Clock(started_at=utc(2026, 2, 9, 8))
    apply_event(clock, kind="replied", changes={"status": ["new", "open"]}, at=utc(2026, 2, 9, 8, 30))
    apply_event(clock, kind="customer_replied", changes={}, at=utc(2026, 2, 9, 9))
    apply_event(clock, kind="customer_replied", changes={}, at=utc(2026, 2, 9, 10))
    assert clock.next_response_started_at == utc(2026, 2, 9, 9)
    assert apply_event(clock, kind="replied", changes={}, at=utc(2026, 2, 9, 10, 30)) == [NEXT_RESPONSE]
    # A customer message before any answer leaves the first-response clock in charge.
    fresh = Clock(started_at=utc(2026, 2, 9, 8))
    apply_event(fresh, kind="customer_replied", changes={}, at=utc(2026, 2, 9, 9))
    assert fresh.next_response_started_at is None
