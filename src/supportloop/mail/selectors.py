"""Reads of the mail app shared by the admin and the API."""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from django.db.models import QuerySet

from supportloop.core.errors import NotFound
from supportloop.core.lookup import object_or_404
from supportloop.mail.choices import ProposalStatus
from supportloop.mail.models import FollowerProposal, InboundMail, Mailbox, OutboxMessage, Quarantine


def quarantine_list(*, reason: str | None = None, released: bool | None = None) -> QuerySet[Quarantine]:
    """Quarantined mail, newest first, without the raw bytes (they can be megabytes each)."""
    qs = Quarantine.objects.defer("raw").select_related("mailbox")
    if reason:
        qs = qs.filter(reason=reason)
    if released is not None:
        qs = qs.filter(released_at__isnull=not released)
    return qs.order_by("-created_at", "-id")


def quarantine_count_since(*, since: datetime) -> int:
    return Quarantine.objects.filter(created_at__gte=since).count()


class MailboxPollState(TypedDict):
    id: int
    created_at: datetime
    last_polled_at: datetime | None
    last_poll_ok_at: datetime | None
    last_poll_error: str


def mailbox_poll_states() -> list[MailboxPollState]:
    """Active IMAP mailboxes with what the health check needs (no credentials)."""
    return list(
        Mailbox.objects.filter(is_active=True)
        .exclude(imap_host="")
        .order_by("id")
        .values("id", "created_at", "last_polled_at", "last_poll_ok_at", "last_poll_error")
    )


def inbound_list(
    *, outcome: str | None = None, sender: str | None = None, message_key: str | None = None
) -> QuerySet[InboundMail]:
    """The ingest ledger, newest first: stored, quarantined and skipped (`duplicate`, with the reason) mail."""
    qs = InboundMail.objects.all()
    if outcome:
        qs = qs.filter(outcome=outcome)
    if sender:
        qs = qs.filter(sender=sender.strip().lower())
    if message_key:
        qs = qs.filter(message_key=message_key)
    return qs.order_by("-received_at", "-id")


def quarantine_get(*, quarantine_id: int) -> Quarantine:
    """One quarantined message with its bytes (or, for oversize mail, its headers and stored file); 404 if none."""
    return object_or_404(Quarantine.objects.all(), label="quarantined message", pk=quarantine_id)


def mailbox_list() -> QuerySet[Mailbox]:
    return Mailbox.objects.order_by("name", "id")


def follower_proposals_of(*, ticket_id: int) -> QuerySet[FollowerProposal]:
    """Addresses a customer's mail named that wait for an agent's decision, oldest first."""
    return FollowerProposal.objects.filter(ticket_id=ticket_id, status=ProposalStatus.PROPOSED).order_by(
        "created_at", "id"
    )


def follower_proposals_open(*, ticket_id: int) -> list[FollowerProposal]:
    """follower_proposals_of, read."""
    return list(follower_proposals_of(ticket_id=ticket_id))


def follower_proposal_get(*, ticket_id: int, proposal_id: int) -> FollowerProposal:
    proposal = FollowerProposal.objects.filter(ticket_id=ticket_id, pk=proposal_id).select_related("ticket").first()
    if proposal is None:
        raise NotFound("No such follower proposal on this ticket.")
    return proposal


def outbox_messages(*, limit: int = 200) -> list[OutboxMessage]:
    """The newest mail kept by the Outbox backend (development and demo mode), newest first."""

    return list(OutboxMessage.objects.order_by("-sent_at", "-id")[:limit])
