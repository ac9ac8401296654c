"""The schedule generator on hand-built teams: balanced counts, weekends spread, and each constraint kept."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date

from supportloop.team.planner import Person, days_between, plan_schedule

ALL = frozenset(range(7))
JAN = (date(2027, 1, 1), date(2027, 1, 28))  # 4 whole weeks (Fri 1 Jan .. Thu 28 Jan), 8 weekend days


def test_four_equal_people_over_four_weeks_get_seven_days_and_two_weekend_days_each():
    # 28 days / 4 people = 7 each; 8 weekend days / 4 = 2 each.
    people = [Person(user_id=i, weekdays=ALL, max_per_month=0) for i in range(1, 5)]
    plan = plan_schedule(people=people, start=JAN[0], end=JAN[1], seed=1)
    assert not plan.gaps and len(plan.assignments) == 28
    assert sorted(Counter(plan.assignments.values()).values()) == [7, 7, 7, 7]
    weekend = Counter(u for d, u in plan.assignments.items() if d.weekday() >= 5)
    assert sorted(weekend.values()) == [2, 2, 2, 2]


def test_uneven_division_differs_by_at_most_one_and_nobody_takes_two_days_running_when_avoidable():
    people = [Person(user_id=i, weekdays=ALL, max_per_month=0) for i in range(1, 4)]
    plan = plan_schedule(people=people, start=date(2027, 3, 1), end=date(2027, 3, 31), seed=7)
    counts = Counter(plan.assignments.values())
    assert max(counts.values()) - min(counts.values()) <= 1  # 31 / 3: 11, 10, 10
    days = sorted(plan.assignments)
    assert all(plan.assignments[a] != plan.assignments[b] for a, b in itertools.pairwise(days))


def test_weekdays_time_off_and_monthly_maximum_are_respected():
    people = [
        Person(user_id=1, weekdays=frozenset({0, 1, 2, 3, 4}), max_per_month=0),  # never weekends
        Person(user_id=2, weekdays=ALL, max_per_month=3),  # at most 3 a month
        Person(user_id=3, weekdays=ALL, max_per_month=0, time_off=((date(2027, 1, 4), date(2027, 1, 15)),)),
        Person(user_id=4, weekdays=ALL, max_per_month=0),
    ]
    plan = plan_schedule(people=people, start=JAN[0], end=JAN[1], seed=3)
    assert not plan.gaps
    assert all(d.weekday() < 5 for d, u in plan.assignments.items() if u == 1)
    assert sum(1 for u in plan.assignments.values() if u == 2) <= 3
    assert not [d for d, u in plan.assignments.items() if u == 3 and date(2027, 1, 4) <= d <= date(2027, 1, 15)]


def test_monthly_maximum_counts_existing_shifts_and_resets_next_month():
    people = [Person(user_id=1, weekdays=ALL, max_per_month=2)]
    plan = plan_schedule(
        people=people, start=date(2027, 1, 30), end=date(2027, 2, 3), seed=0, month_counts={(1, 2027, 1): 1}
    )
    # January: 1 already, so only one more (30 Jan); 31 Jan is a gap; February: 2 (1st, 2nd), 3rd a gap.
    assert sorted(plan.assignments) == [date(2027, 1, 30), date(2027, 2, 1), date(2027, 2, 2)]
    assert plan.gaps == [date(2027, 1, 31), date(2027, 2, 3)]


def test_a_day_nobody_can_take_is_a_gap():
    people = [Person(user_id=1, weekdays=frozenset({0}), max_per_month=0)]
    plan = plan_schedule(people=people, start=date(2027, 1, 4), end=date(2027, 1, 10), seed=0)  # Mon..Sun
    assert list(plan.assignments) == [date(2027, 1, 4)]
    assert len(plan.gaps) == 6


def test_same_seed_same_schedule_other_seed_may_differ():
    people = [Person(user_id=i, weekdays=ALL, max_per_month=0) for i in range(1, 6)]
    a = plan_schedule(people=people, start=JAN[0], end=JAN[1], seed=42)
    b = plan_schedule(people=people, start=JAN[0], end=JAN[1], seed=42)
    assert a.assignments == b.assignments
    others = {
        tuple(plan_schedule(people=people, start=JAN[0], end=JAN[1], seed=s).assignments.values()) for s in range(5)
    }
    assert len(others) > 1


def test_weekends_spread_even_when_weekday_availability_differs():
    # Two people can only do weekends; two can do anything. Weekend days (8) still spread 2 each.
    people = [
        Person(user_id=1, weekdays=frozenset({5, 6}), max_per_month=0),
        Person(user_id=2, weekdays=frozenset({5, 6}), max_per_month=0),
        Person(user_id=3, weekdays=ALL, max_per_month=0),
        Person(user_id=4, weekdays=ALL, max_per_month=0),
    ]
    plan = plan_schedule(people=people, start=JAN[0], end=JAN[1], seed=5)
    weekend = Counter(u for d, u in plan.assignments.items() if d.weekday() >= 5)
    assert sorted(weekend.values()) == [2, 2, 2, 2]
    assert len(days_between(*JAN)) == len(plan.assignments)


def test_several_shifts_a_day_are_balanced_by_hours_and_nobody_gets_two_on_one_day():
    # Two people, a 10-hour and a 6-hour shift each weekday for two weeks: 20 shifts, 160 hours.
    # Whoever took the long shift one day takes the short one next, so both end with 80 hours and 10 shifts.
    from supportloop.team.planner import Slot, plan_slots

    people = [Person(user_id=i, weekdays=ALL, max_per_month=0) for i in (1, 2)]
    days = [d for d in days_between(date(2027, 1, 4), date(2027, 1, 15)) if d.weekday() < 5]
    slots = [Slot(day=d, pattern_id=p, hours=h) for d in days for p, h in ((1, 10.0), (2, 6.0))]
    plan = plan_slots(people=people, slots=slots, seed=4)
    assert not plan.gaps and len(plan.assignments) == 20
    hours = Counter()
    for slot, user in plan.assignments.items():
        hours[user] += slot.hours
    assert hours == {1: 80.0, 2: 80.0}
    for d in days:  # each day: one person per shift, never the same person twice
        assert {u for s, u in plan.assignments.items() if s.day == d} == {1, 2}
    # Kept edits count: a person already busy on a day is not planned again that day.
    busy = plan_slots(people=people, slots=[Slot(day=days[0], pattern_id=1)], seed=0, busy={1: {days[0]}})
    assert list(busy.assignments.values()) == [2]
