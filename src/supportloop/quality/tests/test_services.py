"""Scorecards, the weighted score, the weekly sample and scoring (services), on hand-built cases."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from supportloop.automation.models import Notification
from supportloop.core.errors import PermissionDenied, ValidationFailed
from supportloop.core.models import Event
from supportloop.quality import services
from supportloop.quality.choices import ReviewStatus, SampledBecause, Scale
from supportloop.quality.models import Review, SampleRun
from supportloop.quality.tests.helpers import WEEK, csat, scorecard, solved

pytestmark = pytest.mark.django_db


def test_weighted_score_mixes_pass_fail_and_one_to_five():
    # Tone 4 on 1-5 = (4-1)/4 = 75 %, weight 2; Accuracy pass = 100 %, weight 3; Empathy 2 = 25 %, weight 1.
    # (2*75 + 3*100 + 1*25) / 6 = 475/6 = 79.1666.. -> 79.2
    answers = [(2, Scale.ONE_TO_FIVE, 4), (3, Scale.PASS_FAIL, 1), (1, Scale.ONE_TO_FIVE, 2)]
    assert services.weighted_score(answers) == Decimal("79.2")
    # A fail on the heavy criterion: (2*75 + 0 + 25) / 6 = 175/6 = 29.17 -> 29.2
    assert services.weighted_score([(2, "one_to_five", 4), (3, "pass_fail", 0), (1, "one_to_five", 2)]) == Decimal(
        "29.2"
    )
    assert services.weighted_score([(1, "one_to_five", 1)]) == Decimal("0.0")
    assert services.weighted_score([(5, "one_to_five", 5), (1, "pass_fail", 1)]) == Decimal("100.0")


def _people(make_user):
    lead = make_user("lead")
    return lead, make_user("agent"), make_user("agent"), make_user("agent")


def test_sample_picks_n_random_per_agent_every_bad_csat_and_never_self_review(make_user, make_ticket):
    lead, ann, bob, cy = _people(make_user)
    scorecard(lead)
    services.quality_settings_update(actor=lead, sample_size=2, reviewer_ids=[lead.pk, ann.pk])
    ann_tickets = [solved(make_ticket, agent=ann, hours=10 + i) for i in range(5)]
    bob_tickets = [solved(make_ticket, agent=bob, hours=20 + i) for i in range(3)]
    one_for_cy = solved(make_ticket, agent=cy)
    solved(make_ticket, agent=ann, week="2026-W11")  # next week: not in this sample
    solved(make_ticket, agent=bob, week="2026-W09")  # the week before: not either
    bad_1 = csat(ann_tickets[0], agent=ann, score=1)
    bad_2 = csat(bob_tickets[0], agent=bob, score=2)
    csat(ann_tickets[1], agent=ann, score=5)  # good: nothing special

    run = services.sample_week(week=WEEK, actor=lead)

    reviews = list(Review.objects.all())
    by_why = Counter((r.agent_id, r.sampled_because) for r in reviews)
    assert by_why[(ann.pk, SampledBecause.BAD_CSAT)] == 1
    assert by_why[(bob.pk, SampledBecause.BAD_CSAT)] == 1
    assert by_why[(ann.pk, SampledBecause.RANDOM)] == 2  # 4 left after the bad one, 2 drawn
    assert by_why[(bob.pk, SampledBecause.RANDOM)] == 2  # 2 left after the bad one, both
    assert by_why[(cy.pk, SampledBecause.RANDOM)] == 1  # only one solved
    assert {bad_1.ticket_id, bad_2.ticket_id} <= {r.ticket_id for r in reviews}
    assert one_for_cy.pk in {r.ticket_id for r in reviews}
    assert all(r.reviewer_id != r.agent_id for r in reviews)
    assert {r.reviewer_id for r in reviews if r.agent_id == ann.pk} == {lead.pk}  # Ann never reviews herself
    assert all(r.week == WEEK and r.status == ReviewStatus.ASSIGNED for r in reviews)
    assert (run.random_count, run.bad_csat_count, run.unassigned_count) == (5, 2, 0)
    # Reviewers are told once each, in-app.
    assert Counter(Notification.objects.filter(source="quality").values_list("user_id", flat=True)) == {
        lead.pk: 1,
        ann.pk: 1,
    }
    assert Event.objects.filter(verb="quality.review_assigned").count() == 7
    assert Event.objects.filter(verb="quality.sample_run").count() == 1


def test_the_sample_runs_once_per_week(make_user, make_ticket):
    lead, ann, _bob, _cy = _people(make_user)
    scorecard(lead)
    for i in range(4):
        solved(make_ticket, agent=ann, hours=i)
    first = services.sample_week(week=WEEK)
    events = Event.objects.count()
    second = services.sample_week(week=WEEK)
    assert second.pk == first.pk
    assert Review.objects.count() == 2 == first.random_count  # the default sample size
    assert SampleRun.objects.count() == 1
    assert Event.objects.count() == events
    # A scheduler tick twice in the same week claims the period once.
    from datetime import UTC, datetime

    from supportloop.core.schedule import scheduler_tick

    tick = datetime(2026, 3, 9, 8, tzinfo=UTC)
    assert any(line.startswith("quality.weekly_sample") for line in scheduler_tick(tick))
    assert not any(line.startswith("quality.weekly_sample") for line in scheduler_tick(tick))


def test_a_ticket_whose_only_possible_reviewer_is_its_agent_is_left_out(make_user, make_ticket):
    lead = make_user("lead")
    ann = make_user("agent")
    scorecard(lead)
    services.quality_settings_update(actor=lead, reviewer_ids=[ann.pk])
    solved(make_ticket, agent=ann)
    run = services.sample_week(week=WEEK)
    assert Review.objects.count() == 0
    assert run.unassigned_count == 1


def test_score_refusals_record_nothing(make_user, make_ticket):
    lead, ann, bob, _cy = _people(make_user)
    scorecard(lead)
    services.quality_settings_update(actor=lead, reviewer_ids=[bob.pk])
    solved(make_ticket, agent=ann)
    services.sample_week(week=WEEK)
    review = Review.objects.get()
    other = make_user("agent")
    events = Event.objects.count()
    bad_inputs = [
        {"Tone": 4},  # Accuracy missing
        {"Tone": 6, "Accuracy": 1},  # out of range
        {"Tone": 0, "Accuracy": 1},
        {"Tone": 4, "Accuracy": 2},  # pass/fail is 0 or 1
        {"Tone": "x", "Accuracy": 1},
        {"Tone": 4, "Accuracy": 1, "Speed": 3},  # not a criterion of this review
    ]
    for values in bad_inputs:
        with pytest.raises(ValidationFailed):
            services.review_score(review=review, values=values, comment="", actor=bob)
    with pytest.raises(PermissionDenied):
        services.review_score(review=review, values={"Tone": 4, "Accuracy": 1}, comment="", actor=ann)  # own
    with pytest.raises(PermissionDenied):
        services.review_score(review=review, values={"Tone": 4, "Accuracy": 1}, comment="", actor=other)
    review.refresh_from_db()
    assert review.status == ReviewStatus.ASSIGNED and review.score is None and not review.scores.exists()
    assert Event.objects.count() == events


def test_scoring_then_editing_is_audited_and_criteria_edits_keep_done_reviews(make_user, make_ticket):
    lead, ann, bob, _cy = _people(make_user)
    card = scorecard(lead)
    services.quality_settings_update(actor=lead, reviewer_ids=[bob.pk])
    solved(make_ticket, agent=ann)
    solved(make_ticket, agent=ann, hours=50)
    services.sample_week(week=WEEK)
    done, waiting = Review.objects.order_by("pk")

    services.review_score(review=done, values={"Tone": 4, "Accuracy": 1}, comment="Good", actor=bob)
    done.refresh_from_db()
    assert done.score == Decimal("90.0")  # (2*75 + 3*100) / 5
    assert done.status == ReviewStatus.DONE
    event = Event.objects.get(verb="quality.review_done", target_id=str(done.pk))
    assert event.changes["score"] == [None, "90.0"]

    services.review_score(review=done, values={"Tone": 2, "Accuracy": 1}, comment="Fixed", actor=lead)
    done.refresh_from_db()
    assert done.score == Decimal("70.0")  # (2*25 + 300) / 5
    edited = Event.objects.get(verb="quality.review_edited", target_id=str(done.pk))
    assert edited.changes["scores"] == [{"Tone": 4, "Accuracy": 1}, {"Tone": 2, "Accuracy": 1}]

    # The lead makes Accuracy a 1-5 and adds Empathy: the done review keeps its meaning; the waiting one follows.
    services.scorecard_update(
        scorecard=card,
        actor=lead,
        criteria=[
            {"label": "Tone", "weight": 2, "scale": "one_to_five"},
            {"label": "Accuracy", "weight": 3, "scale": "one_to_five"},
            {"label": "Empathy", "weight": 1, "scale": "one_to_five"},
        ],
    )
    done.refresh_from_db()
    waiting.refresh_from_db()
    assert [c["scale"] for c in done.criteria] == ["one_to_five", "pass_fail"]
    assert done.score == Decimal("70.0")
    assert {s.label: (s.scale, s.value) for s in done.scores.all()} == {
        "Tone": ("one_to_five", 2),
        "Accuracy": ("pass_fail", 1),
    }
    assert [c["label"] for c in waiting.criteria] == ["Tone", "Accuracy", "Empathy"]
    with pytest.raises(ValidationFailed):
        services.review_score(review=waiting, values={"Tone": 4, "Accuracy": 1}, comment="", actor=bob)  # Empathy


def test_scorecard_validation(make_user):
    lead = make_user("lead")
    for criteria in (
        [],
        [{"label": "Tone", "weight": 0, "scale": "one_to_five"}],
        [{"label": "Tone", "weight": 1, "scale": "one_to_ten"}],
        [{"label": "Tone"}, {"label": "tone"}],
        [{"label": "", "weight": 1}],
    ):
        with pytest.raises(ValidationFailed):
            services.scorecard_create(name="X", criteria=criteria, actor=lead)
    first = scorecard(lead, name="A")
    second = scorecard(lead, name="B")
    first.refresh_from_db()
    assert second.active and not first.active  # one active at a time
