"""Demo quality reviews (`supportloop seed`): an active scorecard (tone, accuracy, process, empathy; weighted, mixed
pass/fail and 1-5), the lead and the demo agent as reviewers, the weekly sample of the last four weeks (random
solved tickets per agent plus every bad CSAT), the older weeks scored with comments and last week's partly, so
the demo shows done reviews, pending assignments and a report with several weeks beside CSAT."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.quality import services
from supportloop.quality.choices import ReviewStatus, Scale
from supportloop.quality.models import Review, Scorecard

CRITERIA = [
    {"label": "Tone", "weight": 2, "scale": Scale.ONE_TO_FIVE},
    {"label": "Accuracy", "weight": 3, "scale": Scale.PASS_FAIL},
    {"label": "Process followed", "weight": 1, "scale": Scale.PASS_FAIL},
    {"label": "Empathy", "weight": 2, "scale": Scale.ONE_TO_FIVE},
]
COMMENTS = [
    "Clear answer and a friendly close. Link the help-center article next time.",
    "Right fix, but the first reply only asked for information we already had.",
    "Great empathy with an upset customer; remember to tag the product area.",
    "Accurate, a little curt. A sentence acknowledging the wait would help.",
    "",
]
WEEKS = 4


def seed(*, rng: random.Random, size: int) -> None:
    if Scorecard.objects.exists():
        return  # seeded already
    lead = User.objects.filter(role__in=["lead", "admin"], is_active=True).order_by("-role", "pk").first()
    if lead is None:
        return
    services.scorecard_create(name="Support quality", criteria=CRITERIA, active=True, actor=lead)
    reviewers = [lead.pk]
    agent = (
        User.objects.filter(username="agent", is_active=True).first()
        or User.objects.filter(role="agent", is_active=True).order_by("pk").first()
    )
    if agent is not None:
        reviewers.append(agent.pk)
    services.quality_settings_update(actor=lead, sample_size=2, reviewer_ids=reviewers)
    today = timezone.localdate()
    weeks = [services.week_label(today - timedelta(days=7 * i)) for i in range(WEEKS, 0, -1)]
    for week in weeks:
        services.sample_week(week=week, actor=lead)
    users = {u.pk: u for u in User.objects.filter(pk__in=reviewers)}
    for review in Review.objects.filter(status=ReviewStatus.ASSIGNED).order_by("week", "pk"):
        if review.week == weeks[-1] and rng.random() < 0.6:
            continue  # last week's sample is partly still waiting
        values = {
            c["label"]: (int(rng.random() < 0.85) if c["scale"] == Scale.PASS_FAIL else rng.choice([2, 3, 4, 4, 5, 5]))
            for c in review.criteria
        }
        services.review_score(
            review=review, values=values, comment=rng.choice(COMMENTS), actor=users[review.reviewer_id]
        )
