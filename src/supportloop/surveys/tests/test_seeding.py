"""`supportloop seed` leaves survey responses spread over weeks, some bad ratings open and some reviewed, and
mails no lead about history."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models.functions import TruncWeek

from supportloop.surveys.choices import BadRatingStatus
from supportloop.surveys.models import BadRating, SurveyResponse


@pytest.mark.django_db
def test_the_demo_has_survey_responses_over_weeks_and_bad_ratings(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed", seed=3, tickets=150, admin_password="pw-demo-1", verbosity=0)
    responses = SurveyResponse.objects.all()
    kinds = set(responses.values_list("kind", flat=True))
    assert kinds == {"csat", "ces", "nps"} or kinds == {"csat", "nps"}
    assert responses.count() >= 60
    weeks = responses.annotate(week=TruncWeek("rated_at")).values("week").distinct().count()
    assert weeks >= 6
    assert BadRating.objects.filter(status=BadRatingStatus.OPEN).exists()
    assert BadRating.objects.filter(status=BadRatingStatus.HANDLED).exists()
    assert not [m for m in mail.outbox if "Bad " in m.subject]
