"""The fair schedule generator as a pure function (no database): who takes which day.

For each day in order, the candidates are the people who can take that weekday, are not on time off, and are
under their monthly maximum. Among them the pick is, in order: fewest weekend shifts (on a Saturday or Sunday
only), fewest shifts overall, longest since their last shift, then a tie-break drawn from a seeded random
generator, so the same inputs and seed always give the same schedule. A day nobody can take is left as a gap.
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


def plan_schedule(
    *,
    people: list[Person],
    start: date,
    end: date,
    seed: int,
    month_counts: dict[tuple[int, int, int], int] | None = None,
) -> Plan:
    """Fill every day from `start` to `end` (inclusive). `month_counts[(user_id, year, month)]` counts shifts the
    person already has in that month outside the period (they count towards the maximum)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible tie-break, not a secret
    order = sorted(people, key=lambda p: p.user_id)
    tiebreak = {p.user_id: rng.random() for p in order}
    months: dict[tuple[int, int, int], int] = defaultdict(int, month_counts or {})
    total: dict[int, int] = defaultdict(int)
    weekends: dict[int, int] = defaultdict(int)
    last: dict[int, date] = {}
    plan = Plan()
    for day in days_between(start, end):
        weekend = day.weekday() >= 5
        candidates = [
            p
            for p in order
            if day.weekday() in p.weekdays
            and not p.off_on(day)
            and (p.max_per_month == 0 or months[(p.user_id, day.year, day.month)] < p.max_per_month)
        ]
        if not candidates:
            plan.gaps.append(day)
            continue

        def key(p: Person, day: date = day, weekend: bool = weekend) -> tuple[int, int, int, float]:
            since = (day - last[p.user_id]).days if p.user_id in last else 10**6
            return (weekends[p.user_id] if weekend else 0, total[p.user_id], -since, tiebreak[p.user_id])

        chosen = min(candidates, key=key)
        plan.assignments[day] = chosen.user_id
        total[chosen.user_id] += 1
        months[(chosen.user_id, day.year, day.month)] += 1
        if weekend:
            weekends[chosen.user_id] += 1
        last[chosen.user_id] = day
        # Re-draw the tie-breaks now and then so equal people do not always fall in the same order.
        tiebreak[chosen.user_id] = rng.random()
    return plan
