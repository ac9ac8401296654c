"""Macros: everyone reads; leads and admins write; a preview renders one for a ticket without applying it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.api.schemas.tickets import PriorityT, StatusT
from supportloop.tickets import selectors, services
from supportloop.tickets.models import Macro

router = Router(tags=["macros"])


class MacroActions(StrictIn):
    """What applying the macro does besides replying; every key is optional."""

    status: StatusT | None = None
    priority: PriorityT | None = None
    tags: list[str] | None = Field(None, max_length=50, description="replace the ticket's tags")
    add_tags: list[str] | None = Field(None, max_length=50, description="add to the ticket's tags")
    team: str | None = Field(None, max_length=100, description="team slug")


class MacroOut(Schema):
    id: int
    name: str
    body: str
    actions: dict
    is_active: bool
    usage_count: int
    created_at: datetime


class MacroCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=150)
    body: str = Field(..., min_length=1, max_length=50_000)
    # Built from no data: for mypy a model class matches both of default_factory's signatures (none, the data).
    actions: MacroActions = Field(default_factory=lambda: MacroActions.model_validate({}))


class MacroUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=150)
    body: str | None = Field(None, min_length=1, max_length=50_000)
    actions: MacroActions | None = None
    is_active: bool | None = None


class MacroListQuery(Schema):
    active: bool | None = None


class MacroPreviewQuery(Schema):
    ticket: Id = Field(..., description="ticket number")


class MacroPreviewOut(Schema):
    macro_id: Id
    ticket: int
    body: str
    actions: dict


def _actions(actions: MacroActions | None) -> dict:
    return actions.model_dump(exclude_none=True) if actions is not None else {}


@router.get("", response={200: list[MacroOut], **PROBLEMS}, summary="List macros", operation_id="macros_list")
def macro_list(request: ApiRequest, query: Query[MacroListQuery]) -> list[Any]:
    require(request.auth, "macro.view")
    return list(selectors.macro_list(active=query.active))


@router.post("", response={201: MacroOut, **PROBLEMS}, summary="Create a macro", operation_id="macro_create")
def macro_create(request: ApiRequest, payload: MacroCreateIn) -> Respond[Any]:
    require(request.auth, "macro.write")
    macro = services.macro_create(
        name=payload.name, body=payload.body, actions=_actions(payload.actions), actor=request.auth
    )
    return Respond(201, macro)


@router.get("/{int:macro_id}", response={200: MacroOut, **PROBLEMS}, summary="Read a macro", operation_id="macro_get")
def macro_read(request: ApiRequest, macro_id: PathId) -> Macro:
    require(request.auth, "macro.view")
    return selectors.macro_get(macro_id=macro_id)


@router.patch(
    "/{int:macro_id}", response={200: MacroOut, **PROBLEMS}, summary="Update a macro", operation_id="macro_update"
)
def macro_update(request: ApiRequest, macro_id: PathId, payload: MacroUpdateIn) -> Macro:
    require(request.auth, "macro.write")
    values = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if "actions" in values:
        values["actions"] = _actions(payload.actions)
    return services.macro_update(macro=selectors.macro_get(macro_id=macro_id), actor=request.auth, **values)


@router.get(
    "/{int:macro_id}/preview",
    response={200: MacroPreviewOut, **PROBLEMS},
    summary="Render a macro for a ticket without applying it",
    operation_id="macro_preview",
)
def macro_preview(request: ApiRequest, macro_id: PathId, query: Query[MacroPreviewQuery]) -> dict[str, Any]:
    require(request.auth, "macro.view")
    require(request.auth, "ticket.view")
    macro = selectors.macro_get(macro_id=macro_id)
    ticket = selectors.ticket_get(number=query.ticket)
    return {
        "macro_id": macro.pk,
        "ticket": ticket.number,
        "actions": macro.actions,
        "body": services.macro_render(macro=macro, ticket=ticket, actor=request.auth),
    }
