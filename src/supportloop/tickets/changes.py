"""The changes feed: every ticket, contact and company in the order their last change committed.

Each row carries `change_seq`, set from core.services.change_seq_next() by the service that changed it, in the
same transaction. The counter row stays locked until commit, so sequence order is commit order and a reader
that has seen N has seen everything below N: a client that stores the cursor and asks again later misses
nothing and gets nothing twice except rows changed again since (which come back once, in their new place).
Rows written in bulk without the services (the seeder) have change_seq 0 and come first.
See docs/decisions/0002-changes-feed.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q

from supportloop.core.errors import ValidationFailed
from supportloop.customers.selectors import company_list, contact_list
from supportloop.tickets.models import Message
from supportloop.tickets.selectors import ticket_queryset

KINDS = ("company", "contact", "ticket")  # the rank of a kind orders rows that share a change_seq
_CURSOR = re.compile(r"^([0-9]{1,19})\.([0-2])\.([0-9]{1,19})$")
START = (-1, 0, 0)


@dataclass(frozen=True)
class Change:
    kind: str
    seq: int
    obj: Any

    @property
    def key(self) -> tuple[int, int, int]:
        return self.seq, KINDS.index(self.kind), self.obj.pk


def encode_change_cursor(key: tuple[int, int, int]) -> str:
    return "{:d}.{:d}.{:d}".format(*key) if key[0] >= 0 else ""


def decode_change_cursor(cursor: str | None) -> tuple[int, int, int]:
    if not cursor:
        return START
    match = _CURSOR.fullmatch(cursor)
    if not match:
        raise ValidationFailed(
            "The cursor is not valid; use the next_cursor of a previous page.", errors={"cursor": "malformed"}
        )
    key = int(match[1]), int(match[2]), int(match[3])
    if key[0] >= 2**63 or key[2] >= 2**63:
        raise ValidationFailed("The cursor is out of range.", errors={"cursor": "out of range"})
    return key


def _after(rank: int, key: tuple[int, int, int]) -> Q:
    seq, cursor_rank, pk = key
    if rank < cursor_rank:
        return Q(change_seq__gt=seq)
    if rank == cursor_rank:
        return Q(change_seq__gt=seq) | Q(change_seq=seq, id__gt=pk)
    return Q(change_seq__gte=seq)


def _querysets():
    messages = Message.objects.prefetch_related("attachments").order_by("created_at", "id")
    return {
        "company": company_list(),
        "contact": contact_list(),
        "ticket": ticket_queryset().prefetch_related("tags", Prefetch("messages", queryset=messages)),
    }


def changes_page(*, cursor: str | None = None, limit: int = 100) -> tuple[list[Change], str, bool]:
    """Up to `limit` changed objects after the cursor, oldest change first.

    Returns the changes, the cursor to resume from (the same one when nothing changed) and whether more
    are waiting. Queries: one per kind plus their prefetches, whatever the limit.
    """
    key = decode_change_cursor(cursor)
    found: list[Change] = []
    for rank, (kind, qs) in enumerate(_querysets().items()):
        rows = qs.filter(_after(rank, key)).order_by("change_seq", "id")[: limit + 1]
        found += [Change(kind=kind, seq=row.change_seq, obj=row) for row in rows]
    found.sort(key=lambda c: c.key)
    page, has_more = found[:limit], len(found) > limit
    next_cursor = encode_change_cursor(page[-1].key) if page else (cursor or "")
    return page, next_cursor, has_more
