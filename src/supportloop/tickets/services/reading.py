"""Per-agent read markers behind the inbox's Unread filter."""

from __future__ import annotations

from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.tickets.models import Ticket, TicketRead


def ticket_mark_read(*, ticket: Ticket, user: User) -> None:
    """Record that `user` has seen the ticket now: one upsert, the one query the ticket page adds. Not an
    audited state change (it is the agent's bookkeeping, like a session), so no event."""
    TicketRead.objects.bulk_create(
        [TicketRead(user=user, ticket=ticket, read_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "ticket"],
        update_fields=["read_at"],
    )
