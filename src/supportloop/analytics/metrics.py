"""The arithmetic of the dashboards, pure (no database): percentiles, rates, survey scores.

- median and p90 are linear-interpolated percentiles of the sorted values (PostgreSQL's percentile_cont): the
  median of an even count is the mean of the two middle values; p90 of [v0..vn-1] sits at rank 0.9 x (n - 1).
- reopen rate = tickets solved in the period that were ever reopened / tickets solved in the period x 100.
- contacts per customer = tickets created in the period / distinct requesters of those tickets.
- CSAT % = good / all answered x 100; CES = mean score; NPS = % promoters - % detractors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear-interpolated percentile (0 <= fraction <= 1) of the values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def p90(values: Sequence[float]) -> float | None:
    return percentile(values, 0.9)


def share(part: int, whole: int) -> float | None:
    """part / whole in percent, one decimal; None when there is nothing to divide by."""
    return round(100.0 * part / whole, 1) if whole else None


def ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 2) if whole else None


def survey_score(kind: str, *, count: int, good: int, bad: int, average: float | None) -> float | None:
    """CSAT: % good; NPS: % promoters - % detractors; CES: the mean score. None without responses."""
    if not count:
        return None
    if kind == "csat":
        return round(100.0 * good / count, 1)
    if kind == "nps":
        return round(100.0 * (good - bad) / count, 1)
    return round(float(average or 0), 2)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600.0, 2)
