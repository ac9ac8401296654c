"""Routing rules, team assignment settings and agent profiles (admins and leads), and the caller's own away
status (any support role)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.accounts.selectors import teams
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.api.schemas.common import choices_of
from supportloop.automation.choices import AssignmentMethod, AwayReassignment
from supportloop.automation.models import RoutingRule
from supportloop.automation.selectors import routing as selectors
from supportloop.automation.services import assignment as assignment_services
from supportloop.automation.services import routing as routing_services
from supportloop.core.lookup import reference_or_422
from supportloop.customers.choices import Plan
from supportloop.tickets.choices import Channel, Priority
from supportloop.tickets.selectors import ticket_get

router = Router(tags=["routing"])

if TYPE_CHECKING:  # mypy cannot build a Literal at run time: for it, a value is a str
    ChannelT = str
    PlanT = str
    PriorityOrEmptyT = str
    MethodT = str
    AwayT = str
else:
    ChannelT = choices_of(Channel)
    PlanT = choices_of(Plan)
    PriorityOrEmptyT = choices_of(["", *Priority.values])
    MethodT = choices_of(AssignmentMethod)
    AwayT = choices_of(AwayReassignment)

Keyword = Field(..., min_length=1, max_length=100)
LIST = 200


class RoutingRuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    channels: list[str]
    mailbox_ids: list[int]
    product_area_ids: list[int]
    product_feature_ids: list[int]
    contact_reason_ids: list[int]
    languages: list[str]
    plans: list[str]
    keywords: list[str]
    team_id: int | None
    add_tags: list[str]
    priority: str
    created_at: datetime
    updated_at: datetime


class RoutingRuleFields(StrictIn):
    is_active: bool | None = None
    channels: list[ChannelT] | None = Field(None, max_length=LIST)
    mailbox_ids: list[Id] | None = Field(None, max_length=LIST)
    product_area_ids: list[Id] | None = Field(None, max_length=LIST)
    product_feature_ids: list[Id] | None = Field(None, max_length=LIST)
    contact_reason_ids: list[Id] | None = Field(None, max_length=LIST)
    languages: list[str] | None = Field(None, max_length=LIST, description="language codes: en, zh, ru ...")
    plans: list[PlanT] | None = Field(None, max_length=LIST)
    keywords: list[str] | None = Field(
        None, max_length=LIST, description="any of them in the subject or first message, case-insensitive"
    )
    team_id: Id | None = None
    add_tags: list[str] | None = Field(None, max_length=50)
    priority: PriorityOrEmptyT | None = None


class RoutingRuleCreateIn(RoutingRuleFields):
    name: str = Field(..., min_length=1, max_length=150)


class RoutingRuleUpdateIn(RoutingRuleFields):
    name: str | None = Field(None, min_length=1, max_length=150)


class ReorderIn(StrictIn):
    rule_ids: list[Id] = Field(..., max_length=500, description="every rule's id once, in the new order")


class RoutingTestQuery(Schema):
    ticket: Id = Field(..., description="ticket number")


class RoutingTestOut(Schema):
    rule_id: int | None
    rule_name: str | None
    team_id: int | None
    assignee_id: int | None
    method: str | None
    routed_now: bool = Field(..., description="false when the ticket has a team, which routing leaves alone")


class TeamAssignmentOut(Schema):
    team_id: int
    team: str
    method: str
    require_skills: bool
    default_capacity: int | None
    on_agent_away: str


class TeamAssignmentIn(StrictIn):
    method: MethodT | None = None
    require_skills: bool | None = None
    default_capacity: int | None = Field(None, ge=0, le=assignment_services.CAPACITY_MAX)
    clear_default_capacity: bool = Field(False, description="true: no default capacity (no limit)")
    on_agent_away: AwayT | None = None


class AgentOut(Schema):
    user_id: int
    username: str
    display_name: str
    is_away: bool
    away_since: datetime | None
    capacity: int | None
    languages: list[str]
    product_area_ids: list[int]


class AgentIn(StrictIn):
    capacity: int | None = Field(None, ge=0, le=assignment_services.CAPACITY_MAX)
    clear_capacity: bool = Field(False, description="true: the team's default capacity")
    languages: list[str] | None = Field(None, max_length=50)
    product_area_ids: list[Id] | None = Field(None, max_length=200)


class AwayIn(StrictIn):
    away: bool


class AwayOut(Schema):
    user_id: int
    is_away: bool
    away_since: datetime | None
    unassigned: int = 0
    reassigned: int = 0
    left: int = 0


def _rule_values(payload: RoutingRuleFields) -> dict[str, Any]:
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if "team_id" in payload.model_fields_set:
        values.pop("team_id", None)
        values["team"] = reference_or_422(teams(), "team_id", payload.team_id) if payload.team_id is not None else None
    return values


def _team_row(row: selectors.TeamAssignmentRow) -> dict[str, Any]:
    return {
        "team_id": row.team.pk,
        "team": row.team.slug,
        "method": row.method,
        "require_skills": row.require_skills,
        "default_capacity": row.default_capacity,
        "on_agent_away": row.on_agent_away,
    }


def _agent(row: selectors.AgentRow) -> dict[str, Any]:
    return {
        "user_id": row.user.pk,
        "username": row.user.username,
        "display_name": row.user.display_name,
        "is_away": row.is_away,
        "away_since": row.away_since,
        "capacity": row.capacity,
        "languages": row.languages,
        "product_area_ids": row.product_area_ids,
    }


@router.get(
    "/rules",
    response={200: list[RoutingRuleOut], **PROBLEMS},
    summary="List routing rules in order",
    operation_id="routing_rules_list",
)
def rule_list(request: ApiRequest) -> list[RoutingRule]:
    require(request.auth, "routing.manage")
    return list(selectors.routing_rule_list())


@router.post(
    "/rules",
    response={201: RoutingRuleOut, **PROBLEMS},
    summary="Create a routing rule",
    operation_id="routing_rule_create",
)
def rule_create(request: ApiRequest, payload: RoutingRuleCreateIn) -> Respond[Any]:
    require(request.auth, "routing.manage")
    values = _rule_values(payload)
    rule = routing_services.routing_rule_create(actor=request.auth, **values)
    return Respond(201, rule)


@router.post(
    "/rules/reorder",
    response={200: list[RoutingRuleOut], **PROBLEMS},
    summary="Put the routing rules in a new order",
    operation_id="routing_rules_reorder",
)
def rule_reorder(request: ApiRequest, payload: ReorderIn) -> list[RoutingRule]:
    require(request.auth, "routing.manage")
    return routing_services.routing_rules_reorder(rule_ids=payload.rule_ids, actor=request.auth)


@router.get(
    "/rules/{int:rule_id}",
    response={200: RoutingRuleOut, **PROBLEMS},
    summary="Read a routing rule",
    operation_id="routing_rule_get",
)
def rule_read(request: ApiRequest, rule_id: PathId) -> RoutingRule:
    require(request.auth, "routing.manage")
    return selectors.routing_rule_get(rule_id=rule_id)


@router.patch(
    "/rules/{int:rule_id}",
    response={200: RoutingRuleOut, **PROBLEMS},
    summary="Change a routing rule (is_active enables or disables it)",
    operation_id="routing_rule_update",
)
def rule_update(request: ApiRequest, rule_id: PathId, payload: RoutingRuleUpdateIn) -> RoutingRule:
    require(request.auth, "routing.manage")
    rule = selectors.routing_rule_get(rule_id=rule_id)
    return routing_services.routing_rule_update(rule=rule, actor=request.auth, **_rule_values(payload))


@router.delete(
    "/rules/{int:rule_id}",
    response={204: None, **PROBLEMS},
    summary="Delete a routing rule",
    operation_id="routing_rule_delete",
)
def rule_delete(request: ApiRequest, rule_id: PathId) -> Respond[Any]:
    require(request.auth, "routing.manage")
    routing_services.routing_rule_delete(rule=selectors.routing_rule_get(rule_id=rule_id), actor=request.auth)
    return Respond(204, None)


@router.get(
    "/test",
    response={200: RoutingTestOut, **PROBLEMS},
    summary="What routing would do to ticket N now (a dry run: nothing is written)",
    operation_id="routing_test",
)
def routing_test(request: ApiRequest, query: Query[RoutingTestQuery]) -> dict[str, Any]:
    require(request.auth, "routing.manage")
    outcome = routing_services.routing_dry_run(ticket=ticket_get(number=query.ticket))
    return {
        "rule_id": outcome["rule"]["id"] if outcome["rule"] else None,
        "rule_name": outcome["rule"]["name"] if outcome["rule"] else None,
        "team_id": outcome["team"].pk if outcome["team"] else None,
        "assignee_id": outcome["assignee"].pk if outcome["assignee"] else None,
        "method": outcome["method"],
        "routed_now": outcome["routed_now"],
    }


@router.get(
    "/teams",
    response={200: list[TeamAssignmentOut], **PROBLEMS},
    summary="Every team's assignment settings",
    operation_id="routing_teams_list",
)
def team_list(request: ApiRequest) -> list[dict[str, Any]]:
    require(request.auth, "routing.manage")
    return [_team_row(r) for r in selectors.team_assignment_rows()]


@router.patch(
    "/teams/{int:team_id}",
    response={200: TeamAssignmentOut, **PROBLEMS},
    summary="Change how a team assigns its tickets",
    operation_id="routing_team_update",
)
def team_update(request: ApiRequest, team_id: PathId, payload: TeamAssignmentIn) -> dict[str, Any]:
    require(request.auth, "routing.manage")
    row = selectors.team_assignment_row(team_id=team_id)
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if values.pop("clear_default_capacity", False):
        values["default_capacity"] = None
    assignment_services.team_assignment_update(team=row.team, actor=request.auth, **values)
    return _team_row(selectors.team_assignment_row(team_id=team_id))


@router.get(
    "/agents",
    response={200: list[AgentOut], **PROBLEMS},
    summary="Agents with their away status, capacity and skills",
    operation_id="routing_agents_list",
)
def agent_list(request: ApiRequest) -> list[dict[str, Any]]:
    require(request.auth, "routing.manage")
    return [_agent(r) for r in selectors.agent_rows()]


@router.patch(
    "/agents/{int:user_id}",
    response={200: AgentOut, **PROBLEMS},
    summary="Set an agent's capacity and skills",
    operation_id="routing_agent_update",
)
def agent_update(request: ApiRequest, user_id: PathId, payload: AgentIn) -> dict[str, Any]:
    require(request.auth, "routing.manage")
    row = selectors.agent_row(user_id=user_id)
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if values.pop("clear_capacity", False):
        values["capacity"] = None
    assignment_services.agent_profile_update(user=row.user, actor=request.auth, **values)
    return _agent(selectors.agent_row(user_id=user_id))


@router.get("/me", response={200: AwayOut, **PROBLEMS}, summary="Your own away status", operation_id="routing_me_get")
def me(request: ApiRequest) -> dict[str, Any]:
    require(request.auth, "routing.away_own")
    row = selectors.agent_row(user_id=request.auth.pk)
    return {"user_id": row.user.pk, "is_away": row.is_away, "away_since": row.away_since}


@router.put(
    "/me/away",
    response={200: AwayOut, **PROBLEMS},
    summary="Set yourself away (your open tickets move as each team says) or back",
    operation_id="routing_me_away",
)
def me_away(request: ApiRequest, payload: AwayIn) -> dict[str, Any]:
    require(request.auth, "routing.away_own")
    result = assignment_services.agent_set_away(user=request.auth, away=payload.away, actor=request.auth)
    return {
        "user_id": request.auth.pk,
        "is_away": result.profile.is_away,
        "away_since": result.profile.away_since,
        "unassigned": result.unassigned,
        "reassigned": result.reassigned,
        "left": result.left,
    }
