"""The ticket page's composer as one service: a note, a reply, or a macro's reply, and the status to leave."""

from __future__ import annotations

from django.db import transaction

from supportloop.accounts.models import User
from supportloop.tickets.choices import MessageKind
from supportloop.tickets.models import Macro, Message, Ticket
from supportloop.tickets.services.collab import draft_discard, reply_collision_check
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
    seen_public_message_id: int | None = None,
    hold_seconds: int = 0,
) -> Message | None:
    """Post what the composer holds, in one transaction: a failed status change leaves no reply behind.

    A note never changes the status. A reply from a macro runs the macro's actions, and `status` (the
    composer's "then set status") replaces the macro's own status action. A reply written before the latest
    public message (`seen_public_message_id`, see collab.reply_collision_check) is refused with ReplyCollision;
    `hold_seconds` keeps a reply withdrawable (undo send). Posting deletes the actor's draft.
    """
    message: Message | None
    if kind == MessageKind.NOTE:
        message = ticket_add_note(ticket=ticket, actor=actor, body=body)
    else:
        reply_collision_check(ticket=ticket, seen_public_message_id=seen_public_message_id, actor=actor)
        if macro is not None:
            message = macro_apply(
                macro=macro,
                ticket=ticket,
                actor=actor,
                body_override=body,
                status=status or None,
                hold_seconds=hold_seconds,
            )
        else:
            message = ticket_reply(
                ticket=ticket, actor=actor, body=body, status=status or None, hold_seconds=hold_seconds
            )
    draft_discard(ticket=ticket, user=actor)
    return message
