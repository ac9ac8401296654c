"""Duration histograms: first response and resolution times counted in log-spaced buckets, pure (no database).

A month of a busy desk holds about 370,000 tickets; sorting them for a median on every page view costs most of a
second (benchmarks/RESULTS.md, dashboards). The DailyDuration rollup keeps, per local day, measure and team, how
many tickets took how long, in buckets:

- below BUCKET_EXACT seconds one bucket per second (exact);
- above, buckets BUCKET_RATIO wide (each 2% above the previous), so any duration up to years fits in a few hundred.

`percentile_of` reads a percentile off such counts the way metrics.percentile reads it off sorted values (linear
interpolation at rank fraction x (n - 1)); inside a bucket its values are taken as spread evenly, so a result is
at most one bucket width (2%) off the exact value, and exact below BUCKET_EXACT seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

BUCKET_EXACT = 100
BUCKET_RATIO = 1.02
_LOG_RATIO = math.log(BUCKET_RATIO)


def bucket_of(seconds: int) -> int:
    """The bucket of a duration in whole seconds (negative durations count as 0)."""
    if seconds < BUCKET_EXACT:
        return max(0, int(seconds))
    return BUCKET_EXACT + math.floor(math.log(seconds / BUCKET_EXACT) / _LOG_RATIO)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """[low, high) seconds of a bucket; one second wide below BUCKET_EXACT."""
    if bucket < BUCKET_EXACT:
        return float(bucket), float(bucket + 1)
    step = bucket - BUCKET_EXACT
    return BUCKET_EXACT * BUCKET_RATIO**step, BUCKET_EXACT * BUCKET_RATIO ** (step + 1)


def _value_at(ordered: list[tuple[int, int]], index: int) -> float:
    """The index-th (0-based) smallest duration: exact in a one-second bucket, else spread evenly in its bucket."""
    seen = 0
    for bucket, count in ordered:
        if index < seen + count:
            low, high = bucket_bounds(bucket)
            if bucket < BUCKET_EXACT:
                return low
            return low + (high - low) * (index - seen + 0.5) / count
        seen += count
    raise IndexError(index)


def percentile_of(counts: Mapping[int, int], fraction: float) -> float | None:
    """Linear-interpolated percentile of the durations counted per bucket; None when there are none."""
    ordered = sorted((b, c) for b, c in counts.items() if c > 0)
    total = sum(c for _b, c in ordered)
    if not total:
        return None
    rank = fraction * (total - 1)
    low, high = math.floor(rank), math.ceil(rank)
    low_value = _value_at(ordered, low)
    if low == high:
        return low_value
    return low_value + (_value_at(ordered, high) - low_value) * (rank - low)


def merged(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            total[bucket] = total.get(bucket, 0) + count
    return total
