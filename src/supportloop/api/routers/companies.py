"""Companies: list with filters, create, read, update (with their email domains), notes, and their tickets."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, PathId, StrictIn, UtcDatetime
from supportloop.api.schemas.common import choices_of
from supportloop.api.schemas.customers import CompanyOut, CustomerNoteIn, CustomerNoteOut, PageQuery
from supportloop.api.schemas.tickets import TicketOut, TicketPageOut
from supportloop.customers import selectors, services
from supportloop.customers.choices import Plan
from supportloop.tickets import selectors as ticket_selectors

router = Router(tags=["companies"])

if TYPE_CHECKING:  # mypy cannot build a Literal at run time: for it, a value is a str
    PlanT = str
else:  # pydantic and the OpenAPI document get the Literal of the choices
    PlanT = choices_of(Plan)


class CompanyListQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="part of the name")
    domain: str | None = Field(None, max_length=253)
    plan: PlanT | None = None
    updated_since: UtcDatetime | None = None


class CompanyPageOut(Schema):
    items: list[CompanyOut]
    next_cursor: str | None


class CompanyCreateIn(StrictIn):
    name: str = Field(..., min_length=1, max_length=200)
    domains: list[str] = Field(default_factory=list, max_length=50)
    plan: PlanT = "free"
    mrr: Decimal = Field(Decimal("0"), ge=0, lt=10_000_000_000, max_digits=12, decimal_places=2)
    attributes: dict[str, Any] = Field(default_factory=dict)


class CompanyUpdateIn(StrictIn):
    name: str | None = Field(None, min_length=1, max_length=200)
    domains: list[str] | None = Field(None, max_length=50)
    plan: PlanT | None = None
    mrr: Decimal | None = Field(None, ge=0, lt=10_000_000_000, max_digits=12, decimal_places=2)
    attributes: dict[str, Any] | None = None


@router.get(
    "",
    response={200: CompanyPageOut, **PROBLEMS},
    summary="List companies (newest first)",
    operation_id="companies_list",
)
def company_list(request: ApiRequest, query: Query[CompanyListQuery]) -> dict[str, Any]:
    require(request.auth, "customer.view")
    filters = selectors.CompanyFilters(
        q=query.q, domain=query.domain, plan=query.plan, updated_since=query.updated_since
    )
    rows, next_cursor = selectors.company_page(filters=filters, cursor=query.cursor, limit=query.limit)
    return {"items": [CompanyOut.from_company(c) for c in rows], "next_cursor": next_cursor}


@router.post(
    "",
    response={201: CompanyOut, **PROBLEMS},
    summary="Create a company (409 if a domain is taken)",
    operation_id="company_create",
)
def company_create(request: ApiRequest, payload: CompanyCreateIn) -> Respond[Any]:
    require(request.auth, "customer.write")
    company = services.company_create(
        name=payload.name,
        domains=payload.domains,
        plan=payload.plan,
        mrr=payload.mrr,
        attributes=payload.attributes,
        actor=request.auth,
    )
    return Respond(201, CompanyOut.from_company(selectors.company_get(company_id=company.pk)))


@router.get(
    "/{int:company_id}", response={200: CompanyOut, **PROBLEMS}, summary="Read a company", operation_id="company_get"
)
def company_read(request: ApiRequest, company_id: PathId) -> dict[str, Any]:
    require(request.auth, "customer.view")
    return CompanyOut.from_company(selectors.company_get(company_id=company_id))


@router.patch(
    "/{int:company_id}",
    response={200: CompanyOut, **PROBLEMS},
    summary="Update a company",
    operation_id="company_update",
)
def company_update(request: ApiRequest, company_id: PathId, payload: CompanyUpdateIn) -> dict[str, Any]:
    require(request.auth, "customer.write")
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None or k == "domains"}
    services.company_update(company=selectors.company_get(company_id=company_id), actor=request.auth, **data)
    return CompanyOut.from_company(selectors.company_get(company_id=company_id))


@router.get(
    "/{int:company_id}/notes",
    response={200: list[CustomerNoteOut], **PROBLEMS},
    summary="Internal notes",
    operation_id="company_notes_list",
)
def company_notes(request: ApiRequest, company_id: PathId) -> list[Any]:
    require(request.auth, "customer.view")
    company = selectors.company_get(company_id=company_id)
    return [CustomerNoteOut.from_note(n) for n in selectors.customer_notes(company=company)]


@router.post(
    "/{int:company_id}/notes",
    response={201: CustomerNoteOut, **PROBLEMS},
    summary="Add an internal note",
    operation_id="company_note_add",
)
def company_note_add(request: ApiRequest, company_id: PathId, payload: CustomerNoteIn) -> Respond[Any]:
    require(request.auth, "customer.write")
    note = services.customer_note_add(
        body=payload.body, author=request.auth, company=selectors.company_get(company_id=company_id)
    )
    return Respond(201, CustomerNoteOut.from_note(note))


@router.get(
    "/{int:company_id}/tickets",
    response={200: TicketPageOut, **PROBLEMS},
    summary="The company's tickets (newest activity first)",
    operation_id="company_tickets_list",
)
def company_tickets(request: ApiRequest, company_id: PathId, query: Query[PageQuery]) -> dict[str, Any]:
    require(request.auth, "ticket.view")
    company = selectors.company_get(company_id=company_id)
    rows, next_cursor = ticket_selectors.ticket_page(
        filters=ticket_selectors.TicketFilters(company=company.pk), cursor=query.cursor, limit=query.limit, summary=True
    )
    return {"items": [TicketOut.from_ticket(t) for t in rows], "next_cursor": next_cursor}
