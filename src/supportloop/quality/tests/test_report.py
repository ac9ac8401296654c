"""The quality report's arithmetic beside CSAT, on a hand-built case."""

from __future__ import annotations

from decimal import Decimal

import pytest

from supportloop.accounts.services import team_create
from supportloop.quality import selectors, services
from supportloop.quality.models import Review
from supportloop.quality.tests.helpers import WEEK, csat, scorecard, solved

pytestmark = pytest.mark.django_db


def test_report_by_week_agent_team_and_criterion_beside_csat(make_user, make_ticket):
    lead = make_user("lead")
    ann, bob = make_user("agent"), make_user("agent")
    team = team_create(name="Billing", slug="billing", actor=lead)
    scorecard(lead)
    services.quality_settings_update(actor=lead, sample_size=5, reviewer_ids=[lead.pk])
    a1 = solved(make_ticket, agent=ann, team=team, hours=1)
    a2 = solved(make_ticket, agent=ann, team=team, hours=2)
    b1 = solved(make_ticket, agent=bob, hours=3)
    csat(a1, agent=ann, score=5, team=team)
    csat(a2, agent=ann, score=3, team=team)  # neutral: counts among the answers only
    csat(b1, agent=bob, score=4)
    services.sample_week(week=WEEK)
    scores = {a1.pk: {"Tone": 5, "Accuracy": 1}, a2.pk: {"Tone": 3, "Accuracy": 0}, b1.pk: {"Tone": 1, "Accuracy": 1}}
    for review in Review.objects.all():
        services.review_score(review=review, values=scores[review.ticket_id], comment="", actor=lead)
    # Ann: 100 and (2*50 + 0)/5 = 20 -> mean 60.0; Bob: (0 + 300)/5 = 60.0; the week: (100+20+60)/3 = 60.0
    # CSAT: Ann 1 good of 2 = 50.0; Bob 1 of 1 = 100.0; the week 2 of 3 = 66.7
    report = selectors.quality_report(weeks=2, last=WEEK)
    assert report.weeks == ["2026-W09", WEEK]
    week = report.by_week[1]
    assert (week.reviews, week.quality, week.csat_count, week.csat) == (3, Decimal("60.0"), 3, Decimal("66.7"))
    assert report.by_week[0].reviews == 0 and report.by_week[0].quality is None
    agents = {f.label: (f.reviews, f.quality, f.csat_count, f.csat) for f in report.by_agent}
    assert agents[ann.display_name] == (2, Decimal("60.0"), 2, Decimal("50.0"))
    assert agents[bob.display_name] == (1, Decimal("60.0"), 1, Decimal("100.0"))
    teams = {f.label: (f.reviews, f.quality, f.csat) for f in report.by_team}
    assert teams["Billing"] == (2, Decimal("60.0"), Decimal("50.0"))
    # Tone: 100, 50, 0 -> 50.0; Accuracy: 100, 0, 100 -> 66.7
    criteria = {c.label: c.cells for c in report.by_criterion}
    assert criteria == {"Accuracy": [None, Decimal("66.7")], "Tone": [None, Decimal("50.0")]}
    # One team only.
    only = selectors.quality_report(weeks=1, last=WEEK, team_id=team.pk)
    assert [(f.label, f.reviews) for f in only.by_agent] == [(ann.display_name, 2)]
