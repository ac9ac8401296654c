"""Search: one endpoint over tickets, contacts, companies and feedback items, in the query language of
search/query.py. The engine (search/engine.py) checks the role and raises QueryError, a 422 problem naming the
offending token in `token` and `errors.q`."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ninja import Field, Query, Router, Schema

from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.common import choices_of
from supportloop.core.indexing import KINDS
from supportloop.search import engine

router = Router(tags=["search"])

if TYPE_CHECKING:
    Kind = str
else:
    Kind = choices_of(KINDS)  # from core.indexing: the kinds the engine indexes


class SearchParams(Schema):
    q: str = Field(
        ...,
        max_length=20_000,  # the parser refuses anything over search.query.MAX_QUERY_CHARS with a clear message
        description='Query language: words, "phrases", -word, filters such as status:open assignee:me '
        "from:acme.com created:>2026-10-01 updated:<7d (see the README).",
    )
    type: Kind = "ticket"
    cursor: str | None = Field(None, max_length=64, description="next_cursor of the previous page")
    limit: int = Field(engine.PAGE_SIZE, ge=1, le=50)


class SearchHitOut(Schema):
    kind: Kind
    id: int = Field(..., description="ticket number, contact id, company id or feedback item id")
    title: str = Field(..., description="subject, name or title")
    excerpt_html: str = Field(..., description="escaped text around the match, the matched words in <mark>")
    rank: float
    status: str | None = None
    email: str | None = None
    updated_at: datetime | None = None


class SearchPageOut(Schema):
    items: list[SearchHitOut]
    next_cursor: str | None


def _hit(hit: engine.Hit) -> dict:
    obj = hit.obj
    row = {"kind": hit.kind, "title": hit.title, "excerpt_html": str(hit.excerpt), "rank": hit.rank}
    if hit.kind == "ticket":
        return {**row, "id": obj.number, "status": obj.status, "updated_at": obj.updated_at}
    if hit.kind == "contact":
        emails = list(obj.emails.all())
        return {**row, "id": obj.pk, "email": emails[0].email if emails else None, "updated_at": obj.updated_at}
    if hit.kind == "company":
        return {**row, "id": obj.pk, "updated_at": obj.updated_at}
    return {**row, "id": obj.pk, "status": obj.status, "updated_at": obj.updated_at}


@router.get(
    "",
    response={200: SearchPageOut, **PROBLEMS},
    summary="Search tickets, contacts, companies or feedback items, best match first",
    operation_id="search",
)
def search(request, query: Query[SearchParams]):
    page = engine.search(user=request.auth, q=query.q, kind=query.type, cursor=query.cursor, limit=query.limit)
    return {"items": [_hit(h) for h in page.hits], "next_cursor": page.next_cursor}
