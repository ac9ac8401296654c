"""The dashboards' arithmetic on hand-built numbers (analytics/metrics.py)."""

from __future__ import annotations

import pytest

from supportloop.analytics import metrics


def test_median_of_an_odd_count_is_the_middle_value():
    assert metrics.median([7, 1, 3]) == 3  # sorted 1, 3, 7


def test_median_of_an_even_count_is_the_mean_of_the_two_middle_values():
    assert metrics.median([4, 1, 10, 2]) == 3  # sorted 1, 2, 4, 10 -> (2 + 4) / 2


def test_p90_interpolates_between_ranks():
    # 1, 2, 3, 10: rank 0.9 x 3 = 2.7 -> 3 + 0.7 x (10 - 3) = 7.9
    assert metrics.p90([10, 1, 3, 2]) == pytest.approx(7.9)
    # 1..11: rank 0.9 x 10 = 9 -> the 10th value exactly
    assert metrics.p90(list(range(1, 12))) == 10


def test_percentiles_of_nothing_are_none_and_of_one_value_are_it():
    assert metrics.median([]) is None and metrics.p90([]) is None
    assert metrics.median([5]) == 5 and metrics.p90([5]) == 5


def test_shares_and_ratios_do_not_divide_by_zero():
    assert metrics.share(1, 4) == 25.0
    assert metrics.share(0, 0) is None
    assert metrics.ratio(3, 2) == 1.5
    assert metrics.ratio(3, 0) is None


def test_survey_scores():
    # CSAT: 3 good of 4 -> 75 %; a neutral 3 on the 1-5 scale counts in the whole only: 3 of 5 -> 60 %
    assert metrics.survey_score("csat", count=4, good=3, bad=1, average=None) == 75.0
    assert metrics.survey_score("csat", count=5, good=3, bad=1, average=None) == 60.0
    # NPS: 2 promoters, 1 passive, 1 detractor of 4 -> 50 % - 25 % = 25
    assert metrics.survey_score("nps", count=4, good=2, bad=1, average=None) == 25.0
    # CES: the mean score
    assert metrics.survey_score("ces", count=2, good=2, bad=0, average=5.5) == 5.5
    assert metrics.survey_score("csat", count=0, good=0, bad=0, average=None) is None


def test_hours_from_seconds():
    assert metrics.hours(5400) == 1.5
    assert metrics.hours(None) is None
