"""Working together on a ticket: composer drafts, the check that nobody replied since the composer opened, and
undo send (withdrawing a held reply back into a draft).

Drafts are an agent's own unsent scratch text, saved every few seconds while typing: like a session they are not
workspace state, so saving or discarding one writes no audit event (the timeline would fill with keystrokes).
Sending a reply and withdrawing it are state changes and are audited. Presence (who is viewing) is in
tickets/presence.py and lives in the cache only.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportloop.accounts.models import User
from supportloop.core.errors import Conflict
from supportloop.core.indexing import TICKET, index_changed
from supportloop.core.services import change_seq_next, event_record
from supportloop.tickets.choices import AuthorType, Direction, MessageKind
from supportloop.tickets.hooks import WITHDRAWN_REPLY_AT, TicketEvent, TicketEventKind, ticket_event_emit
from supportloop.tickets.models import Draft, Message, Ticket
from supportloop.tickets.services.tickets import REPLY_FIELDS, message_preview

DRAFT_MAX_CHARS = 100_000  # the composer's own limit


class ReplyCollision(Conflict):
    """A public message arrived after the composer was opened: the reply is held, not sent."""

    type_slug = "reply-collision"


def undo_send_seconds() -> int:
    """The undo-send delay for replies from the ticket page (0: none)."""
    return max(0, int(getattr(settings, "SUPPORTLOOP_UNDO_SEND_SECONDS", 0)))


def draft_save(*, ticket: Ticket, user: User, body: str, kind: str = MessageKind.REPLY) -> Draft | None:
    """Keep `user`'s composer text on `ticket` (one draft per ticket and user). Blank text deletes the draft."""
    if not body.strip():
        draft_discard(ticket=ticket, user=user)
        return None
    kind = kind if kind in MessageKind.values else MessageKind.REPLY
    draft, _created = Draft.objects.update_or_create(
        ticket=ticket,
        user=user,
        defaults={"body": body[:DRAFT_MAX_CHARS], "kind": kind, "updated_at": timezone.now()},
    )
    return draft


def draft_discard(*, ticket: Ticket, user: User) -> None:
    """Forget `user`'s draft on `ticket` (sent or thrown away); nothing happens when there is none."""
    Draft.objects.filter(ticket=ticket, user=user).delete()


def reply_collision_check(*, ticket: Ticket, seen_public_message_id: int | None, actor: User) -> None:
    """Refuse a reply written on a page that did not show the latest public message (someone answered, or the
    customer wrote again, since the composer opened). `seen_public_message_id` is the newest public message the
    page showed (0 when it showed none); None skips the check (callers without a page, such as the API)."""
    if seen_public_message_id is None:
        return
    newer = (
        Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY, pk__gt=seen_public_message_id)
        .select_related("author_user", "author_contact")
        .order_by("-pk")
        .first()
    )
    if newer is None:
        return
    if newer.author_user is not None:
        who = newer.author_user.display_name
    elif newer.author_contact is not None:
        who = newer.author_contact.name or str(newer.author_contact)
    else:
        who = _("System")
    raise ReplyCollision(
        _("%(who)s wrote a new public message after you opened this ticket.") % {"who": who},
        extra={"message_id": newer.pk, "author": who},
    )


# What a withdrawal puts back: what the reply wrote but the status (a status the reply set stays).
WITHDRAW_FIELDS = [f for f in REPLY_FIELDS if f not in ("status", "solved_at")]


def _row_without_withdrawn_reply(ticket: Ticket, changes: dict[str, list[Any]]) -> None:
    """Put back what the withdrawn (already deleted) reply changed on the inbox row: the preview of the newest
    public message left, and since when the customer waits (their first message after the last agent reply
    left; the withdrawn reply had answered them)."""
    public = Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY)
    newest = public.order_by("-created_at", "-id").values("author_type", "author_user_id", "body_text").first()
    if newest is None:
        ticket.last_message_preview, ticket.last_message_direction, ticket.last_message_author_id = "", "", None
    else:
        by_agent = newest["author_type"] == AuthorType.AGENT
        ticket.last_message_preview = message_preview(newest["body_text"])
        ticket.last_message_direction = Direction.OUT if by_agent else Direction.IN
        ticket.last_message_author_id = newest["author_user_id"] if by_agent else None
    answered = (
        public.filter(author_type=AuthorType.AGENT)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    unanswered = public.exclude(author_type=AuthorType.AGENT)
    if answered is not None:
        unanswered = unanswered.filter(created_at__gt=answered)
    waiting_since = unanswered.order_by("created_at", "id").values_list("created_at", flat=True).first()
    if waiting_since != ticket.waiting_since:
        changes["waiting_since"] = [ticket.waiting_since, waiting_since]
        ticket.waiting_since = waiting_since


@transaction.atomic
def reply_withdraw(*, message: Message, actor: User) -> Draft | None:
    """Undo send: pull a held reply back before its mail leaves. The message is deleted; the ticket's counters,
    first response, waiting time and inbox preview go back; its text becomes `actor`'s draft; and
    `ticket.reply_withdrawn` is recorded (its `updated` event names the reply's time, so the SLA clock re-arms).
    A status the reply set stays (the agent sees it in the header and can change it)."""
    seq = change_seq_next()
    locked = (
        Message.objects.select_for_update()
        .filter(pk=message.pk, kind=MessageKind.REPLY, author_type=AuthorType.AGENT, author_user=actor)
        .first()
    )
    if locked is None:
        raise Conflict(_("This reply cannot be withdrawn."))
    if locked.held_until is None or locked.held_until <= timezone.now():
        raise Conflict(_("Too late: the reply has already been sent."))
    ticket = Ticket.objects.select_for_update().get(pk=locked.ticket_id)
    changes: dict[str, list[Any]] = {
        "message": [locked.pk, None],
        "public_reply_count": [ticket.public_reply_count, max(0, ticket.public_reply_count - 1)],
    }
    ticket.public_reply_count = max(0, ticket.public_reply_count - 1)
    ticket.message_count = max(0, ticket.message_count - 1)
    if ticket.first_response_at == locked.created_at:
        changes["first_response_at"] = [ticket.first_response_at, None]
        ticket.first_response_at = None
    ticket.updated_at = timezone.now()
    ticket.change_seq = seq
    body = locked.body_text
    locked.delete()
    _row_without_withdrawn_reply(ticket, changes)
    ticket.save(update_fields=WITHDRAW_FIELDS)
    event_record(actor=actor, verb="ticket.reply_withdrawn", target=ticket, changes=changes)
    # An update to the listeners: the reports take the first response back (analytics follows first_response_at).
    ticket_event_emit(
        TicketEvent(
            kind=TicketEventKind.UPDATED,
            ticket_id=ticket.pk,
            actor_id=actor.pk,
            changes={**changes, WITHDRAWN_REPLY_AT: [locked.created_at.isoformat(), None]},
        )
    )
    index_changed(TICKET, [ticket.pk])
    return draft_save(ticket=ticket, user=actor, body=body, kind=MessageKind.REPLY)
