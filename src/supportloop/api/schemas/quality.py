"""Schemas of the quality API (conversation reviews): scorecards, settings, samples, reviews, the report."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ninja import Field, Schema

from supportloop.api.schemas.common import Id, StrictIn, choices_of
from supportloop.quality.choices import ReviewStatus, Scale
from supportloop.quality.models import Review, Scorecard
from supportloop.surveys.choices import Window

if TYPE_CHECKING:
    ScaleT = str
    ReviewStatusT = str
    WindowT = str
else:
    ScaleT = choices_of(Scale)
    ReviewStatusT = choices_of(ReviewStatus)
    WindowT = choices_of(Window)

WEEK_PATTERN = r"^\d{4}-W\d{2}$"


class QualityCriterionIn(StrictIn):
    label: str = Field(..., min_length=1, max_length=80)
    weight: int = Field(1, ge=1, le=100)
    scale: ScaleT = "one_to_five"


class QualityCriterionOut(Schema):
    id: int | None = None
    label: str
    weight: int
    scale: str
    order: int


class ScorecardCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=120)
    active: bool = False
    criteria: list[QualityCriterionIn] = Field(..., min_length=1, max_length=20)


class ScorecardUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=120)
    active: bool | None = None
    criteria: list[QualityCriterionIn] | None = Field(
        None, min_length=1, max_length=20, description="replaces the criteria; done reviews keep theirs"
    )


class ScorecardOut(Schema):
    id: int
    name: str
    active: bool
    criteria: list[QualityCriterionOut]
    updated_at: datetime

    @classmethod
    def from_scorecard(cls, card: Scorecard) -> ScorecardOut:
        return cls(
            id=card.pk,
            name=card.name,
            active=card.active,
            criteria=[
                QualityCriterionOut(id=c.pk, label=c.label, weight=c.weight, scale=c.scale, order=c.order)
                for c in card.criteria.all()
            ],
            updated_at=card.updated_at,
        )


class QualitySettingsOut(Schema):
    sample_size: int
    reviewer_ids: list[int]


class QualitySettingsIn(StrictIn):
    sample_size: int | None = Field(None, ge=0, le=50, description="random solved tickets per agent per week")
    reviewer_ids: list[Id] | None = Field(None, max_length=500, description="users who review; empty: the leads")


class SampleIn(StrictIn):
    week: str = Field(..., pattern=WEEK_PATTERN, description="the ISO week whose solved tickets to sample")


class SampleOut(Schema):
    week: str
    scorecard_id: int | None
    random_count: int
    bad_csat_count: int
    unassigned_count: int
    created_at: datetime


class CriterionScoreOut(Schema):
    label: str
    weight: int
    scale: str
    value: int
    percent: Decimal


class ReviewOut(Schema):
    id: int
    ticket_number: int
    ticket_subject: str
    agent_id: int
    agent: str
    reviewer_id: int
    reviewer: str
    scorecard_id: int
    week: str
    sampled_because: str
    status: str
    score: Decimal | None
    comment: str
    criteria: list[QualityCriterionOut]
    scores: list[CriterionScoreOut]
    done_at: datetime | None

    @classmethod
    def from_review(cls, review: Review, *, with_scores: bool = False) -> ReviewOut:
        return cls(
            id=review.pk,
            ticket_number=review.ticket.number,
            ticket_subject=review.ticket.subject,
            agent_id=review.agent_id,
            agent=review.agent.get_username(),
            reviewer_id=review.reviewer_id,
            reviewer=review.reviewer.get_username(),
            scorecard_id=review.scorecard_id,
            week=review.week,
            sampled_because=review.sampled_because,
            status=review.status,
            score=review.score,
            comment=review.comment,
            criteria=[
                QualityCriterionOut(
                    id=c.get("id"), label=c["label"], weight=c["weight"], scale=c["scale"], order=c["order"]
                )
                for c in review.criteria
            ],
            scores=[
                CriterionScoreOut(label=s.label, weight=s.weight, scale=s.scale, value=s.value, percent=s.percent)
                for s in review.scores.all()
            ]
            if with_scores
            else [],
            done_at=review.done_at,
        )


class ReviewPageOut(Schema):
    items: list[ReviewOut]
    count: int
    limit: int
    offset: int


class ReviewScoreIn(StrictIn):
    scores: dict[str, int] = Field(..., max_length=20, description="criterion label -> value (pass/fail: 0 or 1; 1-5)")
    comment: str = Field("", max_length=5000)


class ReviewReassignIn(StrictIn):
    reviewer_id: Id


class QualityFiguresOut(Schema):
    label: str
    reviews: int
    quality: Decimal | None = Field(..., description="mean of the done reviews' weighted scores, %")
    csat_count: int
    csat: Decimal | None = Field(..., description="CSAT % (good / answered) for the same agents and weeks")

    @classmethod
    def from_figures(cls, f: Any) -> QualityFiguresOut:
        return cls(label=f.label, reviews=f.reviews, quality=f.quality, csat_count=f.csat_count, csat=f.csat)


class QualityCriterionRowOut(Schema):
    label: str
    answers: int
    weekly: list[Decimal | None]


class QualityWeeklyRowOut(Schema):
    label: str
    weekly: list[QualityFiguresOut] = Field(..., description="one per week of `weeks`, in order")

    @classmethod
    def from_row(cls, row: Any) -> QualityWeeklyRowOut:
        return cls(label=row.label, weekly=[QualityFiguresOut.from_figures(f) for f in row.weeks])


class QualityReportOut(Schema):
    weeks: list[str]
    window: WindowT = Field(..., description="rated or solved: the date that puts a CSAT response in a week")
    by_week: list[QualityFiguresOut]
    by_agent: list[QualityFiguresOut]
    by_team: list[QualityFiguresOut]
    by_agent_week: list[QualityWeeklyRowOut]
    by_team_week: list[QualityWeeklyRowOut]
    by_criterion: list[QualityCriterionRowOut]
