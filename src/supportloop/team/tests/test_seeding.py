from __future__ import annotations

import random

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.team.models import PlannedEvent, RotationMember, ShadowFinding, ShadowSignup, Shift, ShiftSwap
from supportloop.team.seeding import seed


@pytest.mark.django_db
def test_demo_seed_makes_a_rotation_a_swap_and_a_planned_event(make_user):
    for role in (Role.ADMIN, Role.LEAD, Role.AGENT, Role.AGENT, Role.PRODUCT, Role.VIEWER):
        make_user(role)
    seed(rng=random.Random("42:team"), size=100)
    assert RotationMember.objects.count() == 6
    assert Shift.objects.count() == 43  # 14 days back, today, 28 ahead: no gaps with six people
    assert Shift.objects.filter(date__gt=timezone.localdate()).exists()
    assert ShiftSwap.objects.count() == 1 and PlannedEvent.objects.count() == 1
    assert ShadowSignup.objects.filter(debriefed_at__isnull=False).count() >= 2
    assert ShadowFinding.objects.filter(feedback_item__isnull=False).count() == 1
    seed(rng=random.Random("42:team"), size=100)  # a second run adds nothing
    assert Shift.objects.count() == 43
