"""Demo rotation (`supportloop seed`): everyone takes a turn, so every active user is in the rotation (a few with
fewer weekdays or a monthly maximum), one person has time off, the team runs an early and a late shift on
weekdays and one on weekends, generated fairly from two weeks ago to four weeks ahead, one swap is accepted and
one waits for an answer, shadowing sessions have debriefs (one finding filed as feedback), and a planned launch
next week lifts the forecast. The forecast itself needs no seeding: it reads the seeded ticket history (90 days,
with weekday and hour-of-day patterns)."""

from __future__ import annotations

import random
from datetime import time, timedelta

from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.team import services, shadowing
from supportloop.team.models import RotationMember, Shift

MAX_MEMBERS = 12
WEEKDAYS = [0, 1, 2, 3, 4]
FINDINGS = [
    "Agents copy invoice numbers from the billing screen by hand",
    "Customers ask for a CSV export of their usage every week",
    "Password reset mails land in spam for Outlook users",
    "Nobody can tell which plan a customer is on without opening the admin",
]


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
            max_per_month=rng.choice([8, 10, 12]),
            morning_reminder=i % 3 == 0,
        )
    # Two shifts on weekdays (early and late, local hours), one on weekend days.
    services.shift_pattern_save(actor=lead, name="Early", start_time=time(8), end_time=time(14), weekdays=WEEKDAYS)
    services.shift_pattern_save(
        actor=lead, name="Late", start_time=time(14), end_time=time(20), weekdays=WEEKDAYS, position=1
    )
    services.shift_pattern_save(
        actor=lead, name="Weekend", start_time=time(10), end_time=time(16), weekdays=[5, 6], position=2
    )
    today = timezone.localdate()
    away = people[rng.randrange(len(people))]
    services.time_off_add(
        user=away, start=today + timedelta(days=7), end=today + timedelta(days=11), actor=away, note="Holiday"
    )
    services.schedule_generate(
        start=today - timedelta(days=14), end=today + timedelta(days=28), seed=rng.randrange(10**6), actor=lead
    )
    # One swap proposed and accepted, one still waiting for an answer.
    upcoming = list(Shift.objects.filter(date__gt=today).select_related("user").order_by("date", "starts_at")[:12])
    for shift, accept in zip(upcoming[:1] + upcoming[6:7], (True, False), strict=False):
        busy = set(Shift.objects.filter(date=shift.date).values_list("user_id", flat=True))
        other = next((p for p in people if p.pk not in busy), None)
        if other is None:
            continue
        proposal = services.swap_propose(shift=shift, to_user=other, actor=shift.user, note="Dentist that day")
        if accept:
            services.swap_accept(request=proposal, actor=other)
    _seed_shadowing(rng=rng, people=people, lead=lead)
    services.planned_event_create(
        name="Spring launch",
        start=today + timedelta(days=8),
        end=today + timedelta(days=9),
        multiplier="1.6",
        actor=lead,
    )


def _seed_shadowing(*, rng: random.Random, people: list[User], lead: User | None) -> None:
    """Past sessions with debriefs (one finding already filed as feedback) and one open slot next week."""
    hosts = [p for p in people if p.role in ("agent", "lead")]
    visitors = [p for p in people if p.role in ("product", "viewer", "admin")] or people[:2]
    if not hosts:
        return
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    for i, visitor in enumerate(visitors[:3]):
        host = hosts[i % len(hosts)]
        if host.pk == visitor.pk:
            continue
        start = now - timedelta(days=3 + 4 * i, hours=2)
        slot = shadowing.shadow_slot_create(host=host, starts_at=start, ends_at=start + timedelta(hours=2), actor=host)
        signup = shadowing.shadow_signup(slot=slot, visitor=visitor)
        found = shadowing.shadow_debrief(
            signup=signup,
            actor=visitor,
            saw="Two hours on the queue: mostly billing questions and one angry outage report.",
            findings=rng.sample(FINDINGS, 2),
        )
        filer = lead if lead is not None and lead.role in ("admin", "product") else visitor
        if i == 0 and filer.role in ("admin", "product", "lead", "agent"):
            shadowing.shadow_finding_to_feedback(finding=found[0], actor=filer)
    start = now + timedelta(days=6, hours=1)
    shadowing.shadow_slot_create(
        host=hosts[0],
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        seats=2,
        actor=hosts[0],
        note="Billing queue",
    )
