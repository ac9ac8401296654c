"""The team API (mounted at /api/v1/team): the schedule, generating it, swaps, and the staffing forecast."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone
from ninja import Field, Query, Router, Schema

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.common import StrictIn
from supportloop.core.errors import ValidationFailed
from supportloop.team import selectors, services

router = Router(tags=["team"])


class ShiftOut(Schema):
    id: int
    date: date
    starts_at: datetime
    ends_at: datetime
    user_id: int
    user: str
    swapped_from_id: int | None

    @staticmethod
    def resolve_user(obj: Any) -> str:
        return str(obj.user)


class ShiftsQuery(Schema):
    start: date | None = None
    end: date | None = None


class GenerateIn(StrictIn):
    start: date
    end: date
    seed: int = Field(0, ge=0, le=2**31)
    replace: bool = False


class GenerateOut(Schema):
    planned: int
    gaps: list[date]


class SwapIn(StrictIn):
    to_user: int = Field(..., ge=1)
    other_shift: int | None = Field(None, ge=1)


class ForecastQuery(Schema):
    level: float = Field(80, ge=1, le=99.9, description="target: percent of new tickets answered ...")
    within_minutes: int = Field(60, ge=1, le=10080, description="... within this many minutes")
    weeks: int = Field(selectors.DEFAULT_HISTORY_WEEKS, ge=2, le=104, description="weeks of history")
    capacity_weeks: int = Field(selectors.DEFAULT_CAPACITY_WEEKS, ge=1, le=52)


class ForecastHourOut(Schema):
    starts_at: datetime
    expected_tickets: float
    event_multiplier: float
    agent_hours_needed: float | None
    agents_erlang_c: int | None


class ForecastOut(Schema):
    starts_at: datetime
    enough_history: bool
    solved_tickets: int
    replies: int
    logged_agent_hours: int
    cases_per_agent_hour: float | None
    backtest_mape_percent: float | None
    backtest_hourly_wape_percent: float | None
    hours: list[ForecastHourOut]


@router.get("/shifts", response={200: list[ShiftOut], **PROBLEMS}, summary="List shifts", operation_id="team_shifts")
def shift_list(request: ApiRequest, query: Query[ShiftsQuery]) -> list[Any]:
    require(request.auth, "rotation.view")
    start = query.start or timezone.localdate()
    end = query.end or start + timedelta(days=34)
    if end < start or (end - start).days > 366:
        raise ValidationFailed("The period is from start to at most a year later.", errors={"end": "out of range"})
    return list(selectors.shift_list(start=start, end=end))


@router.post(
    "/schedule/generate",
    response={200: GenerateOut, **PROBLEMS},
    summary="Fill a period's days fairly",
    operation_id="team_schedule_generate",
)
def generate(request: ApiRequest, payload: GenerateIn) -> dict[str, Any]:
    require(request.auth, "rotation.manage")
    plan = services.schedule_generate(
        start=payload.start, end=payload.end, seed=payload.seed, replace=payload.replace, actor=request.auth
    )
    return {"planned": len(plan.assignments), "gaps": plan.gaps}


@router.post(
    "/shifts/{int:shift_id}/swap",
    response={200: ShiftOut, **PROBLEMS},
    summary="Hand a shift over (or exchange two)",
    operation_id="team_shift_swap",
)
def swap(request: ApiRequest, shift_id: int, payload: SwapIn) -> Any:
    require(request.auth, "rotation.view")
    shift = selectors.shift_get(pk=shift_id)
    to_user = selectors.active_person_ref(user_id=payload.to_user, field="to_user")
    other = selectors.shift_get(pk=payload.other_shift) if payload.other_shift else None
    services.shift_swap(shift=shift, to_user=to_user, other_shift=other, actor=request.auth)
    return selectors.shift_get(pk=shift_id)


@router.get(
    "/forecast",
    response={200: ForecastOut, **PROBLEMS},
    summary="Staffing forecast for the next 7 days",
    operation_id="team_forecast",
)
def forecast(request: ApiRequest, query: Query[ForecastQuery]) -> dict[str, Any]:
    require(request.auth, "forecast.view")
    f = selectors.staffing_forecast_cached(
        target_level=query.level / 100,
        target_seconds=query.within_minutes * 60,
        history_weeks=query.weeks,
        capacity_weeks=query.capacity_weeks,
    )
    return {
        "starts_at": f.starts_at,
        "enough_history": f.enough_history,
        "solved_tickets": f.capacity.solved,
        "replies": f.capacity.replies,
        "logged_agent_hours": f.capacity.agent_hours,
        "cases_per_agent_hour": f.capacity.cases_per_agent_hour,
        "backtest_mape_percent": f.backtest.mape if f.backtest else None,
        "backtest_hourly_wape_percent": f.backtest.wape if f.backtest else None,
        "hours": [
            {
                "starts_at": r.starts_at,
                "expected_tickets": r.volume,
                "event_multiplier": r.multiplier,
                "agent_hours_needed": r.agent_hours,
                "agents_erlang_c": r.agents,
            }
            for r in f.rows
        ],
    }
