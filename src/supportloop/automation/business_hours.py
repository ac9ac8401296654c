"""Business-time arithmetic: add business seconds to a moment, and count the business seconds between two
moments, over a weekly schedule in one time zone with closed days (public holidays, custom dates).

Pure: no Django, no database. Moments are aware datetimes; the answers are aware datetimes in UTC. Each day's
opening hours are local wall-clock times turned into UTC through zoneinfo, so a day on which the clocks change
(DST) keeps its local hours (09:00-17:00 stays eight hours), and whatever happens at the change itself (a
missing or a repeated local hour) is handled by zoneinfo's fold rules. Arithmetic on aware datetimes is done in
UTC on purpose: Python subtracts two datetimes that share a tzinfo as wall-clock times, which is wrong across
a DST change.

This module must not know about tickets or SLA targets: automation/sla_clock.py builds on it.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

# A schedule with no open hour in this many days (every day a holiday, say) cannot answer "when": refuse it
# rather than loop. Ten years covers any real calendar.
MAX_DAYS_SEARCHED = 3660
END_OF_DAY = time(0, 0)  # an interval ending at 00:00 ends at the next midnight ("24:00")


class NoBusinessHours(ValueError):
    """The schedule has no open time to add business time to (no weekly hours, or only closed days)."""


@dataclass(frozen=True)
class BusinessHours:
    """When the business is open.

    `weekly[i]` lists the opening intervals of weekday i (0 Monday ... 6 Sunday) as local (start, end)
    times, sorted, non-overlapping, start < end, with an end of 00:00 meaning midnight at the end of the day.
    `closed` answers `day in closed` for local dates on which nothing is open (a holidays.HolidayBase, a set
    of custom dates, or both through ClosedDays). `always_open` is the 24/7 clock: plain arithmetic.
    """

    tz: ZoneInfo
    weekly: tuple[tuple[tuple[time, time], ...], ...]
    closed: Container[date] = field(default_factory=frozenset)
    always_open: bool = False

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise ValueError("weekly needs seven days, Monday first")

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of a local day, in UTC; none on a closed day."""
        if day in self.closed:
            return []
        result = []
        for start, end in self.weekly[day.weekday()]:
            opens = datetime.combine(day, start, tzinfo=self.tz).astimezone(UTC)
            if end == END_OF_DAY:
                closes = datetime.combine(day + timedelta(days=1), END_OF_DAY, tzinfo=self.tz).astimezone(UTC)
            else:
                closes = datetime.combine(day, end, tzinfo=self.tz).astimezone(UTC)
            if closes > opens:  # a DST change inside a short interval could leave nothing of it
                result.append((opens, closes))
        return result

    def _local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


ALWAYS_OPEN = BusinessHours(tz=ZoneInfo("UTC"), weekly=((),) * 7, always_open=True)


class ClosedDays:
    """Public holidays (any container of dates, e.g. `holidays.country_holidays(...)`) plus custom dates."""

    def __init__(self, public: Container[date] | None, custom: Container[date]):
        self.public = public
        self.custom = custom

    def __contains__(self, day: object) -> bool:
        return day in self.custom or (self.public is not None and day in self.public)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business-time arithmetic needs aware datetimes")
    return moment.astimezone(UTC)


def business_add(hours: BusinessHours, start: datetime, seconds: float) -> datetime:
    """The moment `seconds` of open time after `start`.

    Zero seconds is `start` itself (even outside the hours: nothing is owed). A target that ends exactly at
    closing time is due at closing time (17:00 Friday), not at the next opening.
    """
    start = _aware(start)
    if seconds < 0:
        raise ValueError("seconds must not be negative")
    if hours.always_open or seconds == 0:
        return start + timedelta(seconds=seconds)
    remaining = timedelta(seconds=seconds)
    day = hours._local_day(start) - timedelta(days=1)  # yesterday's interval may run past midnight (end 00:00)
    for _ in range(MAX_DAYS_SEARCHED):
        for opens, closes in hours.intervals_on(day):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += timedelta(days=1)
    raise NoBusinessHours("no open hours found within ten years")


def business_seconds_between(hours: BusinessHours, start: datetime, end: datetime) -> float:
    """Open seconds in [start, end); 0 when end is not after start."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return 0.0
    if hours.always_open:
        return (end - start).total_seconds()
    total = timedelta()
    day = hours._local_day(start) - timedelta(days=1)
    last = hours._local_day(end)
    while day <= last:
        for opens, closes in hours.intervals_on(day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta():
                total += overlap
        day += timedelta(days=1)
    return total.total_seconds()


def is_open_at(hours: BusinessHours, moment: datetime) -> bool:
    moment = _aware(moment)
    if hours.always_open:
        return True
    day = hours._local_day(moment)
    return any(
        opens <= moment < closes for d in (day - timedelta(days=1), day) for opens, closes in hours.intervals_on(d)
    )


def parse_weekly(spec: list[dict]) -> tuple[tuple[tuple[time, time], ...], ...]:
    """[{"day": 0, "start": "09:00", "end": "17:00"}, ...] -> BusinessHours.weekly. Raises ValueError with
    a message naming the bad entry; overlapping intervals of one day are refused."""
    days: list[list[tuple[time, time]]] = [[] for _ in range(7)]
    for i, entry in enumerate(spec):
        try:
            day = int(entry["day"])
            start = time.fromisoformat(str(entry["start"]))
            end_text = str(entry["end"])
            end = END_OF_DAY if end_text in ("24:00", "00:00") else time.fromisoformat(end_text)
        except (KeyError, TypeError, ValueError):
            raise ValueError(f"entry {i + 1}: needs day (0-6), start and end as HH:MM") from None
        if not 0 <= day <= 6:
            raise ValueError(f"entry {i + 1}: day must be 0 (Monday) to 6 (Sunday)")
        if start.second or end.second or start.microsecond or end.microsecond:
            raise ValueError(f"entry {i + 1}: times are whole minutes")
        if end != END_OF_DAY and end <= start:
            raise ValueError(f"entry {i + 1}: the end must be after the start")
        days[day].append((start, end))
    for day, intervals in enumerate(days):
        intervals.sort()
        for (_s1, e1), (s2, _e2) in pairwise(intervals):
            if e1 == END_OF_DAY or s2 < e1:
                raise ValueError(f"day {day}: opening hours overlap")
    return tuple(tuple(d) for d in days)
