"""The fair schedule generator as a pure function (no database): who takes which day.

For each day, the candidates are the people who can take that weekday, are not on time off, and are under
their monthly maximum. Weekend days are handed out first (fewest weekend shifts wins), then weekdays (fewest
shifts wins); ties go to whoever's nearest shift is farthest away, then to a draw from a random generator seeded
by the caller, so the same inputs and seed always give the same schedule. A day nobody can take is a gap.
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
    person already has in that month outside the period (they count towards the maximum).

    Two passes: the weekend days first, each to whoever has the fewest weekend shifts (then fewest shifts), so
    the burden of weekends is spread before anything else; then the weekdays, each to whoever has the fewest
    shifts overall. Ties go to the person whose nearest shift is farthest away, then to a seeded draw."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible tie-break, not a secret
    order = sorted(people, key=lambda p: p.user_id)
    tiebreak = {p.user_id: rng.random() for p in order}
    months: dict[tuple[int, int, int], int] = defaultdict(int, month_counts or {})
    total: dict[int, int] = defaultdict(int)
    weekends: dict[int, int] = defaultdict(int)
    taken: dict[int, list[date]] = defaultdict(list)
    plan = Plan()
    days = days_between(start, end)
    for day in [d for d in days if d.weekday() >= 5] + [d for d in days if d.weekday() < 5]:
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
            nearest = min((abs((day - d).days) for d in taken[p.user_id]), default=10**6)
            # A day next to one of their own counts like one shift more: back-to-back duty only when unavoidable.
            load = total[p.user_id] + (1 if nearest == 1 else 0)
            return (weekends[p.user_id] if weekend else 0, load, -nearest, tiebreak[p.user_id])

        chosen = min(candidates, key=key)
        plan.assignments[day] = chosen.user_id
        total[chosen.user_id] += 1
        months[(chosen.user_id, day.year, day.month)] += 1
        if weekend:
            weekends[chosen.user_id] += 1
        taken[chosen.user_id].append(day)
        # Re-draw the chosen person's tie-break so equal people do not always fall in the same order.
        tiebreak[chosen.user_id] = rng.random()
    plan.assignments = dict(sorted(plan.assignments.items()))
    plan.gaps.sort()
    return plan
