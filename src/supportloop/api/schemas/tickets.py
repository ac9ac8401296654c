"""Schemas of tickets, their messages, attachments and audit events."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ninja import Field, Schema
from pydantic import BaseModel

from supportloop.api.schemas.common import Id, StrictIn, choices_of
from supportloop.core.models import Event
from supportloop.tickets.choices import AuthorType, Channel, Priority, Status
from supportloop.tickets.filters import TicketListParams
from supportloop.tickets.models import Attachment, Message, Ticket

if TYPE_CHECKING:  # mypy cannot build a Literal at run time: for it, a value is a str
    StatusT = str
    PriorityT = str
    ChannelT = str
    CreateAuthorT = str
else:  # pydantic and the OpenAPI document get the Literal of the choices
    StatusT = choices_of(Status)
    PriorityT = choices_of(Priority)
    ChannelT = choices_of(Channel)
    CreateAuthorT = choices_of(AuthorType, exclude=[AuthorType.SYSTEM])  # the API speaks for a contact or an agent


# A plain pydantic model, not a ninja Schema: rows are built as dicts by from_ticket, and Schema's validator
# wraps every input in a getter for ORM objects, 3-4 ms per page of 50 (a comment: a docstring would become
# the schema's public description).
class TicketOut(BaseModel):
    number: int
    subject: str
    status: str
    priority: str
    channel: str
    requester_id: int
    requester_name: str
    company_id: Id | None
    assignee_id: Id | None
    team_id: Id | None
    product_area: str | None
    product_feature: str | None
    contact_reason: str | None
    tags: list[str]
    language: str
    followers: list[str]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    public_reply_count: int
    message_count: int

    @classmethod
    def from_ticket(cls, t: Ticket, *, tags: list[str] | None = None) -> dict:
        """`tags`: the tag names when the caller has them (a ticket just created), instead of a query."""
        return {
            "number": t.number,
            "subject": t.subject,
            "status": t.status,
            "priority": t.priority,
            "channel": t.channel,
            "requester_id": t.requester_id,
            "requester_name": t.requester.name,
            "company_id": t.company_id,
            "assignee_id": t.assignee_id,
            "team_id": t.team_id,
            "product_area": t.product_area.slug if t.product_area else None,
            "product_feature": t.product_feature.slug if t.product_feature else None,
            "contact_reason": t.contact_reason.slug if t.contact_reason else None,
            "tags": sorted(tags if tags is not None else (tag.name for tag in t.tags.all())),
            "language": t.language,
            "followers": t.followers,
            "created_at": t.created_at,
            "updated_at": t.updated_at,
            "first_response_at": t.first_response_at,
            "solved_at": t.solved_at,
            "public_reply_count": t.public_reply_count,
            "message_count": t.message_count,
        }


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int

    @classmethod
    def from_attachment(cls, a: Attachment) -> dict:
        return {"id": a.pk, "filename": a.filename, "content_type": a.content_type, "size": a.size}


class MessageOut(Schema):
    id: int
    kind: str
    author_type: str
    author_user_id: int | None
    author_contact_id: int | None
    channel: str
    body_text: str
    body_html: str
    cc: list[str]
    delivery_status: str
    created_at: datetime
    attachments: list[AttachmentOut]

    @classmethod
    def from_message(cls, m: Message, *, attachments: list[Attachment] | None = None) -> dict:
        """`attachments`: the message's attachments when the caller has them, instead of a query."""
        return {
            "id": m.pk,
            "kind": m.kind,
            "author_type": m.author_type,
            "author_user_id": m.author_user_id,
            "author_contact_id": m.author_contact_id,
            "channel": m.channel,
            "body_text": m.body_text,
            "body_html": m.body_html,
            "cc": m.cc,
            "delivery_status": m.delivery_status,
            "created_at": m.created_at,
            "attachments": [
                AttachmentOut.from_attachment(a)
                for a in (attachments if attachments is not None else m.attachments.all())
            ],
        }


class TicketDetailOut(TicketOut):
    messages: list[MessageOut]


class TicketPageOut(BaseModel):
    items: list[TicketOut]
    next_cursor: str | None


class TicketListQuery(TicketListParams):
    """The ticket-list filters (tickets/filters.py, shared with the inbox page) and a keyset page."""

    cursor: str | None = None
    limit: int = Field(50, ge=1, le=200)


class TicketCreateIn(StrictIn):
    subject: str = Field(..., max_length=500)
    body: str = ""
    body_html: str = ""
    requester_email: str = Field(..., max_length=254)
    requester_name: str = Field("", max_length=200)
    channel: ChannelT = Channel.API
    priority: PriorityT = Priority.NORMAL
    status: StatusT = Status.NEW
    author: CreateAuthorT = AuthorType.CONTACT
    assignee_id: Id | None = None
    team_id: Id | None = None
    product_feature: str | None = Field(None, description="slug")
    contact_reason: str | None = Field(None, description="slug")
    tags: list[str] = Field(default_factory=list, max_length=50)
    language: str = Field("", max_length=10)
    followers: list[str] = Field(default_factory=list, max_length=50)
    external_id: str | None = Field(
        None, max_length=500, description="Idempotency key: a second create with the same id is refused with 409."
    )


class TicketUpdateIn(StrictIn):
    subject: str | None = Field(None, max_length=500)
    status: StatusT | None = None
    priority: PriorityT | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None
    product_feature: str | None = None
    contact_reason: str | None = None
    tags: list[str] | None = Field(None, max_length=50)
    language: str | None = Field(None, max_length=10)
    followers: list[str] | None = Field(None, max_length=50)


class ReplyIn(StrictIn):
    body: str = ""
    body_html: str = ""
    status: StatusT | None = None
    cc: list[str] | None = Field(None, max_length=50)


class NoteIn(StrictIn):
    body: str = ""
    body_html: str = ""


class MacroApplyIn(StrictIn):
    macro_id: Id
    send: bool = True


class EventOut(Schema):
    id: int
    created_at: datetime
    actor_id: int | None
    actor_label: str
    verb: str
    changes: dict

    @classmethod
    def from_event(cls, e: Event) -> dict:
        return {
            "id": e.pk,
            "created_at": e.created_at,
            "actor_id": e.actor_id,
            "actor_label": e.actor_label,
            "verb": e.verb,
            "changes": e.changes,
        }
