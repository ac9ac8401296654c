"""Contacts: list with filters, create, read, update, internal notes, and the contact's tickets."""

from __future__ import annotations

from typing import Any

from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn, UtcDatetime
from supportloop.api.schemas.customers import ContactOut, CustomerNoteIn, CustomerNoteOut, PageQuery
from supportloop.api.schemas.tickets import TicketOut, TicketPageOut
from supportloop.customers import selectors, services
from supportloop.customers.models import Company
from supportloop.tickets import selectors as ticket_selectors

router = Router(tags=["contacts"])


class ContactListQuery(PageQuery):
    company: Id | None = None
    email: str | None = Field(None, max_length=254)
    q: str | None = Field(None, max_length=200, description="part of the name")
    updated_since: UtcDatetime | None = None


class ContactPageOut(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class ContactCreateIn(StrictIn):
    name: str = Field("", max_length=200)
    emails: list[str] = Field(..., min_length=1, max_length=20)
    company_id: Id | None = Field(None, description="default: matched by the first email's domain")
    language: str = Field("", max_length=10)
    attributes: dict[str, Any] = Field(default_factory=dict)


class ContactUpdateIn(StrictIn):
    name: str | None = Field(None, max_length=200)
    emails: list[str] | None = Field(None, min_length=1, max_length=20)
    company_id: Id | None = None
    language: str | None = Field(None, max_length=10)
    attributes: dict[str, Any] | None = None


def _company(company_id: int | None) -> Company | None:
    if company_id is None:
        return None
    return selectors.company_get_ref(company_id=company_id)


@router.get(
    "", response={200: ContactPageOut, **PROBLEMS}, summary="List contacts (newest first)", operation_id="contacts_list"
)
def contact_list(request: ApiRequest, query: Query[ContactListQuery]) -> dict[str, Any]:
    require(request.auth, "customer.view")
    filters = selectors.ContactFilters(
        company=query.company, email=query.email, q=query.q, updated_since=query.updated_since
    )
    rows, next_cursor = selectors.contact_page(filters=filters, cursor=query.cursor, limit=query.limit)
    return {"items": [ContactOut.from_contact(c) for c in rows], "next_cursor": next_cursor}


@router.post(
    "",
    response={201: ContactOut, **PROBLEMS},
    summary="Create a contact (409 if an email is taken)",
    operation_id="contact_create",
)
def contact_create(request: ApiRequest, payload: ContactCreateIn) -> Respond[Any]:
    require(request.auth, "customer.write")
    contact = services.contact_create(
        name=payload.name,
        emails=payload.emails,
        language=payload.language,
        company=_company(payload.company_id),
        attributes=payload.attributes,
        actor=request.auth,
    )
    return Respond(201, ContactOut.from_contact(selectors.contact_get(contact_id=contact.pk)))


@router.get(
    "/{int:contact_id}", response={200: ContactOut, **PROBLEMS}, summary="Read a contact", operation_id="contact_get"
)
def contact_read(request: ApiRequest, contact_id: PathId) -> dict[str, Any]:
    require(request.auth, "customer.view")
    return ContactOut.from_contact(selectors.contact_get(contact_id=contact_id))


@router.patch(
    "/{int:contact_id}",
    response={200: ContactOut, **PROBLEMS},
    summary="Update a contact",
    operation_id="contact_update",
)
def contact_update(request: ApiRequest, contact_id: PathId, payload: ContactUpdateIn) -> dict[str, Any]:
    require(request.auth, "customer.write")
    data = payload.model_dump(exclude_unset=True)
    if "company_id" in data:
        data["company"] = _company(data.pop("company_id"))
    services.contact_update(contact=selectors.contact_get(contact_id=contact_id), actor=request.auth, **data)
    return ContactOut.from_contact(selectors.contact_get(contact_id=contact_id))


@router.get(
    "/{int:contact_id}/notes",
    response={200: list[CustomerNoteOut], **PROBLEMS},
    summary="Internal notes",
    operation_id="contact_notes_list",
)
def contact_notes(request: ApiRequest, contact_id: PathId) -> list[Any]:
    require(request.auth, "customer.view")
    contact = selectors.contact_get(contact_id=contact_id)
    return [CustomerNoteOut.from_note(n) for n in selectors.customer_notes(contact=contact)]


@router.post(
    "/{int:contact_id}/notes",
    response={201: CustomerNoteOut, **PROBLEMS},
    summary="Add an internal note",
    operation_id="contact_note_add",
)
def contact_note_add(request: ApiRequest, contact_id: PathId, payload: CustomerNoteIn) -> Respond[Any]:
    require(request.auth, "customer.write")
    note = services.customer_note_add(
        body=payload.body, author=request.auth, contact=selectors.contact_get(contact_id=contact_id)
    )
    return Respond(201, CustomerNoteOut.from_note(note))


@router.get(
    "/{int:contact_id}/tickets",
    response={200: TicketPageOut, **PROBLEMS},
    summary="The contact's tickets (newest activity first)",
    operation_id="contact_tickets_list",
)
def contact_tickets(request: ApiRequest, contact_id: PathId, query: Query[PageQuery]) -> dict[str, Any]:
    require(request.auth, "ticket.view")
    contact = selectors.contact_get(contact_id=contact_id)
    rows, next_cursor = ticket_selectors.ticket_page(
        filters=ticket_selectors.TicketFilters(requester=contact.pk),
        cursor=query.cursor,
        limit=query.limit,
        summary=True,
    )
    return {"items": [TicketOut.from_ticket(t) for t in rows], "next_cursor": next_cursor}
