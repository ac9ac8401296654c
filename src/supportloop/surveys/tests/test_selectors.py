"""The figures' arithmetic on hand-built responses, under both calculation windows. Each expected value is worked
out by hand in the comment beside it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportloop.core.errors import ValidationFailed
from supportloop.surveys.choices import SurveyKind, sentiment_of
from supportloop.surveys.models import SurveyResponse, SurveySend
from supportloop.surveys.selectors import survey_figures, survey_response_list


def d(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture
def rate(make_contact):
    contact = make_contact("Rater")

    def _rate(
        kind: str, score: int, rated: datetime, solved: datetime | None = None, scale: str = ""
    ) -> SurveyResponse:
        if kind == SurveyKind.CSAT and not scale:
            scale = "good_bad"
        send = SurveySend.objects.create(kind=kind, scale=scale, contact=contact, expires_at=rated + timedelta(days=14))
        return SurveyResponse.objects.create(
            send=send,
            kind=kind,
            scale=scale,
            score=score,
            sentiment=sentiment_of(kind, scale, score),
            contact=contact,
            rated_at=rated,
            solved_at=solved,
        )

    return _rate


START, END = d(1, 10), d(2, 1)  # [10 January, 1 February)


def test_csat_is_good_over_all_by_rated_date_and_by_solved_date(rate):
    rate("csat", 1, rated=d(1, 10), solved=d(1, 9))  # A: rated in, solved before
    rate("csat", 0, rated=d(1, 12), solved=d(1, 2))  # B: rated in, solved before
    rate("csat", 1, rated=d(1, 20), solved=d(1, 19))  # C: both in
    rate("csat", 1, rated=d(2, 2), solved=d(1, 30))  # D: rated after, solved in
    rate("csat", 0, rated=d(1, 5), solved=d(1, 4))  # E: before the period either way
    by_rated = survey_figures(kind="csat", start=START, end=END, window="rated")
    # A, B, C: 2 good of 3 = 66.7 %
    assert (by_rated.count, by_rated.good, by_rated.bad, by_rated.score) == (3, 2, 1, 66.7)
    by_solved = survey_figures(kind="csat", start=START, end=END, window="solved")
    # C, D: 2 good of 2 = 100 %
    assert (by_solved.count, by_solved.good, by_solved.score) == (2, 2, 100.0)


def test_csat_on_the_five_point_scale_counts_four_and_five_as_good(rate):
    for score in (5, 4, 3, 2):
        rate("csat", score, rated=d(1, 15), scale="five")
    figures = survey_figures(kind="csat", start=START, end=END, window="rated")
    # 5 and 4 good, 3 neutral, 2 bad: 2 of 4 = 50 %
    assert (figures.good, figures.neutral, figures.bad, figures.score) == (2, 1, 1, 50.0)


def test_nps_is_promoters_minus_detractors(rate):
    for score in (10, 10, 9, 8, 6, 0):
        rate("nps", score, rated=d(1, 15))
    rate("nps", 0, rated=d(2, 5))  # outside
    figures = survey_figures(kind="nps", start=START, end=END, window="rated")
    # promoters 3/6 = 50 %, detractors 2/6 = 33.3 %: NPS 16.7
    assert (figures.count, figures.good, figures.neutral, figures.bad, figures.score) == (6, 3, 1, 2, 16.7)
    # NPS is about contacts, not tickets: no solved date, so nothing in the solved window (said, not mixed).
    solved = survey_figures(kind="nps", start=START, end=END, window="solved")
    assert (solved.count, solved.score) == (0, None)


def test_ces_is_the_average_score_in_each_window(rate):
    rate("ces", 7, rated=d(1, 11), solved=d(1, 11))
    rate("ces", 5, rated=d(1, 12), solved=d(1, 3))
    rate("ces", 3, rated=d(2, 3), solved=d(1, 25))
    # rated: 7 and 5 -> 6.0; solved: 7 and 3 -> 5.0
    assert survey_figures(kind="ces", start=START, end=END, window="rated").score == 6.0
    assert survey_figures(kind="ces", start=START, end=END, window="solved").score == 5.0


def test_an_empty_period_has_no_score_and_bad_input_is_refused(rate):
    assert survey_figures(kind="csat", start=START, end=END, window="rated").score is None
    with pytest.raises(ValidationFailed):
        survey_figures(kind="csat", start=START, end=END, window="created")
    with pytest.raises(ValidationFailed):
        survey_figures(kind="stars", start=START, end=END, window="rated")
    with pytest.raises(ValidationFailed):
        survey_figures(kind="csat", start=END, end=START, window="rated")


def test_the_response_list_filters_by_window_and_joins_what_it_shows(rate, django_assert_num_queries):
    rate("csat", 1, rated=d(1, 15), solved=d(1, 1))
    rate("csat", 0, rated=d(1, 16), solved=d(1, 16))
    assert [r.score for r in survey_response_list(start=START, end=END, window="rated")] == [0, 1]
    with django_assert_num_queries(1):
        rows = list(survey_response_list(start=START, end=END, window="solved"))
        assert [(r.score, r.contact.name, r.ticket) for r in rows] == [(0, "Rater", None)]
