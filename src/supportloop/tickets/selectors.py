"""Reads of tickets shared by the inbox pages and the API."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import overload

from django.db.models import Prefetch, Q, QuerySet

from supportloop.accounts.models import User
from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.core.lookup import object_or_404, reference_or_422
from supportloop.tickets.choices import Status
from supportloop.tickets.filters import TicketFilters as TicketFilters  # re-exported: pages and routers import it here
from supportloop.tickets.models import BulkChange, Draft, Message, Ticket, TicketStatusCount
from supportloop.tickets.taxonomy_index import TaxonomyIterable

# The ticket-list filters live in tickets/filters.py (one definition for the inbox page and the API).


def encode_cursor(updated_at: datetime, pk: int) -> str:
    raw = json.dumps([updated_at.isoformat(), pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, pk = json.loads(base64.urlsafe_b64decode(padded.encode()))
        stamp, pk = datetime.fromisoformat(stamp), int(pk)
        if not 0 <= pk < 2**63 or stamp.tzinfo is None:
            raise ValueError("out of range")
        return stamp, pk
    except Exception:  # noqa: BLE001 - whatever a hostile cursor breaks (even RecursionError from deep JSON) is a 422
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": "malformed"}) from None


def ticket_queryset() -> QuerySet[Ticket]:
    """Tickets with requester, company, assignee and team joined and the taxonomy attached from its index.

    Four joins, not seven: see tickets/taxonomy_index.py for the planning cost that this avoids.
    """
    qs = Ticket.objects.select_related("requester", "company", "assignee", "team")
    qs._iterable_class = TaxonomyIterable
    return qs


# What a list row of the API shows (api/routers/tickets.py TicketOut): every ticket column the row reads, and
# of the related rows only the requester's name; company, assignee and team are shown by id.
SUMMARY_FIELDS = (
    "number",
    "subject",
    "status",
    "priority",
    "channel",
    "requester_id",
    "requester__name",
    "company_id",
    "assignee_id",
    "team_id",
    "product_area_id",
    "product_feature_id",
    "contact_reason_id",
    "language",
    "followers",
    "created_at",
    "updated_at",
    "first_response_at",
    "solved_at",
    "public_reply_count",
    "message_count",
)


def ticket_summary_queryset() -> QuerySet[Ticket]:
    """Tickets for a summary list: one join (the requester) and only SUMMARY_FIELDS. A list of 50 then builds
    100 model instances instead of 250 and converts 200 timestamps instead of ~600 (benchmarks/RESULTS.md)."""
    qs = Ticket.objects.select_related("requester").only(*SUMMARY_FIELDS)
    qs._iterable_class = TaxonomyIterable
    return qs


def ticket_page(
    *, filters: TicketFilters, cursor: str | None = None, limit: int = 50, with_tags: bool = True, summary: bool = False
) -> tuple[list[Ticket], str | None]:
    """One page of tickets, newest activity first, keyset-paginated on (updated_at, id).

    Constant queries whatever the page size: one for the rows, one for their tags. `summary`: the lean rows
    of ticket_summary_queryset (reading another related object would cost a query per row).
    """
    qs = filters.apply(ticket_summary_queryset() if summary else ticket_queryset())
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
    return object_or_404(ticket_queryset(), number=number)


def ticket_to_write(*, number: int) -> Ticket:
    """The ticket a reply or note service is handed by number, without a query: an unsaved instance that
    carries only the number. The service locks and reads the row by it (`ticket_locked`: 404 if none), so the
    request reads the ticket once."""
    return Ticket(number=number)


def ticket_ref(*, number: int | None, field: str = "ticket_number") -> Ticket | None:
    """A ticket named by number in a request body (None stays None): unknown is a 422 on `field`."""
    if number is None:
        return None
    return reference_or_422(Ticket.objects.select_related("requester__company"), field, number, key="number")


def ticket_detail(*, number: int) -> Ticket:
    """A ticket with its messages (and their authors and attachments) and tags: four queries."""
    messages = Message.objects.select_related("author_user", "author_contact").prefetch_related("attachments")
    qs = ticket_queryset().prefetch_related(
        "tags", Prefetch("messages", queryset=messages.order_by("created_at", "id"))
    )
    return object_or_404(qs, number=number)


def ticket_status_counts() -> dict[str, int]:
    """Exact counts per status from the rollup table, one query."""
    counts = dict.fromkeys(Status.values, 0)
    counts.update(dict(TicketStatusCount.objects.values_list("status", "count")))
    return counts


# --- taxonomy, macros and attachments for the API -------------------------------------------------------

from supportloop.tickets.models import (  # noqa: E402
    Attachment,
    ContactReason,
    Macro,
    ProductArea,
    ProductFeature,
)


def product_areas_with_features() -> QuerySet[ProductArea]:
    """Every product area with its features: two queries."""
    return ProductArea.objects.prefetch_related(
        Prefetch("features", queryset=ProductFeature.objects.order_by("position", "name"))
    ).order_by("position", "name")


def product_area_get(*, area_id: int) -> ProductArea:
    return object_or_404(product_areas_with_features(), pk=area_id)


def product_feature_get(*, feature_id: int) -> ProductFeature:
    return object_or_404(ProductFeature.objects.select_related("area"), pk=feature_id)


def contact_reason_list() -> QuerySet[ContactReason]:
    return ContactReason.objects.order_by("position", "name")


def contact_reason_get(*, reason_id: int) -> ContactReason:
    return object_or_404(contact_reason_list(), pk=reason_id)


def macro_list(*, active: bool | None = None) -> QuerySet[Macro]:
    qs = Macro.objects.order_by("name")
    return qs if active is None else qs.filter(is_active=active)


def macro_get(*, macro_id: int) -> Macro:
    return object_or_404(Macro.objects.all(), pk=macro_id)


def attachment_get(*, number: int, attachment_id: int) -> Attachment:
    """An attachment, scoped by its ticket's number so ids cannot be probed across tickets."""
    return object_or_404(
        Attachment.objects.select_related("message").filter(message__ticket__number=number), pk=attachment_id
    )


def messages_of(*, ticket: Ticket) -> QuerySet[Message]:
    """The ticket's messages, latest first: the scope in which a message id sent with this ticket is looked up."""
    return (
        Message.objects.filter(ticket=ticket).select_related("ticket", "author_contact").order_by("-created_at", "-id")
    )


def message_get(*, ticket: Ticket, message_id: int | None) -> Message:
    """One message of a ticket; None means the ticket's latest message."""
    if message_id is None:
        latest = messages_of(ticket=ticket).first()
        if latest is None:
            raise NotFound("This ticket has no message.")
        return latest
    return object_or_404(messages_of(ticket=ticket), pk=message_id)


@overload
def message_ref(*, ticket: Ticket | None, message_id: int, field: str = "message_id") -> Message: ...
@overload
def message_ref(*, ticket: Ticket | None, message_id: None, field: str = "message_id") -> None: ...
@overload
def message_ref(*, ticket: Ticket | None, message_id: int | None, field: str = "message_id") -> Message | None: ...
def message_ref(*, ticket: Ticket | None, message_id: int | None, field: str = "message_id") -> Message | None:
    """A message named in a request body (None stays None), of *this* ticket when there is one: another
    ticket's message is a 422 on `field`, exactly like a message that does not exist."""
    if message_id is None:
        return None
    qs = (
        messages_of(ticket=ticket) if ticket is not None else Message.objects.select_related("ticket", "author_contact")
    )
    return reference_or_422(qs, field, message_id)


def product_area_ref(*, area_id: int, field: str = "area_id") -> ProductArea:
    """An area named in a request body: unknown is a 422 on that field."""
    return reference_or_422(ProductArea.objects.all(), field, area_id)


# --- reads of the pages ------------------------------------------------------------------------------------


def ticket_messages(*, ticket: Ticket) -> QuerySet[Message]:
    """The messages of one ticket: the scope in which a message id from a form is looked up."""
    return Message.objects.filter(ticket=ticket)


def ticket_first_reply(*, ticket: Ticket) -> Message | None:
    """The ticket's first public message (the customer's report, usually), or None."""
    return ticket_messages(ticket=ticket).filter(kind="reply").order_by("created_at", "id").first()


def ticket_attachments(*, ticket: Ticket, limit: int = 50) -> list[Attachment]:
    """Attachments on any message of the ticket, oldest first."""
    return list(Attachment.objects.filter(message__ticket=ticket).order_by("id")[:limit])


def macro_search(*, q: str = "", limit: int = 8) -> list[Macro]:
    """Active macros whose name contains `q`, the most used first (the composer's type-to-search)."""
    macros = macro_list(active=True)
    if q:
        macros = macros.filter(name__icontains=q)
    return list(macros.order_by("-usage_count", "name")[:limit])


def product_area_list(*, active: bool | None = None) -> QuerySet[ProductArea]:
    qs = ProductArea.objects.all()
    return qs if active is None else qs.filter(is_active=active)


def product_feature_list() -> QuerySet[ProductFeature]:
    return ProductFeature.objects.all()


def contact_reasons(*, active: bool | None = None) -> QuerySet[ContactReason]:
    qs = ContactReason.objects.all()
    return qs if active is None else qs.filter(is_active=active)


def bulk_changes_by(*, actor: User) -> QuerySet[BulkChange]:
    """The bulk changes a user made: the scope in which an undo looks one up (only its author may undo it)."""
    return BulkChange.objects.filter(actor=actor)


def ticket_drafts(*, ticket_id: int) -> list[Draft]:
    """Every agent's draft on a ticket, with its author: one query (the ticket page's own and others')."""
    return list(Draft.objects.filter(ticket_id=ticket_id).select_related("user").order_by("-updated_at"))


def draft_ticket_numbers(*, user_id: int, numbers: list[int]) -> set[int]:
    """Which of these tickets hold a draft of the user (the inbox rows' "Draft" mark)."""
    return set(
        Draft.objects.filter(user_id=user_id, ticket__number__in=numbers).values_list("ticket__number", flat=True)
    )
