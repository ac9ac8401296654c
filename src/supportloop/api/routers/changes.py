"""The incremental export: every changed ticket, contact and company in commit order, resumable by cursor."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from supportloop.accounts.permissions import require
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.customers import CompanyOut, ContactOut
from supportloop.api.schemas.tickets import MessageOut, TicketDetailOut, TicketOut
from supportloop.tickets.changes import changes_page

router = Router(tags=["changes"])


class ChangesQuery(Schema):
    cursor: str | None = Field(None, max_length=64, description="next_cursor of the previous page; omit to start")
    limit: int = Field(100, ge=1, le=500)


class ChangeOut(Schema):
    kind: Literal["company", "contact", "ticket"]
    seq: int
    id: int = Field(..., description="company id, contact id or ticket number")
    company: CompanyOut | None = None
    contact: ContactOut | None = None
    ticket: TicketDetailOut | None = None


class ChangesPageOut(Schema):
    items: list[ChangeOut]
    next_cursor: str = Field(..., description="store it and pass it next time; unchanged when nothing is new")
    has_more: bool


def _item(change) -> dict:
    obj = change.obj
    if change.kind == "company":
        return {"kind": "company", "seq": change.seq, "id": obj.pk, "company": CompanyOut.from_company(obj)}
    if change.kind == "contact":
        return {"kind": "contact", "seq": change.seq, "id": obj.pk, "contact": ContactOut.from_contact(obj)}
    ticket = TicketOut.from_ticket(obj)
    ticket["messages"] = [MessageOut.from_message(m) for m in obj.messages.all()]
    return {"kind": "ticket", "seq": change.seq, "id": obj.number, "ticket": ticket}


@router.get(
    "",
    response={200: ChangesPageOut, **PROBLEMS},
    summary="Changed tickets, contacts and companies since a cursor, oldest change first",
    operation_id="changes_list",
)
def changes(request: ApiRequest, query: Query[ChangesQuery]) -> dict[str, Any]:
    require(request.auth, "changes.view")
    page, next_cursor, has_more = changes_page(cursor=query.cursor, limit=query.limit)
    return {"items": [_item(c) for c in page], "next_cursor": next_cursor, "has_more": has_more}
