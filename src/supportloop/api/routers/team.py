"""The team API (mounted at /api/v1/team): rotation members and their constraints, time off, shift patterns, the
schedule (generating it, the lead's edits), swap requests (propose, accept, decline), the person's calendar
address, and the staffing forecast. Same auth, problem documents and role checks as every router: everyone
(rotation.view) reads the rotation and manages their own time off, swaps and reminder choice; leads
(rotation.manage) manage members, patterns and anyone's shifts."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from supportloop.accounts.permissions import can, require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.common import Id, PathId, StrictIn, choices_of
from supportloop.core.errors import PermissionDenied, ValidationFailed
from supportloop.team import selectors, services
from supportloop.team.models import SwapRequest

router = Router(tags=["team"])


class ShiftOut(Schema):
    id: int
    date: date
    pattern_id: int
    pattern: str
    starts_at: datetime
    ends_at: datetime
    user_id: int
    user: str
    swapped_from_id: int | None

    @staticmethod
    def resolve_user(obj: Any) -> str:
        return str(obj.user)

    @staticmethod
    def resolve_pattern(obj: Any) -> str:
        return obj.pattern.name


class RotationMemberOut(Schema):
    user_id: int
    user: str
    role: str
    weekdays: list[int]
    max_per_month: int
    active: bool
    morning_reminder: bool

    @staticmethod
    def resolve_user(obj: Any) -> str:
        return str(obj.user)

    @staticmethod
    def resolve_role(obj: Any) -> str:
        return str(obj.user.role)


class RotationMemberIn(StrictIn):
    weekdays: list[int] | None = Field(None, max_length=7, description="0 Monday ... 6 Sunday")
    max_per_month: int | None = Field(None, ge=0, le=31, description="0: no maximum")
    active: bool | None = None
    morning_reminder: bool | None = None


class TimeOffOut(Schema):
    id: int
    user_id: int
    start: date
    end: date
    note: str


class TimeOffIn(StrictIn):
    user_id: Id | None = Field(None, description="whose (leads only for someone else; default: yours)")
    start: date
    end: date
    note: str = Field("", max_length=200)


class ShiftPatternOut(Schema):
    id: int
    name: str
    start_time: str
    end_time: str
    time_zone: str
    weekdays: list[int]
    position: int
    active: bool

    @staticmethod
    def resolve_start_time(obj: Any) -> str:
        return f"{obj.start_time:%H:%M}"

    @staticmethod
    def resolve_end_time(obj: Any) -> str:
        return f"{obj.end_time:%H:%M}"


class ShiftPatternIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=60)
    start_time: time = Field(..., description="local start, HH:MM")
    end_time: time = Field(..., description="local end, HH:MM; at or before the start: the next day")
    time_zone: str = Field("", max_length=64, description="IANA name; empty: the workspace's")
    weekdays: list[int] = Field(default_factory=lambda: list(range(7)), max_length=7)
    position: int = Field(0, ge=0, le=1000)
    active: bool = True


class ShiftSetIn(StrictIn):
    date: date
    user_id: Id
    pattern_id: Id | None = Field(None, description="default: the first active shift pattern")


class SwapRequestOut(Schema):
    id: int
    shift_id: int
    other_shift_id: int | None
    from_user_id: int
    to_user_id: int
    status: choices_of(SwapRequest.Status)  # type: ignore[valid-type]
    note: str
    created_at: datetime
    decided_at: datetime | None


class SwapProposeIn(StrictIn):
    shift_id: Id
    to_user: Id
    other_shift: Id | None = None
    note: str = Field("", max_length=200)


class SwapsQuery(Schema):
    open_only: bool = False


class CalendarFeedIn(StrictIn):
    rotate: bool = Field(False, description="make a new address; the old one stops working")


class CalendarFeedOut(Schema):
    url: str


class ShiftsQuery(Schema):
    start: date | None = None
    end: date | None = None


class GenerateIn(StrictIn):
    start: date
    end: date
    seed: int = Field(0, ge=0, le=2**31)
    replace: bool = False


class GapOut(Schema):
    date: date
    pattern_id: int


class GenerateOut(Schema):
    planned: int
    gaps: list[GapOut] = Field(..., description="shifts nobody could take (day and shift pattern)")


class SwapIn(StrictIn):
    to_user: Id
    other_shift: Id | None = None


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
    tickets_created: int
    logged_agent_hours: int = Field(..., description="distinct (person, clock hour) with ticket work or on duty")
    active_agent_hours: int
    duty_agent_hours: int
    cases_per_agent_hour: float | None = Field(None, description="(solved + public replies) / logged agent-hours")
    cases_per_ticket: float | None
    agent_hours_per_ticket: float | None
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
    return {"planned": len(plan.assignments), "gaps": [{"date": g.day, "pattern_id": g.pattern_id} for g in plan.gaps]}


@router.post(
    "/shifts",
    response={200: ShiftOut, **PROBLEMS},
    summary="Put someone on duty (the lead's edit)",
    operation_id="team_shift_set",
)
def shift_set(request: ApiRequest, payload: ShiftSetIn) -> Any:
    require(request.auth, "rotation.manage")
    user = selectors.active_person_ref(user_id=payload.user_id, field="user_id")
    pattern = selectors.pattern_ref(pk=payload.pattern_id, field="pattern_id") if payload.pattern_id else None
    shift = services.shift_set(day=payload.date, user=user, pattern=pattern, actor=request.auth)
    return selectors.shift_get(pk=shift.pk)


@router.post(
    "/shifts/{int:shift_id}/swap",
    response={200: ShiftOut, **PROBLEMS},
    summary="Move a shift at once, or exchange two (leads; others propose a swap)",
    operation_id="team_shift_swap",
)
def swap(request: ApiRequest, shift_id: int, payload: SwapIn) -> Any:
    require(request.auth, "rotation.manage")
    shift = selectors.shift_get(pk=shift_id)
    to_user = selectors.active_person_ref(user_id=payload.to_user, field="to_user")
    other = selectors.shift_ref(pk=payload.other_shift, field="other_shift") if payload.other_shift else None
    services.shift_swap(shift=shift, to_user=to_user, other_shift=other, actor=request.auth)
    return selectors.shift_get(pk=shift_id)


@router.get(
    "/swaps",
    response={200: list[SwapRequestOut], **PROBLEMS},
    summary="My swap requests (proposed by me or asked of me)",
    operation_id="team_swaps",
)
def swap_list(request: ApiRequest, query: Query[SwapsQuery]) -> list[Any]:
    require(request.auth, "rotation.view")
    return list(selectors.swap_requests(user=request.auth, open_only=query.open_only)[:200])


@router.post(
    "/swaps",
    response={201: SwapRequestOut, **PROBLEMS},
    summary="Propose a swap of my shift (the other person accepts or declines)",
    operation_id="team_swap_propose",
)
def swap_propose(request: ApiRequest, payload: SwapProposeIn) -> tuple[int, Any]:
    require(request.auth, "rotation.view")
    shift = selectors.shift_ref(pk=payload.shift_id, field="shift_id")
    to_user = selectors.active_person_ref(user_id=payload.to_user, field="to_user")
    other = selectors.shift_ref(pk=payload.other_shift, field="other_shift") if payload.other_shift else None
    made = services.swap_propose(shift=shift, to_user=to_user, other_shift=other, note=payload.note, actor=request.auth)
    return 201, made


@router.post(
    "/swaps/{swap_id}/accept",
    response={200: SwapRequestOut, **PROBLEMS},
    summary="Accept a swap I was asked",
    operation_id="team_swap_accept",
)
def swap_accept(request: ApiRequest, swap_id: PathId) -> Any:
    require(request.auth, "rotation.view")
    return services.swap_accept(request=selectors.swap_request_get(pk=swap_id), actor=request.auth)


@router.post(
    "/swaps/{swap_id}/decline",
    response={200: SwapRequestOut, **PROBLEMS},
    summary="Decline a swap I was asked (or withdraw my own)",
    operation_id="team_swap_decline",
)
def swap_decline(request: ApiRequest, swap_id: PathId) -> Any:
    require(request.auth, "rotation.view")
    return services.swap_decline(request=selectors.swap_request_get(pk=swap_id), actor=request.auth)


@router.get(
    "/members",
    response={200: list[RotationMemberOut], **PROBLEMS},
    summary="People in the rotation",
    operation_id="team_members",
)
def member_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "rotation.view")
    return list(selectors.rotation_members())


@router.put(
    "/members/{user_id}",
    response={200: RotationMemberOut, **PROBLEMS},
    summary="Put a person in the rotation or change their weekdays, monthly maximum, active, reminders",
    operation_id="team_member_set",
)
def member_set(request: ApiRequest, user_id: PathId, payload: RotationMemberIn) -> Any:
    """Leads set anything for anyone; a person may change only their own morning reminder."""
    require(request.auth, "rotation.view")
    lead = can(request.auth, "rotation.manage")
    own_reminder_only = (
        user_id == request.auth.pk
        and payload.weekdays is None
        and payload.max_per_month is None
        and payload.active is None
    )
    if not lead and not own_reminder_only:
        raise PermissionDenied("Only a lead may change rotation members (rotation.manage).")
    if not lead:
        selectors.rotation_member_get(user_id=user_id)
    user = selectors.active_person_ref(user_id=user_id, field="user_id")
    services.rotation_member_set(
        user=user,
        actor=request.auth,
        weekdays=payload.weekdays,
        max_per_month=payload.max_per_month,
        active=payload.active,
        morning_reminder=payload.morning_reminder,
    )
    return selectors.rotation_member_get(user_id=user_id)


@router.get(
    "/time-off",
    response={200: list[TimeOffOut], **PROBLEMS},
    summary="Time off (mine; leads: everyone's)",
    operation_id="team_time_off",
)
def time_off_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "rotation.view")
    who = None if can(request.auth, "rotation.manage") else request.auth
    return list(selectors.time_off_list(user=who).order_by("start", "id")[:500])


@router.post(
    "/time-off",
    response={201: TimeOffOut, **PROBLEMS},
    summary="Add time off (mine; leads: anyone's)",
    operation_id="team_time_off_add",
)
def time_off_add(request: ApiRequest, payload: TimeOffIn) -> tuple[int, Any]:
    require(request.auth, "rotation.view")
    user = request.auth
    if payload.user_id is not None and payload.user_id != request.auth.pk:
        require(request.auth, "rotation.manage")
        user = selectors.active_person_ref(user_id=payload.user_id, field="user_id")
    made = services.time_off_add(user=user, start=payload.start, end=payload.end, note=payload.note, actor=request.auth)
    return 201, made


@router.get(
    "/shift-patterns",
    response={200: list[ShiftPatternOut], **PROBLEMS},
    summary="The shifts of a day",
    operation_id="team_shift_patterns",
)
def pattern_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "rotation.view")
    return list(selectors.shift_patterns())


@router.post(
    "/shift-patterns",
    response={201: ShiftPatternOut, **PROBLEMS},
    summary="Add a shift pattern (local start and end in a time zone)",
    operation_id="team_shift_pattern_add",
)
def pattern_add(request: ApiRequest, payload: ShiftPatternIn) -> tuple[int, Any]:
    require(request.auth, "rotation.manage")
    return 201, services.shift_pattern_save(actor=request.auth, **payload.dict())


@router.put(
    "/shift-patterns/{pattern_id}",
    response={200: ShiftPatternOut, **PROBLEMS},
    summary="Change a shift pattern (shifts already planned keep their times)",
    operation_id="team_shift_pattern_set",
)
def pattern_set(request: ApiRequest, pattern_id: PathId, payload: ShiftPatternIn) -> Any:
    require(request.auth, "rotation.manage")
    pattern = selectors.shift_pattern_get(pk=pattern_id)
    return services.shift_pattern_save(pattern=pattern, actor=request.auth, **payload.dict())


@router.post(
    "/calendar-feed",
    response={200: CalendarFeedOut, **PROBLEMS},
    summary="My calendar address (made on first call; rotate: a new one, the old stops working)",
    operation_id="team_calendar_feed",
)
def calendar_feed(request: ApiRequest, payload: CalendarFeedIn) -> dict[str, Any]:
    require(request.auth, "rotation.view")
    if payload.rotate:
        feed = services.calendar_feed_rotate(user=request.auth, actor=request.auth)
    else:
        feed = services.calendar_feed_get_or_create(user=request.auth, actor=request.auth)
    return {"url": request.build_absolute_uri(reverse("team:calendar_feed", args=[feed.token]))}


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
        "tickets_created": f.capacity.created,
        "logged_agent_hours": f.capacity.agent_hours,
        "active_agent_hours": f.capacity.active_hours,
        "duty_agent_hours": f.capacity.duty_hours,
        "cases_per_agent_hour": f.capacity.cases_per_agent_hour,
        "cases_per_ticket": f.capacity.cases_per_ticket,
        "agent_hours_per_ticket": f.capacity.agent_hours_per_ticket,
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
