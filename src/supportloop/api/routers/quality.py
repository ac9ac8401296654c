"""The quality API (conversation reviews), mounted at /api/v1/quality: scorecards, sampling settings and runs
(leads), reviews (reviewers score those assigned to them; agents read the done reviews of their own conversations),
and the quality report beside CSAT (leads). Thin: one selector or service call per endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.accounts.selectors import user_ref
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, PathId
from supportloop.api.schemas.common import choices_of
from supportloop.api.schemas.quality import (
    WEEK_PATTERN,
    QualityCriterionRowOut,
    QualityFiguresOut,
    QualityReportOut,
    QualitySettingsIn,
    QualitySettingsOut,
    QualityWeeklyRowOut,
    ReviewOut,
    ReviewPageOut,
    ReviewReassignIn,
    ReviewScoreIn,
    SampleIn,
    SampleOut,
    ScorecardCreateIn,
    ScorecardOut,
    ScorecardUpdateIn,
    WindowT,
)
from supportloop.quality import selectors, services
from supportloop.quality.choices import ReviewStatus
from supportloop.surveys.choices import Window

if TYPE_CHECKING:
    ScopeT = str
    StatusT = str
else:
    ScopeT = choices_of(["to_review", "mine", "all"])
    StatusT = choices_of(ReviewStatus)

router = Router(tags=["quality"])


class QualityReviewQuery(Schema):
    scope: ScopeT = Field("to_review", description="to_review: assigned to me; mine: about me (done); all: leads")
    status: StatusT | None = None
    week: str | None = Field(None, pattern=WEEK_PATTERN)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class QualityReportQuery(Schema):
    weeks: int = Field(8, ge=1, le=selectors.MAX_REPORT_WEEKS)
    last: str | None = Field(None, pattern=WEEK_PATTERN, description="the last week shown; default: last week")
    team: int | None = Field(None, ge=1, le=2**31 - 1)
    window: WindowT = Field(Window.RATED, description="CSAT by rated date (rated) or by the ticket's solved date")


@router.get(
    "/scorecards",
    response={200: list[ScorecardOut], **PROBLEMS},
    summary="Scorecards with their criteria",
    operation_id="quality_scorecards_list",
)
def scorecards_list(request: ApiRequest) -> list[ScorecardOut]:
    require(request.auth, "quality.manage")
    return [ScorecardOut.from_scorecard(c) for c in selectors.scorecard_list()]


@router.post(
    "/scorecards",
    response={201: ScorecardOut, **PROBLEMS},
    summary="Define a scorecard",
    operation_id="quality_scorecard_create",
)
def scorecard_create(request: ApiRequest, payload: ScorecardCreateIn) -> Respond[Any]:
    require(request.auth, "quality.manage")
    card = services.scorecard_create(
        name=payload.name,
        active=payload.active,
        criteria=[c.model_dump() for c in payload.criteria],
        actor=request.auth,
    )
    return Respond(201, ScorecardOut.from_scorecard(selectors.scorecard_get(pk=card.pk)))


@router.patch(
    "/scorecards/{scorecard_id}",
    response={200: ScorecardOut, **PROBLEMS},
    summary="Rename, (de)activate or replace a scorecard's criteria (done reviews keep theirs)",
    operation_id="quality_scorecard_update",
)
def scorecard_update(request: ApiRequest, scorecard_id: PathId, payload: ScorecardUpdateIn) -> ScorecardOut:
    require(request.auth, "quality.manage")
    card = selectors.scorecard_get(pk=scorecard_id)
    services.scorecard_update(
        scorecard=card,
        actor=request.auth,
        name=payload.name,
        active=payload.active,
        criteria=[c.model_dump() for c in payload.criteria] if payload.criteria is not None else None,
    )
    return ScorecardOut.from_scorecard(selectors.scorecard_get(pk=card.pk))


@router.get(
    "/settings",
    response={200: QualitySettingsOut, **PROBLEMS},
    summary="Sampling settings and reviewers",
    operation_id="quality_settings_get",
)
def settings_get(request: ApiRequest) -> dict[str, Any]:
    require(request.auth, "quality.manage")
    current, reviewers = selectors.settings_get()
    return {"sample_size": current.sample_size, "reviewer_ids": reviewers}


@router.patch(
    "/settings",
    response={200: QualitySettingsOut, **PROBLEMS},
    summary="Change the sample size or the reviewers",
    operation_id="quality_settings_update",
)
def settings_update(request: ApiRequest, payload: QualitySettingsIn) -> dict[str, Any]:
    require(request.auth, "quality.manage")
    services.quality_settings_update(
        actor=request.auth, sample_size=payload.sample_size, reviewer_ids=payload.reviewer_ids
    )
    current, reviewers = selectors.settings_get()
    return {"sample_size": current.sample_size, "reviewer_ids": reviewers}


@router.post(
    "/samples",
    response={200: SampleOut, **PROBLEMS},
    summary="Sample one week's solved tickets for review now (once per week: a second call returns the first run)",
    operation_id="quality_sample_run",
)
def sample_run(request: ApiRequest, payload: SampleIn) -> Any:
    require(request.auth, "quality.manage")
    return services.sample_week(week=payload.week, actor=request.auth)


@router.get(
    "/reviews",
    response={200: ReviewPageOut, **PROBLEMS},
    summary="Reviews assigned to me, done reviews of my conversations, or (leads) all",
    operation_id="quality_reviews_list",
)
def reviews_list(request: ApiRequest, query: Query[QualityReviewQuery]) -> dict[str, Any]:
    require(request.auth, "quality.manage" if query.scope == "all" else "quality.review")
    qs = selectors.review_list_for_user(user=request.auth, scope=query.scope, status=query.status, week=query.week)
    return {
        "items": [ReviewOut.from_review(r) for r in qs[query.offset : query.offset + query.limit]],
        "count": qs.count(),
        "limit": query.limit,
        "offset": query.offset,
    }


@router.get(
    "/reviews/{review_id}",
    response={200: ReviewOut, **PROBLEMS},
    summary="One review with its scores (its reviewer, a lead, or once done the agent reviewed)",
    operation_id="quality_review_get",
)
def review_get(request: ApiRequest, review_id: PathId) -> ReviewOut:
    require(request.auth, "quality.review")
    return ReviewOut.from_review(selectors.review_get_for_user(user=request.auth, pk=review_id), with_scores=True)


@router.post(
    "/reviews/{review_id}/score",
    response={200: ReviewOut, **PROBLEMS},
    summary="Score every criterion and mark the review done (editing a done review is audited)",
    operation_id="quality_review_score",
)
def review_score(request: ApiRequest, review_id: PathId, payload: ReviewScoreIn) -> ReviewOut:
    require(request.auth, "quality.review")
    review = selectors.review_get_for_user(user=request.auth, pk=review_id)
    services.review_score(review=review, values=payload.scores, comment=payload.comment, actor=request.auth)
    return ReviewOut.from_review(selectors.review_get_for_user(user=request.auth, pk=review_id), with_scores=True)


@router.post(
    "/reviews/{review_id}/reassign",
    response={200: ReviewOut, **PROBLEMS},
    summary="Hand a waiting review to another reviewer",
    operation_id="quality_review_reassign",
)
def review_reassign(request: ApiRequest, review_id: PathId, payload: ReviewReassignIn) -> ReviewOut:
    require(request.auth, "quality.manage")
    review = selectors.review_get_for_user(user=request.auth, pk=review_id)
    reviewer = user_ref(user_id=payload.reviewer_id, field="reviewer_id")
    if reviewer is not None:  # always: an id was given, and an unknown one is a 422
        services.review_reassign(review=review, reviewer=reviewer, actor=request.auth)
    return ReviewOut.from_review(selectors.review_get_for_user(user=request.auth, pk=review_id))


@router.get(
    "/report",
    response={200: QualityReportOut, **PROBLEMS},
    summary="Quality by week, agent, team, agent and week, team and week, and criterion, beside CSAT",
    operation_id="quality_report",
)
def report(request: ApiRequest, query: Query[QualityReportQuery]) -> QualityReportOut:
    require(request.auth, "quality.report")
    r = selectors.quality_report(weeks=query.weeks, last=query.last, team_id=query.team, window=query.window)
    return QualityReportOut(
        weeks=r.weeks,
        window=r.window,
        by_week=[QualityFiguresOut.from_figures(f) for f in r.by_week],
        by_agent=[QualityFiguresOut.from_figures(f) for f in r.by_agent],
        by_team=[QualityFiguresOut.from_figures(f) for f in r.by_team],
        by_agent_week=[QualityWeeklyRowOut.from_row(row) for row in r.by_agent_week],
        by_team_week=[QualityWeeklyRowOut.from_row(row) for row in r.by_team_week],
        by_criterion=[QualityCriterionRowOut(label=c.label, answers=c.answers, weekly=c.cells) for c in r.by_criterion],
    )
