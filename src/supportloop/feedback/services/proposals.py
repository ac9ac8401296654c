"""Ship proposals: an engineering tracker says a linked issue is closed, so the item may have shipped. A proposal
is only ever a suggestion to the product manager: accepting it is the normal status change to shipped (with its
confirmation and the customers told, feedback_item_set_status, which settles the item's pending proposals);
dismissing it changes nothing else. Nothing here ships an item."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.core.errors import Conflict
from supportloop.core.services import event_record
from supportloop.feedback.choices import ItemStatus, ProposalStatus
from supportloop.feedback.models import EngineeringLink, FeedbackItem, ShipProposal, TrackerDelivery

# An item in one of these has nothing left to propose.
SETTLED_STATUSES = (ItemStatus.SHIPPED, ItemStatus.DECLINED, ItemStatus.MERGED)


def ship_proposal_create(
    *, link: EngineeringLink, issue: str, issue_url: str = "", delivery: TrackerDelivery | None = None
) -> ShipProposal | None:
    """Propose shipping the link's item; None when the item is settled already or the same issue's proposal is
    still pending (a repeated "closed" adds nothing)."""
    with transaction.atomic():
        item = FeedbackItem.objects.select_for_update().get(pk=link.item_id)
        if item.status in SETTLED_STATUSES:
            return None
        pending = ShipProposal.objects.filter(
            item=item, tracker=link.tracker, issue=issue, status=ProposalStatus.PENDING
        )
        if pending.exists():
            return None
        try:
            with transaction.atomic():
                proposal = ShipProposal.objects.create(
                    item=item,
                    link=link,
                    tracker=link.tracker,
                    issue=issue[:200],
                    issue_url=issue_url[:500],
                    delivery=delivery,
                    created_at=timezone.now(),
                )
        except IntegrityError:  # the same proposal from a concurrent delivery
            return None
        event_record(
            actor=None,
            actor_label=f"tracker:{link.tracker}",
            verb="feedback_item.ship_proposed",
            target=item,
            changes={"tracker": [None, link.tracker], "issue": [None, issue], "proposal": [None, proposal.pk]},
        )
        return proposal


@transaction.atomic
def ship_proposal_dismiss(*, proposal: ShipProposal, actor: User | None) -> ShipProposal:
    """The product manager says no: the item stays as it is."""
    proposal = ShipProposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.status != ProposalStatus.PENDING:
        raise Conflict("This proposal was decided already.", errors={"proposal": proposal.status})
    proposal.status = ProposalStatus.DISMISSED
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    event_record(
        actor=actor,
        verb="feedback_item.ship_proposal_dismissed",
        target=proposal.item,
        changes={"proposal": [proposal.pk, None], "issue": [proposal.issue, None]},
    )
    return proposal


def ship_proposals_settle(*, item: FeedbackItem, actor: User | None) -> int:
    """The item shipped (by whatever path): its pending proposals are accepted. Call in the status change's
    transaction."""
    return ShipProposal.objects.filter(item=item, status=ProposalStatus.PENDING).update(
        status=ProposalStatus.ACCEPTED, decided_by=actor, decided_at=timezone.now()
    )


def ship_proposals_pending(*, item: FeedbackItem) -> list[ShipProposal]:
    return list(ShipProposal.objects.filter(item=item, status=ProposalStatus.PENDING).order_by("created_at", "id"))
