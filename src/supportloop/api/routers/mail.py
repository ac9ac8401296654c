"""Mail administration: the quarantine (admins only) and the mailbox list. Inbound mail itself arrives at
/mail/inbound/... (see supportloop.mail.urls), not under this API."""
from __future__ import annotations

from datetime import datetime

from django.http import FileResponse, HttpResponse
from ninja import Field, Query, Router, Schema

from supportloop.accounts.permissions import require
from supportloop.api.schemas import PROBLEMS, PathId
from supportloop.core.errors import NotFound
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
    raw_stored_in_file: bool = Field(description="Oversize mail: the row keeps its headers, the whole message is "
                                                 "in file storage. Download either with GET …/{id}/raw.")
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
    last_poll_error: str
    closed_ticket_rule: str
    autoresponder_enabled: bool


@router.get("/quarantine", response={200: QuarantinePageOut, **PROBLEMS}, summary="Quarantined mail, newest first")
def quarantine_list(request, query: Query[QuarantineQuery]):
    require(request.auth, "quarantine.view")
    qs = selectors.quarantine_list(reason=query.reason, released=query.released)
    return {"items": list(qs[query.offset:query.offset + query.limit]), "count": qs.count()}


@router.get("/quarantine/{int:quarantine_id}/raw", response=PROBLEMS, summary="Download a quarantined message",
            openapi_extra={"responses": {"200": {
                "description": "The whole message as received (message/rfc822), also when it is oversize",
                "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}}}}})
def quarantine_raw(request, quarantine_id: PathId):
    require(request.auth, "quarantine.view")
    item = selectors.quarantine_get(quarantine_id=quarantine_id)
    if item is None:
        raise NotFound("No such quarantined message.")
    if item.raw_file:
        response = FileResponse(item.raw_file.open("rb"), content_type="message/rfc822")
    else:
        response = HttpResponse(bytes(item.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="quarantine-{item.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post("/quarantine/{int:quarantine_id}/release", response={200: ReleaseOut, **PROBLEMS},
             summary="Ingest a quarantined message as a ticket anyway")
def quarantine_release(request, quarantine_id: PathId):
    require(request.auth, "mailbox.manage")
    item = selectors.quarantine_list().filter(pk=quarantine_id).first()
    if item is None:
        raise NotFound("No such quarantined message.")
    result = services.quarantine_release(quarantine=item, actor=request.auth)
    return {"outcome": result.outcome, "ticket_id": result.ticket_id}


@router.get("/mailboxes", response={200: list[MailboxOut], **PROBLEMS}, summary="Configured mailboxes")
def mailbox_list(request):
    require(request.auth, "mailbox.manage")
    return list(selectors.mailbox_list())
