"""Staffing arithmetic without the database: Holt-Winters forecasting of hourly volume (statsmodels), its
backtest error, and Erlang C. team.selectors feeds it the workspace's history.

statsmodels (and numpy, scipy, pandas under it) is imported inside the functions: only the forecast page,
its CSV and its API endpoint pay for loading it (about a second, once per process).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WEEK_HOURS = 168
BACKTEST_WEEKS = 4
MIN_TRAIN_WEEKS = 2  # Holt-Winters needs two full seasons to estimate a weekly pattern


def holt_winters(history: list[float], horizon: int) -> list[float]:
    """The next `horizon` hourly volumes after `history` (hourly counts, a whole number of weeks), from an
    additive Holt-Winters model: additive trend, additive weekly seasonality (168 hours). Negative
    predictions are cut to 0."""
    if len(history) < MIN_TRAIN_WEEKS * WEEK_HOURS:
        raise ValueError(f"need at least {MIN_TRAIN_WEEKS} weeks of hourly history, got {len(history)} hours")
    import numpy as np
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        np.asarray(history, dtype=float),
        trend="add",
        damped_trend=False,
        seasonal="add",
        seasonal_periods=WEEK_HOURS,
        initialization_method="heuristic",
    )
    fitted = model.fit(optimized=True, use_brute=False)  # the brute-force start grid doubles the time, same fit here
    return [max(0.0, float(v)) for v in fitted.forecast(horizon)]


@dataclass(frozen=True)
class Backtest:
    mape: float | None  # mean absolute percentage error of the daily totals (days with no tickets left out), %
    wape: float | None  # hourly: sum of absolute errors / sum of actuals, %
    actual: list[float]
    predicted: list[float]


def backtest(history: list[float], weeks: int = BACKTEST_WEEKS) -> Backtest | None:
    """Fit on all but the last `weeks` weeks, forecast them, and compare. None without enough history.

    MAPE is taken over daily totals: hourly counts of a small team are mostly 0 or 1, where a percentage error
    is undefined or meaningless; the hourly error is given as WAPE instead."""
    test_len = weeks * WEEK_HOURS
    train = history[:-test_len]
    if len(train) < MIN_TRAIN_WEEKS * WEEK_HOURS:
        return None
    actual = history[-test_len:]
    predicted = holt_winters(train, test_len)
    day_errors = []
    for d in range(test_len // 24):
        a = sum(actual[d * 24 : (d + 1) * 24])
        p = sum(predicted[d * 24 : (d + 1) * 24])
        if a > 0:
            day_errors.append(abs(a - p) / a)
    total = sum(actual)
    return Backtest(
        mape=round(100 * sum(day_errors) / len(day_errors), 1) if day_errors else None,
        wape=round(100 * sum(abs(a - p) for a, p in zip(actual, predicted, strict=True)) / total, 1) if total else None,
        actual=actual,
        predicted=predicted,
    )


def erlang_c(traffic: float, agents: int) -> float:
    """Probability that a case waits (Erlang C) with `traffic` erlangs offered to `agents` agents; 1 when the
    agents cannot keep up (agents <= traffic). Computed through the Erlang B recursion (no factorials)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return agents * b / (agents - traffic * (1 - b))


def service_level(*, traffic: float, agents: int, aht_seconds: float, target_seconds: float) -> float:
    """Share of cases answered within `target_seconds`: 1 - C * exp(-(N - A) * t / AHT)."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    return 1 - erlang_c(traffic, agents) * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def agents_needed(
    *, arrivals: float, interval_seconds: float, aht_seconds: float, target_level: float, target_seconds: float
) -> int:
    """The fewest agents for which `target_level` of the `arrivals` in an interval are answered within
    `target_seconds` (Erlang C). 0 when nothing arrives."""
    if arrivals <= 0:
        return 0
    traffic = arrivals * aht_seconds / interval_seconds
    agents = max(1, math.floor(traffic) + 1)
    while service_level(traffic=traffic, agents=agents, aht_seconds=aht_seconds, target_seconds=target_seconds) < (
        target_level
    ):
        agents += 1
    return agents
