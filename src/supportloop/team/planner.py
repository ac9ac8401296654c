"""The fair schedule generator as a pure function (no database): who takes which shift.

For each shift (a day and a shift pattern), the candidates are the people who can take that weekday, are not on
time off, have no other shift that day, and are under their monthly maximum. Weekend shifts are handed out first
(fewest weekend shifts wins), then weekday ones (least load wins: hours on duty); ties go to whoever's nearest
shift is farthest away, then to a draw from a random generator seeded by the caller, so the same inputs and seed
always give the same schedule. A shift nobody can take is a gap.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta


@dataclass(frozen=True)
class Person:
    user_id: int
    weekdays: frozenset[int]  # 0 Monday ... 6 Sunday
    max_per_month: int  # 0: no maximum
    time_off: tuple[tuple[date, date], ...] = ()

    def off_on(self, day: date) -> bool:
        return any(start <= day <= end for start, end in self.time_off)


@dataclass
class Plan:
    assignments: dict[date, int] = field(default_factory=dict)
    gaps: list[date] = field(default_factory=list)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@dataclass(frozen=True)
class Slot:
    """One shift to fill: a day and a shift pattern (its hours weigh the person's load)."""

    day: date
    pattern_id: int
    hours: float = 8.0


@dataclass
class SlotPlan:
    assignments: dict[Slot, int] = field(default_factory=dict)
    gaps: list[Slot] = field(default_factory=list)


def plan_schedule(
    *,
    people: list[Person],
    start: date,
    end: date,
    seed: int,
    month_counts: dict[tuple[int, int, int], int] | None = None,
) -> Plan:
    """Fill every day from `start` to `end` (inclusive) with one shift a day. `month_counts[(user_id, year,
    month)]` counts shifts the person already has in that month outside the period (they count towards the
    maximum). See `plan_slots` for the rules."""
    slots = [Slot(day=d, pattern_id=0) for d in days_between(start, end)]
    planned = plan_slots(people=people, slots=slots, seed=seed, month_counts=month_counts)
    return Plan(
        assignments={slot.day: user for slot, user in planned.assignments.items()},
        gaps=[slot.day for slot in planned.gaps],
    )


def plan_slots(
    *,
    people: list[Person],
    slots: list[Slot],
    seed: int,
    month_counts: dict[tuple[int, int, int], int] | None = None,
    busy: dict[int, set[date]] | None = None,
) -> SlotPlan:
    """Fill each slot (several a day when the team runs several shifts). `busy[user_id]` holds days the person
    already has a shift on (kept edits): nobody gets two shifts on one day.

    Two passes: the weekend slots first, each to whoever has the fewest weekend shifts (then the least load), so
    the burden of weekends is spread before anything else; then the weekday slots, each to whoever has the least
    load. Load is hours on duty, so a long shift weighs more than a short one (with equal shifts: the number of
    shifts); a day next to one of the person's own adds one more of that shift, so back-to-back duty happens only
    when unavoidable. Ties go to the person whose nearest shift is farthest away, then to a seeded draw."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible tie-break, not a secret
    order = sorted(people, key=lambda p: p.user_id)
    tiebreak = {p.user_id: rng.random() for p in order}
    months: dict[tuple[int, int, int], int] = defaultdict(int, month_counts or {})
    load: dict[int, float] = defaultdict(float)
    weekends: dict[int, int] = defaultdict(int)
    taken: dict[int, set[date]] = defaultdict(set, {k: set(v) for k, v in (busy or {}).items()})
    plan = SlotPlan()
    ordered = sorted(slots, key=lambda s: (s.day.weekday() < 5, s.day, s.pattern_id))
    for slot in ordered:
        day = slot.day
        weekend = day.weekday() >= 5
        candidates = [
            p
            for p in order
            if day.weekday() in p.weekdays
            and not p.off_on(day)
            and day not in taken[p.user_id]
            and (p.max_per_month == 0 or months[(p.user_id, day.year, day.month)] < p.max_per_month)
        ]
        if not candidates:
            plan.gaps.append(slot)
            continue

        def key(p: Person, day: date = day, weekend: bool = weekend, hours: float = slot.hours) -> tuple:
            nearest = min((abs((day - d).days) for d in taken[p.user_id]), default=10**6)
            burden = load[p.user_id] + (hours if nearest == 1 else 0)
            return (weekends[p.user_id] if weekend else 0, burden, -nearest, tiebreak[p.user_id])

        chosen = min(candidates, key=key)
        plan.assignments[slot] = chosen.user_id
        load[chosen.user_id] += slot.hours
        months[(chosen.user_id, day.year, day.month)] += 1
        if weekend:
            weekends[chosen.user_id] += 1
        taken[chosen.user_id].add(day)
        # Re-draw the chosen person's tie-break so equal people do not always fall in the same order.
        tiebreak[chosen.user_id] = rng.random()
    plan.assignments = dict(sorted(plan.assignments.items(), key=lambda kv: (kv[0].day, kv[0].pattern_id)))
    plan.gaps.sort(key=lambda s: (s.day, s.pattern_id))
    return plan
