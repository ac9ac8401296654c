"""Recording a bounce: a system note on the ticket whose mail it reports, the failed addresses marked, no mail.

A bounce never opens or reopens a ticket and never triggers mail of any kind. It is matched to the ticket by
what it carries of our own outbound mail, strongest first:

1. the original Message-ID (returned message, returned headers, quoted header lines, In-Reply-To/References)
   of an agent reply (tickets.Message.external_message_id) or an acknowledgement (AutoResponse.message_id);
2. the returned headers' X-Supportloop-Ticket number, if a failed recipient is on that ticket (requester or
   follower): a number is guessable, so it alone never attaches a bounce;
3. X-Supportloop-Feedback of a close-the-loop notice to a failed recipient: that notice's originating ticket.

Unmatched bounces are quarantined (reason `bounce`) with what was read of them. The failed addresses are marked
either way (customers.services.address_bounce_record): a permanent failure suppresses automatic mail to the
address for SUPPORTLOOP_BOUNCE_SUPPRESSION_DAYS.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from supportloop.customers.models import ContactEmail
from supportloop.customers.services import address_bounce_record
from supportloop.feedback.models import ClosingNotice
from supportloop.mail.bounces import BounceReport, FailedRecipient, bounce_read
from supportloop.mail.choices import QuarantineReason
from supportloop.mail.models import AutoResponse, Mailbox, Quarantine
from supportloop.mail.threader import base_address
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import ticket_add_system_note
from supportloop.tickets.services.tickets import IncomingFile

logger = logging.getLogger("supportloop.mail")


@dataclass(frozen=True)
class BounceOutcome:
    report: BounceReport
    ticket: Ticket | None = None
    note: Message | None = None  # the system note on the ticket
    quarantine: Quarantine | None = None  # when no ticket matched (or the report was too large to attach)
    matched_by: str = ""  # "reply", "acknowledgement", "ticket-header", "feedback-notice"


def _by_message_id(ids: list[str]) -> tuple[Ticket | None, str, str]:
    """(ticket, what bounced, description) for the first of `ids` that is one of our sent messages."""
    if not ids:
        return None, "", ""
    found = {
        mid: (ticket_id, author, created)
        for mid, ticket_id, author, created in Message.objects.filter(external_message_id__in=ids).values_list(
            "external_message_id", "ticket_id", "author_type", "created_at"
        )
    }
    acks = dict(AutoResponse.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"))
    for mid in ids:
        if mid in found:
            ticket_id, author, created = found[mid]
            what = "reply" if author == "agent" else "message"
            label = f"the {'agent reply' if author == 'agent' else 'message'} of {created:%Y-%m-%d %H:%M} UTC"
            return Ticket.objects.get(pk=ticket_id), what, label
        if mid in acks:
            return Ticket.objects.get(pk=acks[mid]), "acknowledgement", "the acknowledgement of this ticket"
    return None, "", ""


def _on_ticket(ticket: Ticket, addresses: set[str]) -> bool:
    """Whether any of the addresses is the requester's or a follower's (or was copied on a reply)."""
    if addresses & {a.lower() for a in ticket.followers}:
        return True
    if ContactEmail.objects.filter(contact_id=ticket.requester_id, email__in=addresses).exists():
        return True
    return any(
        addresses & {a.lower() for a in cc}
        for cc in Message.objects.filter(ticket=ticket, author_type="agent")
        .exclude(cc=[])
        .values_list("cc", flat=True)[:200]
    )


def _by_ticket_header(numbers: tuple[int, ...], addresses: set[str]) -> Ticket | None:
    if not addresses:
        return None
    for ticket in Ticket.objects.filter(number__in=numbers[:10]).order_by("-number"):
        if _on_ticket(ticket, addresses):
            return ticket
    return None


def _by_feedback_notice(refs: tuple[str, ...], addresses: set[str]) -> Ticket | None:
    """The originating ticket of a close-the-loop notice ("FB-12") to one of the addresses."""
    item_ids = [int(m.group(1)) for ref in refs[:10] if (m := re.fullmatch(r"FB-(\d{1,15})", ref.strip()))]
    if not item_ids or not addresses:
        return None
    ticket_id = (
        ClosingNotice.objects.filter(item_id__in=item_ids, email__in=addresses, ticket__isnull=False)
        .order_by("-created_at")
        .values_list("ticket_id", flat=True)
        .first()
    )
    return Ticket.objects.filter(pk=ticket_id).first() if ticket_id else None


def _line(r: FailedRecipient, until: str | None) -> str:
    code = " ".join(c for c in (r.status, r.smtp_code) if c)
    why = f" ({code})" if code else ""
    diagnostic = f": {r.diagnostic[:500]}" if r.diagnostic else ""
    remote = f" Remote server: {r.remote_mta}." if r.remote_mta else ""
    if r.permanent and until:
        return (
            f"- {r.address} failed permanently{why}{diagnostic}.{remote} "
            f"Automatic mail to this address is suppressed until {until}; replies you write are still sent."
        )
    if r.permanent:
        return f"- {r.address} failed permanently{why}{diagnostic}.{remote}"
    return f"- {r.address} failed temporarily{why}{diagnostic}.{remote} Only noted: the mail server may retry."


def _note_text(failed: list[FailedRecipient], until: dict[str, str], about: str, kept: str) -> str:
    head = f"Delivery failure report for {about}." if about else "Delivery failure report."
    if failed:
        body = "\n".join(_line(r, until.get(r.address)) for r in failed[:20])
        if len(failed) > 20:
            body += f"\n- and {len(failed) - 20} more addresses."
    else:
        body = "The failed address could not be read from the report."
    return f"{head}\n{body}\n{kept}".strip()


def _quarantine_detail(report: BounceReport, failed: list[FailedRecipient]) -> str:
    lines = [f"Bounce ({report.format}) that matches no ticket of ours."]
    lines += [
        ("permanent: " if r.permanent else "temporary: ")
        + r.summary()
        + (f" [remote MTA {r.remote_mta}]" if r.remote_mta else "")
        for r in failed[:20]
    ]
    if not failed:
        lines.append("No failed recipient could be read.")
    if report.original_message_ids:
        lines.append("Original Message-ID: " + ", ".join(report.original_message_ids[:3]))
    return "\n".join(lines)


@transaction.atomic
def bounce_record(
    *, raw: bytes, mailbox: Mailbox | None, source: str, message_key: str, sender: str, subject: str, ours: set[str]
) -> BounceOutcome:
    """Read a bounce and record it (see module docstring). Writes no ledger row: the caller does."""
    from supportloop.mail.services.inbound import quarantine_store

    report = bounce_read(raw)
    failed = [r for r in report.recipients if base_address(r.address) not in ours]
    addresses = {r.address for r in failed}
    ticket, matched_by, about = _by_message_id(
        list(dict.fromkeys([*report.original_message_ids, *report.reply_ids]))[:100]
    )
    if ticket is None and (ticket := _by_ticket_header(report.ticket_numbers, addresses)) is not None:
        matched_by, about = "ticket-header", f"mail sent from ticket #{ticket.number}"
    if ticket is None and (ticket := _by_feedback_notice(report.feedback_refs, addresses)) is not None:
        matched_by, about = "feedback-notice", "a close-the-loop notice about this ticket's feedback"
    label = f"ticket #{ticket.number}" if ticket else "bounce"
    until: dict[str, str] = {}
    for r in failed:
        row = address_bounce_record(
            email=r.address,
            permanent=r.permanent,
            status=r.status or r.smtp_code,
            diagnostic=r.diagnostic,
            remote_mta=r.remote_mta,
            source=f"mail ({label})",
        )
        if row is not None and row.suppressed_until is not None:
            until[r.address] = f"{row.suppressed_until:%Y-%m-%d}"
    if ticket is None:
        row = quarantine_store(
            raw=raw,
            reason=QuarantineReason.BOUNCE,
            detail=_quarantine_detail(report, failed),
            mailbox=mailbox,
            source=source,
            message_key=message_key,
            sender=sender,
            subject=subject,
        )
        return BounceOutcome(report=report, quarantine=row)
    quarantine = None
    files = [IncomingFile("delivery-report.eml", raw, "message/rfc822")]
    kept = "The full report is attached."
    if len(raw) > settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES:
        quarantine = quarantine_store(
            raw=raw,
            reason=QuarantineReason.BOUNCE,
            mailbox=mailbox,
            source=source,
            detail=f"Recorded on ticket #{ticket.number}; too large to attach there.",
            message_key=message_key,
            sender=sender,
            subject=subject,
        )
        files, kept = [], f"The full report ({len(raw):,} bytes) is kept in quarantine #{quarantine.pk}."
    note = ticket_add_system_note(
        ticket=ticket, body=_note_text(failed, until, about, kept), actor_label="mail", attachments=files
    )
    logger.info(
        "bounce %s recorded on ticket #%s (%s): %s", message_key, ticket.number, matched_by, report.summary()[:300]
    )
    return BounceOutcome(report=report, ticket=ticket, note=note, quarantine=quarantine, matched_by=matched_by)
