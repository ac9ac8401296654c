"""What the ticket page and the inbox show about working together: the agent's own draft, other agents' drafts,
who else has the ticket open (from the cache), the newest public message the composer saw, and the reply the
agent can still take back (undo send). Reads only; the writes are in tickets/services/collab.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.tickets.choices import MessageKind
from supportloop.tickets.models import Draft, Message
from supportloop.tickets.presence import REPLYING, presence_for_ticket, presence_for_tickets
from supportloop.tickets.selectors import draft_ticket_numbers


def _held_reply(thread: list[Message], user: User) -> tuple[Message | None, int]:
    """The user's newest reply still inside its undo-send hold, and the whole seconds left."""
    now = timezone.now()
    for message in reversed(thread):
        if message.held_until and message.held_until > now and message.author_user_id == user.pk:
            return message, max(1, round((message.held_until - now).total_seconds()))
    return None, 0


def ticket_collab(*, workspace: dict[str, Any], user: User) -> dict[str, Any]:
    """The ticket page's collaboration context, with no query of its own: the drafts come with the workspace's
    panel query (web.selectors.ticket_workspace), presence from the cache, the rest from the thread."""
    ticket = workspace["ticket"]
    drafts = workspace["drafts"]
    thread = workspace["thread"]
    held, held_seconds = _held_reply(thread, user)
    return {
        "my_draft": next((d for d in drafts if d.user_id == user.pk), None),
        **collab_others(number=ticket.number, user=user, drafts=drafts),
        "seen_public_id": max((m.pk for m in thread if m.kind == MessageKind.REPLY), default=0),
        "held_reply": held,
        "held_seconds": held_seconds,
    }


def collab_others(*, number: int, user: User, drafts: list[Draft]) -> dict[str, Any]:
    """Other agents on the ticket: who is viewing, who is typing a reply, who has a draft on it."""
    people = presence_for_ticket(number=number, exclude_user_id=user.pk)
    replying = [p.name for p in people if p.state == REPLYING]
    drafting = [d.user.display_name for d in drafts if d.user_id != user.pk and d.user.display_name not in replying]
    return {
        "viewers": [p.name for p in people if p.state != REPLYING],
        "replying": replying,
        "drafting": drafting,
    }


def inbox_collab(*, numbers: list[int], user: User) -> dict[str, dict[str, Any]]:
    """The inbox rows' marks: {number: {"viewing": [names], "replying": [names], "draft": bool}} for the rows
    that have any. One query (the user's drafts among them) and one cache read."""
    present = presence_for_tickets(numbers=numbers, exclude_user_id=user.pk)
    drafts = draft_ticket_numbers(user_id=user.pk, numbers=numbers)
    marks: dict[str, dict[str, Any]] = {}
    for number in numbers:
        people = present.get(number, [])
        if not people and number not in drafts:
            continue
        marks[str(number)] = {
            "viewing": [p.name for p in people if p.state != REPLYING],
            "replying": [p.name for p in people if p.state == REPLYING],
            "draft": number in drafts,
        }
    return marks
