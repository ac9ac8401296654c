"""The surveys API, mounted at /api/v1/surveys: responses and their figures (staff), settings (admins).
Thin: each endpoint calls one selector or service; errors are the API's problem documents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, StrictIn
from supportloop.api.schemas.common import UtcDatetime, choices_of
from supportloop.core.db import reading_reports
from supportloop.core.errors import ValidationFailed
from supportloop.surveys import selectors, services
from supportloop.surveys.choices import CsatScale, Sentiment, SurveyKind, Window
from supportloop.surveys.models import SurveyResponse, SurveySettings

if TYPE_CHECKING:
    KindT = str
    WindowT = str
    SentimentT = str
    ScaleT = str
else:
    KindT = choices_of(SurveyKind)
    WindowT = choices_of(Window)
    SentimentT = choices_of(Sentiment)
    ScaleT = choices_of(CsatScale)

router = Router(tags=["surveys"])


class ResponseOut(Schema):
    id: int
    kind: str
    score: int
    sentiment: str
    comment: str
    ticket_number: int | None
    contact_id: int
    agent: str | None
    team: str | None
    product_area: str | None
    contact_reason: str | None
    macro: str | None
    rated_at: datetime
    solved_at: datetime | None
    changes: int

    @staticmethod
    def resolve_ticket_number(obj: SurveyResponse) -> int | None:
        return obj.ticket.number if obj.ticket else None

    @staticmethod
    def resolve_agent(obj: SurveyResponse) -> str | None:
        return obj.agent.get_username() if obj.agent else None

    @staticmethod
    def resolve_team(obj: SurveyResponse) -> str | None:
        return obj.team.slug if obj.team else None

    @staticmethod
    def resolve_product_area(obj: SurveyResponse) -> str | None:
        return obj.product_area.slug if obj.product_area else None

    @staticmethod
    def resolve_contact_reason(obj: SurveyResponse) -> str | None:
        return obj.contact_reason.slug if obj.contact_reason else None

    @staticmethod
    def resolve_macro(obj: SurveyResponse) -> str | None:
        return obj.macro.name if obj.macro else None


class ResponsePageOut(Schema):
    items: list[ResponseOut]
    count: int
    limit: int
    offset: int


class ResponseQuery(Schema):
    kind: KindT | None = None
    window: WindowT = Field("rated", description="rated: by when the customer answered; solved: by the ticket's solve")
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None
    sentiment: SentimentT | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class FiguresQuery(Schema):
    kind: KindT
    window: WindowT = Field(..., description="rated or solved: the calculation window is always chosen")
    since: UtcDatetime | None = Field(None, description="default: 30 days before `until`")
    until: UtcDatetime | None = Field(None, description="default: now")


class FiguresOut(Schema):
    kind: str
    window: str
    since: datetime
    until: datetime
    count: int
    good: int
    neutral: int
    bad: int
    score: float | None = Field(..., description="CSAT: % good; NPS: % promoters - % detractors; CES: average")


class SettingsOut(Schema):
    csat_enabled: bool
    csat_delay_minutes: int
    csat_scale: str
    ces_enabled: bool
    ces_contact_reasons: list[str]
    nps_enabled: bool
    nps_interval_days: int
    throttle_days: int
    link_valid_days: int
    updated_at: datetime

    @staticmethod
    def resolve_ces_contact_reasons(obj: SurveySettings) -> list[str]:
        return sorted(r.slug for r in obj.ces_contact_reasons.all())


class SettingsUpdateIn(StrictIn):
    csat_enabled: bool | None = None
    csat_delay_minutes: int | None = Field(None, ge=0, le=services.LIMITS["csat_delay_minutes"][1])
    csat_scale: ScaleT | None = None
    ces_enabled: bool | None = None
    ces_contact_reasons: list[str] | None = Field(None, max_length=200, description="contact reason slugs")
    nps_enabled: bool | None = None
    nps_interval_days: int | None = Field(None, ge=7, le=3650)
    throttle_days: int | None = Field(None, ge=0, le=3650)
    link_valid_days: int | None = Field(None, ge=1, le=365)


@router.get(
    "/responses",
    response={200: ResponsePageOut, **PROBLEMS},
    summary="Survey responses in a period, newest first",
    operation_id="survey_responses_list",
)
def responses_list(request: ApiRequest, query: Query[ResponseQuery]) -> dict[str, Any]:
    require(request.auth, "survey.view")
    qs = selectors.survey_response_list(
        kind=query.kind, start=query.since, end=query.until, window=query.window, sentiment=query.sentiment
    )
    return {
        "items": list(qs[query.offset : query.offset + query.limit]),
        "count": qs.count(),
        "limit": query.limit,
        "offset": query.offset,
    }


@router.get(
    "/figures",
    response={200: FiguresOut, **PROBLEMS},
    summary="CSAT, CES or NPS over a period, by rated or by solved date",
    operation_id="survey_figures",
)
def figures(request: ApiRequest, query: Query[FiguresQuery]) -> dict[str, Any]:
    require(request.auth, "survey.view")
    until = query.until or timezone.now()
    since = query.since or until - timedelta(days=30)
    if since >= until:
        raise ValidationFailed("The period ends before it starts.", errors={"until": "must be after since"})
    with reading_reports():  # figures may come from the replica (core/db.py)
        result = selectors.survey_figures(kind=query.kind, start=since, end=until, window=query.window)
    return {**result.__dict__, "since": since, "until": until}


@router.get(
    "/settings",
    response={200: SettingsOut, **PROBLEMS},
    summary="Survey settings",
    operation_id="survey_settings_get",
)
def settings_get(request: ApiRequest) -> SurveySettings:
    require(request.auth, "survey.configure")
    return services.survey_settings()


@router.patch(
    "/settings",
    response={200: SettingsOut, **PROBLEMS},
    summary="Change survey settings",
    operation_id="survey_settings_update",
)
def settings_update(request: ApiRequest, payload: SettingsUpdateIn) -> SurveySettings:
    require(request.auth, "survey.configure")
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.survey_settings_update(actor=request.auth, **values)
