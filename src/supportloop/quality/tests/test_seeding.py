"""The demo shows a scorecard, done reviews and pending assignments."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.quality.models import Review, SampleRun, Scorecard
from supportloop.quality.seeding import seed
from supportloop.tickets.models import Ticket


@pytest.mark.django_db
def test_demo_seed_makes_a_scorecard_done_reviews_and_pending_ones(make_user, make_ticket):
    lead = make_user("lead", username="lead")
    agents = [make_user("agent", username="agent"), make_user("agent"), make_user("agent")]
    last_monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday() + 7)
    for days_back in range(0, 28, 2):  # solved tickets over the last four weeks
        for agent in agents:
            ticket = make_ticket()
            when = timezone.now().replace(year=last_monday.year, month=last_monday.month, day=last_monday.day)
            Ticket.objects.filter(pk=ticket.pk).update(
                status="solved", assignee=agent, solved_at=when - timedelta(days=days_back) + timedelta(days=3)
            )
    seed(rng=random.Random("42:quality"), size=100)
    assert Scorecard.objects.filter(active=True).count() == 1
    assert SampleRun.objects.count() == 4
    assert Review.objects.filter(status="done").exists()
    assert Review.objects.filter(status="assigned").exists()
    assert not Review.objects.filter(reviewer_id=lead.pk, agent_id=lead.pk).exists()
    seed(rng=random.Random("42:quality"), size=100)  # a second run adds nothing
    assert SampleRun.objects.count() == 4
