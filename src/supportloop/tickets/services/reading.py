"""Per-agent read markers behind the inbox's Unread filter."""

from __future__ import annotations

from django.db import connection
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.tickets.models import Ticket, TicketRead


def ticket_mark_read(*, ticket: Ticket, user: User) -> None:
    """Record that `user` has seen the ticket now: one upsert statement, the one query the ticket page adds (a
    single statement is its own transaction; bulk_create would wrap it in BEGIN/COMMIT, three round trips). Not an
    audited state change (it is the agent's bookkeeping, like a session), so no event."""
    table = connection.ops.quote_name(TicketRead._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, ticket_id, read_at) VALUES (%s, %s, %s) "  # noqa: S608 - our table name
            "ON CONFLICT (user_id, ticket_id) DO UPDATE SET read_at = EXCLUDED.read_at",
            [user.pk, ticket.pk, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
