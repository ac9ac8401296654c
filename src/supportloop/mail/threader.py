"""Find the ticket an inbound message belongs to. Never by subject alone.

Order: (1) In-Reply-To and References against the Message-IDs of messages we sent and received (and our
auto-acknowledgements); (2) a ticket token "[#1234]" in the subject; (3) a plus-address of one of our
mailboxes, support+1234@example.com. Tokens and plus-addresses are guessable, so they only thread a
message from someone already on the ticket (requester, a follower, or a contact of the same company);
anyone else opens a new ticket. Message-IDs are not guessable, so a match on them always threads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from supportloop.customers.models import ContactEmail
from supportloop.customers.services import company_for_email
from supportloop.mail.models import AutoResponse, Mailbox
from supportloop.mail.parsing import ParsedMail
from supportloop.tickets.models import Message, Ticket

TOKEN = re.compile(r"\[#(\d{1,15})\]")


@dataclass(frozen=True)
class ThreadMatch:
    ticket: Ticket | None
    via: str = ""  # "message-id", "subject-token", "plus-address" or ""


def subject_with_token(subject: str, number: int) -> str:
    """A reply subject that threads back: 'Re: <subject> [#<number>]', without stacking prefixes or tokens."""
    base = (subject or "").strip()
    if not re.match(r"(?i)^(re|aw|antw|sv|回复|答复|ответ)\s*[:：]", base):
        base = f"Re: {base}" if base else "Re:"
    if f"[#{number}]" not in base:
        base = f"{base} [#{number}]"
    return base[:500]


def plus_numbers(addresses: list[str], mailbox_addresses: set[str]) -> list[int]:
    """Ticket numbers from plus-addresses of our mailboxes, e.g. support+1234@example.com -> 1234."""
    numbers = []
    for addr in addresses:
        local, _, domain = addr.partition("@")
        base, plus, tag = local.partition("+")
        if plus and f"{base}@{domain}" in mailbox_addresses and tag.isdigit():
            numbers.append(int(tag))
    return numbers


def base_address(addr: str) -> str:
    local, _, domain = addr.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _sender_may_thread(ticket: Ticket, sender: str) -> bool:
    if sender in ticket.followers:
        return True
    row = ContactEmail.objects.filter(email=sender).values("contact_id", "contact__company_id").first()
    if row is not None:
        if row["contact_id"] == ticket.requester_id:
            return True
        return row["contact__company_id"] is not None and row["contact__company_id"] == ticket.company_id
    company = company_for_email(sender) if ticket.company_id else None  # a new colleague of the requester
    return company is not None and company.pk == ticket.company_id


def find_ticket(parsed: ParsedMail, *, mailbox_addresses: set[str]) -> ThreadMatch:
    ids = parsed.thread_ids
    if ids:
        found = dict(
            Message.objects.filter(external_message_id__in=ids).values_list("external_message_id", "ticket_id")
        )
        if len(found) < len(ids):
            found.update(AutoResponse.objects.filter(message_id__in=ids).values_list("message_id", "ticket_id"))
        for mid in ids:  # nearest reference wins
            if mid in found:
                return ThreadMatch(Ticket.objects.select_related("requester").get(pk=found[mid]), "message-id")
    candidates: list[tuple[int, str]] = [(int(n), "subject-token") for n in TOKEN.findall(parsed.subject)]
    recipients = [*parsed.to, *parsed.cc, *parsed.envelope_to]
    candidates += [(n, "plus-address") for n in plus_numbers(recipients, mailbox_addresses)]
    for number, via in candidates:
        ticket = Ticket.objects.select_related("requester").filter(number=number).first()
        if ticket is not None and _sender_may_thread(ticket, parsed.from_email):
            return ThreadMatch(ticket, via)
    return ThreadMatch(None)


def our_addresses() -> set[str]:
    """Addresses mail from us comes from: our mailboxes, DEFAULT_FROM_EMAIL and what other apps send from
    (the close-the-loop sender, through tickets.hooks). Mail from them is our own coming back."""
    from email.utils import parseaddr

    from django.conf import settings

    from supportloop.tickets.hooks import own_sender_addresses

    ours = {a.lower() for a in Mailbox.objects.values_list("address", flat=True)}
    ours.update(a.lower() for a in [parseaddr(settings.DEFAULT_FROM_EMAIL or "")[1], *own_sender_addresses()] if a)
    return ours
