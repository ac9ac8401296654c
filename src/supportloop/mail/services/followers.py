"""Who a customer's mail may add to a conversation, and the agent's decisions on proposed followers.

A From header is easy to forge and a ticket token or plus-address easy to guess, so:
- mail threaded only by a subject token or plus-address adds a message, never a follower;
- mail that opens a ticket or answers ours by Message-ID adds the To/Cc addresses (and a colleague who
  answers) as followers only when the sender's domain authenticated (DMARC, or DKIM/SPF aligned with the
  From domain, in our own server's Authentication-Results; see mail/authresults.py). Otherwise each new
  address becomes a FollowerProposal that an agent accepts or dismisses on the ticket page.
Every change is an audit event on the ticket: follower_added, _proposed, _accepted, _dismissed, _removed.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.core.services import change_seq_next, event_build, event_record, events_record_many
from supportloop.mail.authresults import PASS
from supportloop.mail.choices import ProposalStatus
from supportloop.mail.models import FollowerProposal
from supportloop.mail.parsing import ParsedMail
from supportloop.mail.threader import base_address
from supportloop.tickets.models import Ticket

MAX_FOLLOWERS = 25


def valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= 254


def addressed(parsed: ParsedMail, ours: set[str], sender: str, requester_emails: set[str]) -> list[str]:
    """To/Cc addresses that are not ours, the sender or the requester: who the mail would bring in."""
    out = []
    for addr in [*parsed.to, *parsed.cc]:
        if base_address(addr) in ours or addr == sender or addr in requester_emails or addr in out:
            continue
        if valid_email(addr):
            out.append(addr)
    return out[:MAX_FOLLOWERS]


def reply_candidates(
    parsed: ParsedMail, *, ours: set[str], sender: str, requester_emails: set[str], current: list[str]
) -> list[str]:
    """New people a reply names: To/Cc, and its sender when that is not the requester (a colleague)."""
    names = addressed(parsed, ours, sender, requester_emails)
    if sender not in requester_emails and valid_email(sender) and base_address(sender) not in ours:
        names.append(sender)
    return [a for a in dict.fromkeys(names) if a not in current][:MAX_FOLLOWERS]


def may_add_directly(parsed: ParsedMail) -> bool:
    return parsed.auth_verdict == PASS


def added_event(
    ticket: Ticket, before: list[str], after: list[str], *, actor: User | None = None, actor_label: str = "mail"
) -> Event:
    return event_build(
        actor=actor,
        actor_label=actor_label,
        verb="ticket.follower_added",
        target=ticket,
        changes={"followers": [before, after]},
    )


def proposals_build(
    ticket: Ticket, emails: list[str], message_id: int | None
) -> tuple[list[FollowerProposal], list[Event]]:
    """Unsaved proposal rows and their events, for a ticket that has no proposals for these addresses."""
    rows = [FollowerProposal(ticket=ticket, email=e, message_id=message_id) for e in emails]
    events = [
        event_build(
            actor=None,
            actor_label="mail",
            verb="ticket.follower_proposed",
            target=ticket,
            changes={"follower": [None, e]},
        )
        for e in emails
    ]
    return rows, events


def proposals_add(ticket: Ticket, emails: list[str], message_id: int | None) -> None:
    """Propose the addresses not proposed (or decided) on this ticket before; inside the ingest's transaction."""
    if not emails:
        return
    known = set(FollowerProposal.objects.filter(ticket=ticket, email__in=emails).values_list("email", flat=True))
    rows, events = proposals_build(ticket, [e for e in emails if e not in known], message_id)
    FollowerProposal.objects.bulk_create(rows)
    events_record_many(events)


def followers_save(ticket: Ticket, followers: list[str]) -> tuple[Ticket, list[str]]:
    """Write a ticket's followers (the changes feed sees it); returns the ticket and the list before."""
    seq = change_seq_next()
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    before = list(ticket.followers)
    ticket.followers = sorted(set(followers))
    ticket.updated_at = timezone.now()
    ticket.change_seq = seq
    ticket.save(update_fields=["followers", "updated_at", "change_seq"])
    return ticket, before


def _decide(proposal: FollowerProposal, status: str, actor: User | None) -> FollowerProposal:
    proposal = FollowerProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PROPOSED:
        raise ValidationFailed("This proposal was already decided.", errors={"proposal": proposal.status})
    proposal.status, proposal.decided_at, proposal.decided_by = status, timezone.now(), actor
    proposal.save(update_fields=["status", "decided_at", "decided_by"])
    return proposal


@transaction.atomic
def follower_proposal_accept(*, proposal: FollowerProposal, actor: User | None) -> FollowerProposal:
    """An agent accepts a proposed follower: from now on they are copied on replies."""
    proposal = _decide(proposal, ProposalStatus.ACCEPTED, actor)
    ticket = Ticket.objects.get(pk=proposal.ticket_id)
    if proposal.email not in ticket.followers:
        followers_save(ticket, [*ticket.followers, proposal.email])
    event_record(
        actor=actor, verb="ticket.follower_accepted", target=ticket, changes={"follower": [None, proposal.email]}
    )
    return proposal


@transaction.atomic
def follower_proposal_dismiss(*, proposal: FollowerProposal, actor: User | None) -> FollowerProposal:
    """An agent dismisses a proposed follower; later mail naming the address does not propose it again."""
    proposal = _decide(proposal, ProposalStatus.DISMISSED, actor)
    event_record(
        actor=actor,
        verb="ticket.follower_dismissed",
        target=proposal.ticket,
        changes={"follower": [None, proposal.email]},
    )
    return proposal


@transaction.atomic
def ticket_follower_remove(*, ticket: Ticket, email: str, actor: User | None) -> Ticket:
    """Stop copying an address on a ticket's replies."""
    email = (email or "").strip().lower()
    if email not in ticket.followers:
        raise ValidationFailed("That address does not follow this ticket.", errors={"email": "not a follower"})
    ticket, _before = followers_save(ticket, [f for f in ticket.followers if f != email])
    event_record(actor=actor, verb="ticket.follower_removed", target=ticket, changes={"follower": [email, None]})
    return ticket


def proposals_insert_many(pairs: list[tuple[Ticket, list[str], int | None]]) -> None:
    """Proposals for new tickets (which have none yet): one statement for the rows, one for the events."""
    rows, events = [], []
    for ticket, emails, message_id in pairs:
        r, e = proposals_build(ticket, emails, message_id)
        rows += r
        events += e
    if rows:
        FollowerProposal.objects.bulk_create(rows)
        events_record_many(events)
