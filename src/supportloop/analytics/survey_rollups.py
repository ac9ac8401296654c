"""Keeping the Satisfaction dashboard's rollup: SurveyDailyVolume counts survey answers per local day of either
calculation window, kind and breakdown.

A response copies its ticket's dimensions and times when it is rated and only its answer (score, sentiment) can
change later, so `survey_response_counted` (a surveys.hooks listener, called inside the answer's transaction) adds
a new answer to its buckets, or moves a changed one's good / neutral / bad and score sum: one statement, committed
or rolled back with the answer. `survey_rollup_rebuild()` rebuilds the table set-based (part of analytics_rebuild).
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from supportloop.analytics.counters import counters_add
from supportloop.analytics.models import SurveyDailyVolume
from supportloop.surveys.choices import Sentiment
from supportloop.surveys.models import SurveyResponse

logger = logging.getLogger("supportloop.analytics")

# The breakdowns a response is counted under besides "all": SurveyResponse.<dimension>_id, copied when rated.
BREAKDOWNS = ("product_area", "contact_reason", "agent", "team", "macro")
WINDOWS = (("rated", "rated_at"), ("solved", "solved_at"))
COLUMNS = ("window", "day", "kind", "dimension", "key", "count", "good", "neutral", "bad", "score_sum")


def _answer(sentiment: str, score: int) -> tuple[int, int, int, int, int]:
    """(count, good, neutral, bad, score) of one answer."""
    return (
        1,
        int(sentiment == Sentiment.GOOD),
        int(sentiment == Sentiment.NEUTRAL),
        int(sentiment == Sentiment.BAD),
        score,
    )


def survey_response_counted(response: SurveyResponse, before: tuple[str, int] | None) -> None:
    """Count a new answer (`before` None) or move a changed one, inside the answer's transaction. A failure is
    logged and rolled back to a savepoint, never raised into the answer: the dashboard then sees the counts short
    of the responses and reads the responses until `analytics_rebuild`."""
    after = _answer(response.sentiment, response.score)
    delta = after if before is None else tuple(a - b for a, b in zip(after, _answer(*before), strict=True))
    if not any(delta):
        return
    tz = timezone.get_default_timezone()
    rows: list[tuple[Any, ...]] = []
    for window, field in WINDOWS:
        moment = getattr(response, field)
        if moment is None:
            continue
        day = moment.astimezone(tz).date()
        rows.append((window, day, response.kind, "all", 0, *delta))
        rows.extend(
            (window, day, response.kind, dimension, getattr(response, f"{dimension}_id") or 0, *delta)
            for dimension in BREAKDOWNS
        )
    try:
        with transaction.atomic():
            counters_add(SurveyDailyVolume, COLUMNS[:5], COLUMNS[5:], rows)
    except Exception:
        logger.exception("analytics survey counts of response %s failed", response.pk)


def survey_rollup_rebuild() -> int:
    """SurveyDailyVolume from the responses: per window and breakdown one INSERT ... SELECT grouping the responses
    (compiled from the ORM for the day in the workspace time zone); the number of rows."""
    SurveyDailyVolume.objects.all().delete()
    tz = timezone.get_default_timezone()
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in COLUMNS)
    for window, field in WINDOWS:
        for dimension in ("all", *BREAKDOWNS):
            key = Value(0) if dimension == "all" else Coalesce(f"{dimension}_id", Value(0))
            inner, params = (
                SurveyResponse.objects.filter(**{f"{field}__isnull": False})
                .order_by()
                .values(d=TruncDate(field, tzinfo=tz), k=F("kind"), x=key, s=F("sentiment"), n=F("score"))
                .query.sql_with_params()
            )
            sql = (
                f"INSERT INTO {quote(SurveyDailyVolume._meta.db_table)} ({columns}) "  # noqa: S608 - compiled
                f"SELECT %s, d, k, %s, x, COUNT(*), SUM(CASE WHEN s = %s THEN 1 ELSE 0 END), "
                f"SUM(CASE WHEN s = %s THEN 1 ELSE 0 END), SUM(CASE WHEN s = %s THEN 1 ELSE 0 END), SUM(n) "
                f"FROM ({inner}) r GROUP BY d, k, x"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [window, dimension, Sentiment.GOOD, Sentiment.NEUTRAL, Sentiment.BAD, *params])
    return SurveyDailyVolume.objects.count()
