"""Triggers (event rules): list, create, read, change, delete, reorder, and the dry run against one ticket.
Admins and leads only. Conditions and actions are JSON checked by the service, whose errors name the bad part
("conditions.all[1].op", "actions[0].priority")."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.api.schemas.common import choices_of
from supportloop.automation.models import Trigger
from supportloop.automation.selectors import time_rules as time_rule_selectors
from supportloop.automation.selectors import triggers as selectors
from supportloop.automation.services import time_rules as time_rule_services
from supportloop.automation.services import triggers as services
from supportloop.automation.services.time_rules import MAX_MINUTES, REMINDER_MAX, TimeRuleConfig
from supportloop.tickets.selectors import ticket_get

router = Router(tags=["triggers"])

if TYPE_CHECKING:
    EventT = str
else:
    EventT = choices_of(list(services.EVENT_KINDS))


class TriggerOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    events: list[str]
    conditions: dict[str, list[dict[str, Any]]]
    actions: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime


CONDITIONS_DOC = (
    '{"all": [{"field": "priority", "op": "in", "value": ["high", "urgent"]}], "any": [...]}: every "all" '
    'condition and, when "any" has some, one of them'
)
ACTIONS_DOC = '[{"action": "set_priority", "priority": "high"}, {"action": "notify", "team_leads": true}]'


class TriggerFields(StrictIn):
    is_active: bool | None = None
    events: list[EventT] | None = Field(None, min_length=1, max_length=8)
    conditions: dict[str, Any] | None = Field(None, description=CONDITIONS_DOC)
    actions: list[dict[str, Any]] | None = Field(None, min_length=1, max_length=20, description=ACTIONS_DOC)


class TriggerCreateIn(TriggerFields):
    name: str = Field(..., min_length=1, max_length=150)
    events: list[EventT] = Field(..., min_length=1, max_length=8)
    actions: list[dict[str, Any]] = Field(..., min_length=1, max_length=20, description=ACTIONS_DOC)


class TriggerUpdateIn(TriggerFields):
    name: str | None = Field(None, min_length=1, max_length=150)


class TriggersReorderIn(StrictIn):
    trigger_ids: list[Id] = Field(..., max_length=500, description="every trigger's id once, in the new order")


class DryRunQuery(Schema):
    ticket: Id = Field(..., description="ticket number")
    event: EventT | None = Field(None, description="the ticket event to test for (default: any it listens to)")


class DryRunOut(Schema):
    trigger_id: int
    ticket_number: int
    enabled: bool
    listens: bool = Field(..., description="the trigger listens to the event asked about")
    matches: bool = Field(..., description="the conditions hold for the ticket as it is now")
    capped: bool = Field(..., description="the loop cap would stop it on this ticket now")
    would_fire: bool
    actions: list[str] = Field(..., description="what each action would do (nothing is written)")
    summary: str


class TimeRuleOut(Schema):
    rule: str = Field(..., description="pending_reminder, solved_close or unassigned_notice")
    enabled: bool
    after_minutes: int = Field(..., description="how long the ticket waits in its state before the rule acts")
    reminder_text: str | None = Field(
        None, description="pending_reminder only: the lead's text ('' = the built-in text); null for other rules"
    )
    default_after_minutes: int
    updated_at: datetime | None


class TimeRuleUpdateIn(StrictIn):
    enabled: bool | None = None
    after_minutes: int | None = Field(None, ge=1, le=MAX_MINUTES)
    reminder_text: str | None = Field(
        None,
        max_length=REMINDER_MAX,
        description="pending_reminder only; placeholders: "
        + ", ".join("{{ " + p + " }}" for p in time_rule_services.REMINDER_PLACEHOLDERS)
        + "; '' goes back to the built-in text",
    )


def _time_rule_out(config: TimeRuleConfig) -> dict[str, Any]:
    return {
        "rule": config.rule,
        "enabled": config.enabled,
        "after_minutes": config.after_minutes,
        "reminder_text": config.reminder_text if config.has_text else None,
        "default_after_minutes": time_rule_services.DEFAULT_MINUTES[config.rule],
        "updated_at": config.updated_at,
    }


@router.get(
    "/time-rules",
    response={200: list[TimeRuleOut], **PROBLEMS},
    summary="List the built-in time rules with their settings",
    operation_id="time_rules_list",
)
def time_rule_list(request: ApiRequest) -> list[dict[str, Any]]:
    require(request.auth, "triggers.manage")
    return [_time_rule_out(c) for c in time_rule_selectors.time_rule_list()]


@router.patch(
    "/time-rules/{rule}",
    response={200: TimeRuleOut, **PROBLEMS},
    summary="Change a time rule: on or off, its wait, the reminder's text",
    operation_id="time_rule_update",
)
def time_rule_update(request: ApiRequest, rule: str, payload: TimeRuleUpdateIn) -> dict[str, Any]:
    require(request.auth, "triggers.manage")
    config = time_rule_selectors.time_rule_get(rule=rule)
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _time_rule_out(time_rule_services.time_rule_update(rule=config.rule, actor=request.auth, **values))


@router.get(
    "", response={200: list[TriggerOut], **PROBLEMS}, summary="List triggers in order", operation_id="triggers_list"
)
def trigger_list(request: ApiRequest) -> list[Trigger]:
    require(request.auth, "triggers.manage")
    return list(selectors.trigger_list())


@router.post("", response={201: TriggerOut, **PROBLEMS}, summary="Create a trigger", operation_id="trigger_create")
def trigger_create(request: ApiRequest, payload: TriggerCreateIn) -> Respond[Any]:
    require(request.auth, "triggers.manage")
    values = payload.model_dump(exclude_unset=True)
    if values.get("is_active") is None:
        values.pop("is_active", None)
    trigger = services.trigger_create(actor=request.auth, **values)
    return Respond(201, trigger)


@router.post(
    "/reorder",
    response={200: list[TriggerOut], **PROBLEMS},
    summary="Put the triggers in a new order",
    operation_id="triggers_reorder",
)
def trigger_reorder(request: ApiRequest, payload: TriggersReorderIn) -> list[Trigger]:
    require(request.auth, "triggers.manage")
    return services.triggers_reorder(trigger_ids=payload.trigger_ids, actor=request.auth)


@router.get(
    "/{int:trigger_id}", response={200: TriggerOut, **PROBLEMS}, summary="Read a trigger", operation_id="trigger_get"
)
def trigger_read(request: ApiRequest, trigger_id: PathId) -> Trigger:
    require(request.auth, "triggers.manage")
    return selectors.trigger_get(trigger_id=trigger_id)


@router.patch(
    "/{int:trigger_id}",
    response={200: TriggerOut, **PROBLEMS},
    summary="Change a trigger (is_active enables or disables it)",
    operation_id="trigger_update",
)
def trigger_update(request: ApiRequest, trigger_id: PathId, payload: TriggerUpdateIn) -> Trigger:
    require(request.auth, "triggers.manage")
    trigger = selectors.trigger_get(trigger_id=trigger_id)
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return services.trigger_update(trigger=trigger, actor=request.auth, **values)


@router.delete(
    "/{int:trigger_id}", response={204: None, **PROBLEMS}, summary="Delete a trigger", operation_id="trigger_delete"
)
def trigger_delete(request: ApiRequest, trigger_id: PathId) -> Respond[Any]:
    require(request.auth, "triggers.manage")
    services.trigger_delete(trigger=selectors.trigger_get(trigger_id=trigger_id), actor=request.auth)
    return Respond(204, None)


@router.post(
    "/{int:trigger_id}/dry-run",
    response={200: DryRunOut, **PROBLEMS},
    summary="What the trigger would do to ticket N now (nothing is written)",
    operation_id="trigger_dry_run",
)
def trigger_dry_run(request: ApiRequest, trigger_id: PathId, query: Query[DryRunQuery]) -> dict[str, Any]:
    require(request.auth, "triggers.manage")
    trigger = selectors.trigger_get(trigger_id=trigger_id)
    result = services.trigger_dry_run(trigger=trigger, ticket=ticket_get(number=query.ticket), event_kind=query.event)
    return {
        "trigger_id": trigger.pk,
        "ticket_number": result.ticket.number,
        "enabled": result.enabled,
        "listens": result.listens,
        "matches": result.matches,
        "capped": result.capped,
        "would_fire": result.enabled and result.listens and result.matches and not result.capped,
        "actions": result.lines,
        "summary": services.dry_run_summary(result),
    }
