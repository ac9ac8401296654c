"""Reads of the surveys app that pages and the API share: responses, bad ratings, and the CSAT, CES and NPS
figures over a period.

Every figure names its calculation window: `rated` puts a response in the period by when the customer answered,
`solved` by when its ticket was solved (copied onto the response when it was rated, so a report does not move
when a ticket is reopened). NPS is sent to contacts, not about tickets: under the solved window it has no
responses, and the figures say so (count 0) rather than mixing windows.

The arithmetic:
- CSAT % = good / all answered x 100 (on the 1-5 scale 4 and 5 are good; 3 counts in "all" only).
- NPS = % promoters (9-10) - % detractors (0-6), from -100 to 100.
- CES = the average score (1-7, higher is easier).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q, QuerySet

from supportloop.core.errors import ValidationFailed
from supportloop.surveys.choices import BadRatingStatus, Sentiment, SurveyKind, Window
from supportloop.surveys.models import BadRating, SurveyResponse


def _window_field(window: str) -> str:
    if window not in Window.values:
        raise ValidationFailed(
            "Unknown calculation window.", errors={"window": f"must be one of {', '.join(Window.values)}"}
        )
    return "rated_at" if window == Window.RATED else "solved_at"


def survey_response_list(
    *,
    kind: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    window: str = Window.RATED,
    sentiment: str | None = None,
    team_id: int | None = None,
    agent_id: int | None = None,
) -> QuerySet[SurveyResponse]:
    """Responses in [start, end) by the chosen window, newest first, with what a list shows already joined."""
    field = _window_field(window)
    qs = SurveyResponse.objects.select_related(
        "ticket", "contact", "agent", "team", "product_area", "contact_reason", "macro"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if start is not None:
        qs = qs.filter(**{f"{field}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{field}__lt": end})
    if window == Window.SOLVED:
        qs = qs.filter(solved_at__isnull=False)
    if sentiment:
        qs = qs.filter(sentiment=sentiment)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    return qs.order_by(f"-{field}", "-id")


@dataclass(frozen=True)
class SurveyFigures:
    kind: str
    window: str
    count: int
    good: int
    neutral: int
    bad: int
    # CSAT: % good; NPS: promoters % - detractors %; CES: average score. None without responses.
    score: float | None


def survey_figures(*, kind: str, start: datetime, end: datetime, window: str) -> SurveyFigures:
    """The headline figure of one kind over [start, end) by the chosen window, in one aggregate query."""
    if kind not in SurveyKind.values:
        raise ValidationFailed(
            "Unknown survey kind.", errors={"kind": f"must be one of {', '.join(SurveyKind.values)}"}
        )
    if end <= start:
        raise ValidationFailed("The period ends before it starts.", errors={"end": "must be after start"})
    row = survey_response_list(kind=kind, start=start, end=end, window=window).aggregate(
        count=Count("id"),
        good=Count("id", filter=Q(sentiment=Sentiment.GOOD)),
        neutral=Count("id", filter=Q(sentiment=Sentiment.NEUTRAL)),
        bad=Count("id", filter=Q(sentiment=Sentiment.BAD)),
        average=Avg("score"),
    )
    count = row["count"]
    score: float | None = None
    if count:
        if kind == SurveyKind.CSAT:
            score = round(100 * row["good"] / count, 1)
        elif kind == SurveyKind.NPS:
            score = round(100 * (row["good"] - row["bad"]) / count, 1)
        else:
            score = round(float(row["average"]), 2)
    return SurveyFigures(
        kind=kind, window=window, count=count, good=row["good"], neutral=row["neutral"], bad=row["bad"], score=score
    )


def bad_rating_list(
    *, status: str | None = BadRatingStatus.OPEN, team_ids: list[int] | None = None
) -> QuerySet[BadRating]:
    qs = BadRating.objects.select_related(
        "response", "response__ticket", "response__contact", "response__agent", "team", "handled_by", "feedback_item"
    )
    if status:
        qs = qs.filter(status=status)
    if team_ids:
        qs = qs.filter(team_id__in=team_ids)
    return qs.order_by("-created_at", "-id")
