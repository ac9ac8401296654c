"""Demo rotation (`supportloop seed`): everyone takes a turn, so every active user is in the rotation (a few with
fewer weekdays or a monthly maximum), one person has time off, the schedule is generated fairly from two weeks
ago to four weeks ahead, one shift is swapped, and a planned launch next week lifts the forecast. The forecast
itself needs no seeding: it reads the seeded ticket history (90 days, with weekday and hour-of-day patterns)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.team import services
from supportloop.team.models import RotationMember, Shift

MAX_MEMBERS = 12


def seed(*, rng: random.Random, size: int) -> None:
    if RotationMember.objects.exists():
        return  # seeded already (the demo command runs hooks once per fresh workspace)
    lead = User.objects.filter(role__in=["lead", "admin"], is_active=True).order_by("pk").first()
    people = list(User.objects.filter(is_active=True).order_by("pk")[:MAX_MEMBERS])
    if len(people) < 2:
        return
    for i, person in enumerate(people):
        weekdays = [0, 1, 2, 3, 4] if i % 4 == 1 else list(range(7))  # some never do weekends
        services.rotation_member_set(
            user=person,
            actor=lead,
            weekdays=weekdays,
            max_per_month=rng.choice([4, 6, 8]),
            morning_reminder=i % 3 == 0,
        )
    today = timezone.localdate()
    away = people[rng.randrange(len(people))]
    services.time_off_add(
        user=away, start=today + timedelta(days=7), end=today + timedelta(days=11), actor=away, note="Holiday"
    )
    services.schedule_generate(
        start=today - timedelta(days=14), end=today + timedelta(days=28), seed=rng.randrange(10**6), actor=lead
    )
    upcoming = Shift.objects.filter(date__gt=today).select_related("user").order_by("date").first()
    if upcoming is not None:
        other = next(p for p in people if p.pk != upcoming.user_id)
        services.shift_swap(shift=upcoming, to_user=other, actor=upcoming.user)
    services.planned_event_create(
        name="Spring launch",
        start=today + timedelta(days=8),
        end=today + timedelta(days=9),
        multiplier="1.6",
        actor=lead,
    )
