"""Ticket attachments: multipart upload (limit SUPPORTLOOP_MAX_ATTACHMENT_BYTES, else 413) and download."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from ninja import File, Form, Router
from ninja import Status as Respond
from ninja.files import UploadedFile

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS, Id, PathId
from supportloop.api.schemas.tickets import AttachmentOut
from supportloop.tickets import selectors, services
from supportloop.tickets.filenames import content_disposition
from supportloop.tickets.services.tickets import IncomingFile

router = Router(tags=["tickets"])


@router.post(
    "/{int:number}/attachments",
    response={201: list[AttachmentOut], **PROBLEMS},
    summary="Attach files to a message of the ticket (default: its latest message)",
    operation_id="attachment_upload",
)
def attachment_upload(
    request: ApiRequest, number: PathId, files: File[list[UploadedFile]], message_id: Form[Id | None] = None
) -> Respond[Any]:
    require(request.auth, "ticket.update")
    ticket = selectors.ticket_get(number=number)
    if message_id is None:
        message = selectors.message_get(ticket=ticket, message_id=None)
    else:  # a reference in the body, scoped to this ticket: another ticket's message is a 422 naming message_id
        message = selectors.message_ref(ticket=ticket, message_id=message_id)
    incoming = [
        IncomingFile(filename=f.name or "", content=f.read(), content_type=f.content_type or "application/octet-stream")
        for f in files
    ]
    saved = services.attachment_add(message=message, files=incoming, actor=request.auth)
    return Respond(201, [AttachmentOut.from_attachment(a) for a in saved])


@router.get(
    "/{int:number}/attachments/{int:attachment_id}",
    response=PROBLEMS,
    summary="Download an attachment",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The file's bytes, as a download. Declared as application/octet-stream, the "
                "type every client can save; the response's Content-Type header carries the file's own type.",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
    operation_id="attachment_download",
)
def attachment_download(request: ApiRequest, number: PathId, attachment_id: PathId) -> FileResponse:
    require(request.auth, "ticket.view")
    attachment = selectors.attachment_get(number=number, attachment_id=attachment_id)
    response = FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    response["Content-Disposition"] = content_disposition(attachment.filename)  # RFC 6266: any name, exactly
    response["X-Content-Type-Options"] = "nosniff"
    return response
