from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.team.models import (
    PlannedEvent,
    RotationMember,
    ShadowFinding,
    ShadowSignup,
    Shift,
    ShiftPattern,
    ShiftSwap,
    SwapRequest,
)
from supportloop.team.seeding import seed


@pytest.mark.django_db
def test_demo_seed_makes_a_rotation_with_shifts_of_a_day_swaps_and_a_planned_event(make_user):
    for role in (Role.ADMIN, Role.LEAD, Role.AGENT, Role.AGENT, Role.PRODUCT, Role.VIEWER):
        make_user(role)
    seed(rng=random.Random("42:team"), size=100)
    assert RotationMember.objects.count() == 6
    assert list(ShiftPattern.objects.values_list("name", flat=True)) == ["Early", "Late", "Weekend"]
    today = timezone.localdate()
    days = [today + timedelta(days=i) for i in range(-14, 29)]  # 14 days back, today, 28 ahead
    expected = sum(2 if d.weekday() < 5 else 1 for d in days)  # early + late on weekdays, one on weekends
    assert Shift.objects.count() == expected  # no gaps with six people
    assert all(
        (s.pattern.name == "Weekend") == (s.date.weekday() >= 5) for s in Shift.objects.select_related("pattern")
    )
    assert Shift.objects.filter(date__gt=today).exists()
    assert ShiftSwap.objects.count() == 1 and PlannedEvent.objects.count() == 1
    assert sorted(SwapRequest.objects.values_list("status", flat=True)) == ["accepted", "proposed"]
    assert ShadowSignup.objects.filter(debriefed_at__isnull=False).count() >= 2
    assert ShadowFinding.objects.filter(feedback_item__isnull=False).count() == 1
    seed(rng=random.Random("42:team"), size=100)  # a second run adds nothing
    assert Shift.objects.count() == expected
