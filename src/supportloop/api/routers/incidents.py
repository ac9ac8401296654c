"""Incidents (admins and leads): declare, list, read with linked tickets, link and unlink tickets, preview and
resolve (the one bulk reply to every linked ticket)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.api.schemas.common import choices_of
from supportloop.automation.choices import IncidentStatus
from supportloop.automation.models import Incident
from supportloop.automation.selectors import incidents as selectors
from supportloop.automation.services import incidents as services
from supportloop.core.errors import NotFound
from supportloop.tickets.selectors import ticket_get, ticket_ref

router = Router(tags=["incidents"])

if TYPE_CHECKING:
    StatusT = str
else:
    StatusT = choices_of(IncidentStatus)


class IncidentOut(Schema):
    id: int
    title: str
    status: str
    product_area_id: int | None
    keywords: list[str]
    customer_text: str
    resolution_text: str
    macro_id: int | None
    declared_by_id: int | None
    declared_at: datetime
    resolved_by_id: int | None
    resolved_at: datetime | None
    linked_count: int = 0
    replied_count: int = 0


class LinkedTicketOut(Schema):
    number: int
    subject: str
    source: str
    linked_at: datetime
    reply_sent_at: datetime | None


class IncidentDetailOut(IncidentOut):
    tickets: list[LinkedTicketOut]


class IncidentDeclareIn(StrictIn):
    title: str = Field(..., min_length=1, max_length=services.TITLE_MAX)
    customer_text: str = Field(..., min_length=1, max_length=services.TEXT_MAX)
    product_area_id: Id | None = None
    keywords: list[str] = Field(
        default_factory=list,
        max_length=services.MAX_KEYWORDS,
        description="any of them in a new ticket's subject or first message links it (case-insensitive)",
    )


class IncidentListQuery(Schema):
    status: StatusT | None = None


class LinkIn(StrictIn):
    ticket: Id = Field(..., description="ticket number")


class ResolveIn(StrictIn):
    reply_text: str | None = Field(
        None, min_length=1, max_length=services.TEXT_MAX, description="default: the customer-facing text"
    )


class ResolvePreviewQuery(Schema):
    reply_text: str | None = Field(None, max_length=services.TEXT_MAX)


class ResolvePreviewOut(Schema):
    tickets: int = Field(..., description="linked tickets that will get the reply")
    text: str


def _detail(incident_id: int) -> dict[str, Any]:
    incident = selectors.incident_get(incident_id=incident_id)
    out = IncidentOut.from_orm(incident).model_dump()
    out["tickets"] = [
        {
            "number": link.ticket.number,
            "subject": link.ticket.subject,
            "source": link.source,
            "linked_at": link.linked_at,
            "reply_sent_at": link.reply_sent_at,
        }
        for link in selectors.incident_tickets(incident=incident)
    ]
    return out


@router.get(
    "",
    response={200: list[IncidentOut], **PROBLEMS},
    summary="List incidents, newest first",
    operation_id="incidents_list",
)
def incident_list(request: ApiRequest, query: Query[IncidentListQuery]) -> list[Incident]:
    require(request.auth, "incident.manage")
    return list(selectors.incident_list(status=query.status)[:200])


@router.post(
    "",
    response={201: IncidentDetailOut, **PROBLEMS},
    summary="Declare an incident",
    operation_id="incident_declare",
)
def incident_declare(request: ApiRequest, payload: IncidentDeclareIn) -> Respond[Any]:
    require(request.auth, "incident.manage")
    area = selectors.product_area_ref(area_id=payload.product_area_id)
    incident = services.incident_declare(
        actor=request.auth,
        title=payload.title,
        customer_text=payload.customer_text,
        product_area=area,
        keywords=payload.keywords,
    )
    return Respond(201, _detail(incident.pk))


@router.get(
    "/{int:incident_id}",
    response={200: IncidentDetailOut, **PROBLEMS},
    summary="Read an incident with its linked tickets",
    operation_id="incident_get",
)
def incident_read(request: ApiRequest, incident_id: PathId) -> dict[str, Any]:
    require(request.auth, "incident.manage")
    return _detail(incident_id)


@router.post(
    "/{int:incident_id}/tickets",
    response={201: IncidentDetailOut, **PROBLEMS},
    summary="Link a ticket to an open incident",
    operation_id="incident_ticket_link",
)
def incident_link(request: ApiRequest, incident_id: PathId, payload: LinkIn) -> Respond[Any]:
    require(request.auth, "incident.manage")
    incident = selectors.incident_get(incident_id=incident_id)
    ticket = ticket_ref(number=payload.ticket, field="ticket")
    if ticket is None:  # the schema requires the number; for the type checker
        raise NotFound("No such ticket.")
    services.incident_ticket_link(incident=incident, ticket=ticket, actor=request.auth)
    return Respond(201, _detail(incident_id))


@router.delete(
    "/{int:incident_id}/tickets/{int:number}",
    response={204: None, **PROBLEMS},
    summary="Take a ticket off an open incident",
    operation_id="incident_ticket_unlink",
)
def incident_unlink(request: ApiRequest, incident_id: PathId, number: PathId) -> Respond[Any]:
    require(request.auth, "incident.manage")
    incident = selectors.incident_get(incident_id=incident_id)
    services.incident_ticket_unlink(incident=incident, ticket=ticket_get(number=number), actor=request.auth)
    return Respond(204, None)


@router.get(
    "/{int:incident_id}/resolve-preview",
    response={200: ResolvePreviewOut, **PROBLEMS},
    summary="What resolving would send: how many tickets, and the text (nothing is written)",
    operation_id="incident_resolve_preview",
)
def incident_resolve_preview(
    request: ApiRequest, incident_id: PathId, query: Query[ResolvePreviewQuery]
) -> services.ResolvePreview:
    require(request.auth, "incident.manage")
    incident = selectors.incident_get(incident_id=incident_id)
    return services.incident_resolve_preview(incident=incident, reply_text=query.reply_text)


@router.post(
    "/{int:incident_id}/resolve",
    response={200: IncidentDetailOut, **PROBLEMS},
    summary="Resolve an incident: one reply goes to every linked ticket, in throttled batches",
    operation_id="incident_resolve",
)
def incident_resolve(request: ApiRequest, incident_id: PathId, payload: ResolveIn) -> dict[str, Any]:
    require(request.auth, "incident.manage")
    incident = selectors.incident_get(incident_id=incident_id)
    services.incident_resolve(incident=incident, actor=request.auth, reply_text=payload.reply_text)
    return _detail(incident_id)
