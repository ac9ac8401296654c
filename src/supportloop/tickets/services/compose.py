"""The ticket page's composer as one service: a note, a reply, or a macro's reply, and the status to leave."""

from __future__ import annotations

from django.db import transaction

from supportloop.accounts.models import User
from supportloop.tickets.choices import MessageKind
from supportloop.tickets.models import Macro, Message, Ticket
from supportloop.tickets.services.macros import macro_apply
from supportloop.tickets.services.tickets import ticket_add_note, ticket_reply


@transaction.atomic
def ticket_compose(
    *,
    ticket: Ticket,
    actor: User,
    kind: str,
    body: str,
    macro: Macro | None = None,
    status: str | None = None,
) -> Message | None:
    """Post what the composer holds, in one transaction: a failed status change leaves no reply behind.

    A note never changes the status. A reply from a macro runs the macro's actions, and `status` (the
    composer's "then set status") replaces the macro's own status action.
    """
    if kind == MessageKind.NOTE:
        return ticket_add_note(ticket=ticket, actor=actor, body=body)
    if macro is not None:
        return macro_apply(macro=macro, ticket=ticket, actor=actor, body_override=body, status=status or None)
    return ticket_reply(ticket=ticket, actor=actor, body=body, status=status or None)
