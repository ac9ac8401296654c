"""SLA policies, business-hours calendars and attainment: admins and leads only. A ticket's SLA state
(due times, breaches, pause history) is readable by whoever may read the ticket."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.api.schemas.common import UtcDatetime, choices_of
from supportloop.automation.models import BusinessCalendar, SlaPolicy
from supportloop.automation.selectors import sla as selectors
from supportloop.automation.services import sla_config as services
from supportloop.customers.choices import Plan
from supportloop.tickets.choices import Channel
from supportloop.tickets.selectors import ticket_get

if TYPE_CHECKING:
    PlanT = str
    ChannelT = str
    GroupT = str
else:
    PlanT = choices_of(Plan)
    ChannelT = choices_of(Channel)
    GroupT = choices_of(["policy", "team", "agent"])

router = Router(tags=["sla"])
ticket_router = Router(tags=["sla"])


class OpeningHours(StrictIn):
    day: int = Field(..., ge=0, le=6, description="0 Monday ... 6 Sunday")
    start: str = Field(..., pattern=r"^\d\d:\d\d$", examples=["09:00"])
    end: str = Field(..., pattern=r"^\d\d:\d\d$", examples=["17:00"], description="24:00 for midnight")


class ClosedDate(StrictIn):
    date: str = Field(..., pattern=r"^\d{4}-\d\d-\d\d$")
    name: str = Field("", max_length=100)


class CalendarOut(Schema):
    id: int
    name: str
    time_zone: str
    hours: list[dict]
    holidays_country: str
    holidays_subdivision: str
    custom_closed_dates: list[dict]
    is_default: bool
    teams: list[str]
    updated_at: datetime

    @staticmethod
    def resolve_teams(obj: BusinessCalendar) -> list[str]:
        return sorted(t.slug for t in obj.teams.all())


class CalendarCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=100)
    time_zone: str = Field(..., min_length=1, max_length=64, examples=["Europe/Berlin"])
    hours: list[OpeningHours] = Field(..., min_length=1, max_length=services.MAX_HOURS_ENTRIES)
    holidays_country: str = Field("", max_length=3, description="ISO 3166 code of the `holidays` library, e.g. DE")
    holidays_subdivision: str = Field("", max_length=10, description="e.g. BE for Berlin")
    custom_closed_dates: list[ClosedDate] = Field(default_factory=list, max_length=services.MAX_CUSTOM_DATES)
    is_default: bool = False
    teams: list[str] = Field(default_factory=list, max_length=100, description="team slugs")


class CalendarUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=100)
    time_zone: str | None = Field(None, min_length=1, max_length=64)
    hours: list[OpeningHours] | None = Field(None, min_length=1, max_length=services.MAX_HOURS_ENTRIES)
    holidays_country: str | None = Field(None, max_length=3)
    holidays_subdivision: str | None = Field(None, max_length=10)
    custom_closed_dates: list[ClosedDate] | None = Field(None, max_length=services.MAX_CUSTOM_DATES)
    is_default: bool | None = None
    teams: list[str] | None = Field(None, max_length=100)


class TargetMinutes(StrictIn):
    first_response: int | None = Field(None, ge=1, le=services.MAX_TARGET_MINUTES)
    next_response: int | None = Field(None, ge=1, le=services.MAX_TARGET_MINUTES)
    resolution: int | None = Field(None, ge=1, le=services.MAX_TARGET_MINUTES)


class PolicyTargets(StrictIn):
    """Business minutes per priority; a priority left out is not covered by the policy."""

    low: TargetMinutes | None = None
    normal: TargetMinutes | None = None
    high: TargetMinutes | None = None
    urgent: TargetMinutes | None = None


class PolicyOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    plans: list[str]
    channels: list[str]
    business_hours: bool
    warn_before_minutes: int
    targets: dict[str, dict[str, int | None]]
    updated_at: datetime

    @staticmethod
    def resolve_targets(obj: SlaPolicy) -> dict[str, dict[str, int | None]]:
        return services.policy_targets(obj)


class PolicyCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=150)
    targets: PolicyTargets
    plans: list[PlanT] = Field(default_factory=list, max_length=10, description="empty: every plan")
    channels: list[ChannelT] = Field(default_factory=list, max_length=10, description="empty: every channel")
    business_hours: bool = True
    warn_before_minutes: int = Field(30, ge=0, le=services.MAX_TARGET_MINUTES)
    is_active: bool = True
    position: int | None = Field(None, ge=1, le=10_000, description="1 = checked first; default last")


class PolicyUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=150)
    targets: PolicyTargets | None = None
    plans: list[PlanT] | None = Field(None, max_length=10)
    channels: list[ChannelT] | None = Field(None, max_length=10)
    business_hours: bool | None = None
    warn_before_minutes: int | None = Field(None, ge=0, le=services.MAX_TARGET_MINUTES)
    is_active: bool | None = None
    position: int | None = Field(None, ge=1, le=10_000)


class ReportQuery(Schema):
    group_by: GroupT = "policy"
    since: UtcDatetime | None = None
    until: UtcDatetime | None = None


class TargetAttainment(Schema):
    met: int
    breached: int
    attainment: float | None


class AttainmentRow(Schema):
    key: int | None
    label: str
    tickets: int
    attainment: float | None
    first_response: TargetAttainment
    next_response: TargetAttainment
    resolution: TargetAttainment


class TargetStateOut(Schema):
    target: str
    state: str
    due_at: datetime | None
    fulfilled_at: datetime | None
    breached_at: datetime | None
    warned_at: datetime | None
    remaining_business_seconds: int | None


class PauseOut(Schema):
    status: str
    started_at: datetime
    ended_at: datetime | None
    business_seconds: int


class TicketSlaOut(Schema):
    ticket: int
    policy: str | None
    calendar: str | None
    business_hours: bool
    paused_since: datetime | None
    paused_business_seconds: int
    targets: list[TargetStateOut]
    pauses: list[PauseOut]


def _targets(targets: PolicyTargets) -> dict[str, dict[str, Any]]:
    return {p: t.model_dump() for p, t in targets if t is not None}


@router.get(
    "/calendars",
    response={200: list[CalendarOut], **PROBLEMS},
    summary="List business-hours calendars",
    operation_id="sla_calendars_list",
)
def calendar_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "sla.manage")
    return list(selectors.business_calendar_list())


@router.post(
    "/calendars",
    response={201: CalendarOut, **PROBLEMS},
    summary="Create a business-hours calendar",
    operation_id="sla_calendar_create",
)
def calendar_create(request: ApiRequest, payload: CalendarCreateIn) -> Respond[Any]:
    require(request.auth, "sla.manage")
    data = payload.model_dump()
    data["teams"] = selectors.teams_by_slugs(slugs=data["teams"])
    calendar = services.business_calendar_create(actor=request.auth, **data)
    return Respond(201, selectors.business_calendar_get(calendar_id=calendar.pk))


@router.get(
    "/calendars/{int:calendar_id}",
    response={200: CalendarOut, **PROBLEMS},
    summary="Read a calendar",
    operation_id="sla_calendar_get",
)
def calendar_read(request: ApiRequest, calendar_id: PathId) -> BusinessCalendar:
    require(request.auth, "sla.manage")
    return selectors.business_calendar_get(calendar_id=calendar_id)


@router.patch(
    "/calendars/{int:calendar_id}",
    response={200: CalendarOut, **PROBLEMS},
    summary="Update a calendar",
    operation_id="sla_calendar_update",
)
def calendar_update(request: ApiRequest, calendar_id: PathId, payload: CalendarUpdateIn) -> BusinessCalendar:
    require(request.auth, "sla.manage")
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    teams = selectors.teams_by_slugs(slugs=values.pop("teams")) if "teams" in values else None
    calendar = selectors.business_calendar_get(calendar_id=calendar_id)
    services.business_calendar_update(calendar=calendar, actor=request.auth, teams=teams, **values)
    return selectors.business_calendar_get(calendar_id=calendar_id)


@router.get(
    "/policies",
    response={200: list[PolicyOut], **PROBLEMS},
    summary="List SLA policies in the order they are tried",
    operation_id="sla_policies_list",
)
def policy_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "sla.manage")
    return list(selectors.sla_policy_list())


@router.post(
    "/policies", response={201: PolicyOut, **PROBLEMS}, summary="Create an SLA policy", operation_id="sla_policy_create"
)
def policy_create(request: ApiRequest, payload: PolicyCreateIn) -> Respond[Any]:
    require(request.auth, "sla.manage")
    data = payload.model_dump(exclude={"targets"})
    policy = services.sla_policy_create(actor=request.auth, targets=_targets(payload.targets), **data)
    return Respond(201, selectors.sla_policy_get(policy_id=policy.pk))


@router.get(
    "/policies/{int:policy_id}",
    response={200: PolicyOut, **PROBLEMS},
    summary="Read an SLA policy",
    operation_id="sla_policy_get",
)
def policy_read(request: ApiRequest, policy_id: PathId) -> SlaPolicy:
    require(request.auth, "sla.manage")
    return selectors.sla_policy_get(policy_id=policy_id)


@router.patch(
    "/policies/{int:policy_id}",
    response={200: PolicyOut, **PROBLEMS},
    summary="Update or move an SLA policy",
    operation_id="sla_policy_update",
)
def policy_update(request: ApiRequest, policy_id: PathId, payload: PolicyUpdateIn) -> SlaPolicy:
    require(request.auth, "sla.manage")
    values = {k: v for k, v in payload.model_dump(exclude_unset=True, exclude={"targets"}).items() if v is not None}
    targets = _targets(payload.targets) if payload.targets is not None else None
    policy = selectors.sla_policy_get(policy_id=policy_id)
    services.sla_policy_update(policy=policy, actor=request.auth, targets=targets, **values)
    return selectors.sla_policy_get(policy_id=policy_id)


@router.get(
    "/report",
    response={200: list[AttainmentRow], **PROBLEMS},
    summary="SLA attainment per policy, team or agent",
    operation_id="sla_report",
)
def report(request: ApiRequest, query: Query[ReportQuery]) -> list[dict[str, Any]]:
    require(request.auth, "sla.report")
    return selectors.sla_attainment(group_by=query.group_by, since=query.since, until=query.until)


@ticket_router.get(
    "/{int:number}/sla",
    response={200: TicketSlaOut, **PROBLEMS},
    summary="A ticket's SLA: due times, breaches and pause history",
    operation_id="ticket_sla_get",
)
def ticket_sla(request: ApiRequest, number: Id) -> dict[str, Any]:
    require(request.auth, "ticket.view")
    ticket = ticket_get(number=number)
    panel = selectors.ticket_sla_panel(ticket_id=ticket.pk)
    if panel is None:
        return {
            "ticket": ticket.number,
            "policy": None,
            "calendar": None,
            "business_hours": False,
            "paused_since": None,
            "paused_business_seconds": 0,
            "targets": [],
            "pauses": [],
        }
    return {
        "ticket": ticket.number,
        "policy": panel.policy_name,
        "calendar": panel.calendar_name,
        "business_hours": panel.business_hours,
        "paused_since": panel.paused_since,
        "paused_business_seconds": panel.paused_seconds,
        "targets": [
            {
                "target": t.target,
                "state": t.state,
                "due_at": t.due_at,
                "fulfilled_at": t.fulfilled_at,
                "breached_at": t.breached_at,
                "warned_at": t.warned_at,
                "remaining_business_seconds": round(t.remaining_seconds) if t.remaining_seconds is not None else None,
            }
            for t in panel.targets
        ],
        "pauses": panel.pauses,
    }
