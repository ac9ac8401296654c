"""Mail administration: the quarantine (admins only) and the mailbox list. Inbound mail itself arrives at
/mail/inbound/... (see supportloop.mail.urls), not under this API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import FileResponse, HttpResponse
from django.http.response import HttpResponseBase
from ninja import Field, Query, Router, Schema

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId, StrictIn
from supportloop.core.lookup import object_or_404
from supportloop.customers import selectors as customer_selectors
from supportloop.mail import selectors, services

router = Router(tags=["mail"])


class QuarantineOut(Schema):
    id: int
    mailbox_id: int | None
    reason: str
    detail: str
    source: str
    message_key: str
    sender: str
    subject: str
    raw_size: int
    raw_stored_in_file: bool = Field(
        description="Oversize mail: the row keeps its headers, the whole message is "
        "in file storage. Download either with GET …/{id}/raw."
    )
    created_at: datetime
    released_at: datetime | None
    released_ticket_id: int | None

    @staticmethod
    def resolve_raw_stored_in_file(obj) -> bool:
        return bool(obj.raw_file)


class QuarantinePageOut(Schema):
    items: list[QuarantineOut]
    count: int


class QuarantineQuery(Schema):
    reason: str | None = Field(None, max_length=20)
    released: bool | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class ReleaseIn(StrictIn):
    contact_id: Id | None = Field(
        None,
        description="Release as this contact's message (for mail without a "
        "usable sender); default: the message's sender.",
    )


class InboundMailOut(Schema):
    id: int
    message_key: str
    mailbox_id: int | None
    source: str
    imap_uid: int | None
    sender: str
    subject: str
    outcome: str
    automatic: str
    note: str
    content_digest: str
    auth_verdict: str
    auth_summary: str
    ticket_id: int | None
    message_id: int | None
    quarantine_id: int | None
    received_at: datetime


class InboundMailPageOut(Schema):
    items: list[InboundMailOut]
    count: int


class InboundMailQuery(Schema):
    outcome: str | None = Field(None, max_length=12)
    sender: str | None = Field(None, max_length=320)
    message_key: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class ReleaseOut(Schema):
    outcome: str
    ticket_id: int | None


class MailboxOut(Schema):
    id: int
    name: str
    address: str
    is_active: bool
    imap_host: str
    imap_folder: str
    last_polled_at: datetime | None
    last_poll_ok_at: datetime | None
    last_poll_error: str
    closed_ticket_rule: str
    autoresponder_enabled: bool


@router.get(
    "/quarantine",
    response={200: QuarantinePageOut, **PROBLEMS},
    summary="Quarantined mail, newest first",
    operation_id="quarantine_list",
)
def quarantine_list(request: ApiRequest, query: Query[QuarantineQuery]) -> dict[str, Any]:
    require(request.auth, "quarantine.view")
    qs = selectors.quarantine_list(reason=query.reason, released=query.released)
    return {"items": list(qs[query.offset : query.offset + query.limit]), "count": qs.count()}


@router.get(
    "/quarantine/{int:quarantine_id}/raw",
    response=PROBLEMS,
    summary="Download a quarantined message",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The whole message as received (message/rfc822), also when it is oversize",
                "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    operation_id="quarantine_raw_download",
)
def quarantine_raw(request: ApiRequest, quarantine_id: PathId) -> HttpResponseBase:
    require(request.auth, "quarantine.view")
    item = selectors.quarantine_get(quarantine_id=quarantine_id)
    response: HttpResponseBase
    if item.raw_file:
        response = FileResponse(item.raw_file.open("rb"), content_type="message/rfc822")
    else:
        response = HttpResponse(bytes(item.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="quarantine-{item.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/quarantine/{int:quarantine_id}/release",
    response={200: ReleaseOut, **PROBLEMS},
    summary="Ingest a quarantined message as a ticket anyway, optionally as a chosen contact's",
    operation_id="quarantine_release",
)
def quarantine_release(request: ApiRequest, quarantine_id: PathId, payload: ReleaseIn | None = None) -> dict[str, Any]:
    require(request.auth, "mailbox.manage")
    item = object_or_404(selectors.quarantine_list(), label="quarantined message", pk=quarantine_id)
    contact = customer_selectors.contact_ref(contact_id=payload.contact_id if payload is not None else None)
    result = services.quarantine_release(quarantine=item, actor=request.auth, contact=contact)
    return {"outcome": result.outcome, "ticket_id": result.ticket_id}


@router.get(
    "/inbound",
    response={200: InboundMailPageOut, **PROBLEMS},
    summary="The ingest ledger, newest first: every message received, and every copy skipped and why",
    operation_id="inbound_list",
)
def inbound_list(request: ApiRequest, query: Query[InboundMailQuery]) -> dict[str, Any]:
    require(request.auth, "quarantine.view")
    qs = selectors.inbound_list(outcome=query.outcome, sender=query.sender, message_key=query.message_key)
    return {"items": list(qs[query.offset : query.offset + query.limit]), "count": qs.count()}


@router.get(
    "/mailboxes",
    response={200: list[MailboxOut], **PROBLEMS},
    summary="Configured mailboxes",
    operation_id="mailboxes_list",
)
def mailbox_list(request: ApiRequest) -> list[Any]:
    require(request.auth, "mailbox.manage")
    return list(selectors.mailbox_list())
