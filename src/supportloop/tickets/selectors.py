"""Reads of tickets shared by the inbox pages and the API."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Prefetch, Q, QuerySet

from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.tickets.choices import ACTIVE_STATUSES, Status
from supportloop.tickets.models import Message, Ticket, TicketStatusCount


@dataclass
class TicketFilters:
    """One filter definition shared by the inbox page and the API."""

    status: list[str] = field(default_factory=list)
    active: bool | None = None
    assignee: int | None = None
    unassigned: bool = False
    team: int | None = None
    requester: int | None = None
    company: int | None = None
    product_area: int | None = None
    contact_reason: int | None = None
    priority: list[str] = field(default_factory=list)
    tag: str | None = None
    updated_since: datetime | None = None

    def apply(self, qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.status:
            unknown = set(self.status) - set(Status.values)
            if unknown:
                raise ValidationFailed("Unknown status filter.", errors={"status": ", ".join(sorted(unknown))})
            qs = qs.filter(status__in=self.status) if len(self.status) > 1 else qs.filter(status=self.status[0])
        elif self.active:
            qs = qs.filter(status__in=ACTIVE_STATUSES)
        if self.unassigned:
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee is not None:
            qs = qs.filter(assignee_id=self.assignee)
        for name in ("team", "requester", "company", "product_area", "contact_reason"):
            value = getattr(self, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        if self.priority:
            qs = qs.filter(priority__in=self.priority)
        if self.tag:
            qs = qs.filter(tags__name=self.tag.lower())
        if self.updated_since is not None:
            qs = qs.filter(updated_at__gte=self.updated_since)
        return qs


def encode_cursor(updated_at: datetime, pk: int) -> str:
    raw = json.dumps([updated_at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return datetime.fromisoformat(stamp), int(pk)
    except Exception:
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": "malformed"})


def ticket_queryset() -> QuerySet[Ticket]:
    return Ticket.objects.select_related(
        "requester", "company", "assignee", "team", "product_area", "product_feature", "contact_reason")


def ticket_page(*, filters: TicketFilters, cursor: str | None = None, limit: int = 50,
                with_tags: bool = True) -> tuple[list[Ticket], str | None]:
    """One page of tickets, newest activity first, keyset-paginated on (updated_at, id).

    Constant queries whatever the page size: one for the rows, one for their tags.
    """
    qs = filters.apply(ticket_queryset())
    if cursor:
        stamp, pk = decode_cursor(cursor)
        qs = qs.filter(Q(updated_at__lt=stamp) | Q(updated_at=stamp, id__lt=pk))
    qs = qs.order_by("-updated_at", "-id")
    if with_tags:
        qs = qs.prefetch_related("tags")
    rows = list(qs[: limit + 1])
    next_cursor = encode_cursor(rows[limit - 1].updated_at, rows[limit - 1].pk) if len(rows) > limit else None
    return rows[:limit], next_cursor


def ticket_get(*, number: int) -> Ticket:
    try:
        return ticket_queryset().get(number=number)
    except Ticket.DoesNotExist:
        raise NotFound(f"Ticket #{number} does not exist.")


def ticket_detail(*, number: int) -> Ticket:
    """A ticket with its messages (and their authors and attachments) and tags: four queries."""
    messages = Message.objects.select_related("author_user", "author_contact").prefetch_related("attachments")
    try:
        return (ticket_queryset()
                .prefetch_related("tags", Prefetch("messages", queryset=messages.order_by("created_at", "id")))
                .get(number=number))
    except Ticket.DoesNotExist:
        raise NotFound(f"Ticket #{number} does not exist.")


def ticket_status_counts() -> dict[str, int]:
    """Exact counts per status from the rollup table, one query."""
    counts = {s: 0 for s in Status.values}
    counts.update(dict(TicketStatusCount.objects.values_list("status", "count")))
    return counts
