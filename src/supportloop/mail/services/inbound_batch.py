"""Batch ingest: a poller's batch of messages in a fixed number of statements, not ~20 per message.

`inbound_ingest` (one message, one savepoint, ~20 statements) handles every case; this module handles the
common one (mail from a customer that opens a ticket or answers ours by Message-ID) for many messages at
once and hands everything else to `inbound_ingest`, so the rules live in one place:

- Checks that need no database (parse failure, no or bad sender, our own address, X-Loop, bounce,
  auto-reply, a machine's report or notice, a ticket token or plus-address) send a message to
  `inbound_ingest` straight away.
- The rest are collected into a run. A message that answers or repeats one already in the run closes it
  first, so a run never depends on itself and its messages can be looked up and written together.
- A run's lookups (duplicates, rate limit, threads, tickets, contacts) are one statement each. Copies of
  messages received before get their skip rows in the run's writes. At the first message the lookups
  rule out of the common case (rate limited, closed ticket, a reply naming new people, a reused
  Message-ID, a draft that fails validation) the run is cut: what came before is written, that message
  goes to `inbound_ingest`, and what follows forms a new run. So every message is stored in arrival order
  (ticket numbers, thread order).
- The run's writes happen in one savepoint. If any of them fails (a concurrent poller took the same
  Message-ID, say), the savepoint rolls back and every message of the run goes through `inbound_ingest`,
  which quarantines what it cannot store: a failure costs speed, never a message.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from supportloop.core.errors import DomainError
from supportloop.core.services import events_record_many
from supportloop.customers.models import ContactEmail
from supportloop.customers.services import contacts_get_or_create_many_in_transaction, normalize_email
from supportloop.mail.choices import InboundOutcome, QuarantineReason
from supportloop.mail.models import AutoResponse, InboundMail, Mailbox, TicketMailbox
from supportloop.mail.parsing import ParsedMail, parse_message
from supportloop.mail.services.dedupe import Prior, judge, keys_to_look_up, seen_lookup, skip_row
from supportloop.mail.services.followers import added_event, proposals_insert_many, reply_candidates
from supportloop.mail.services.inbound import (
    IngestResult,
    _autoresponse_committed,
    _autoresponse_wanted,
    _valid_email,
    has_follower_candidates,
    inbound_ingest,
    new_ticket_draft,
    new_ticket_followers,
    quarantine_store,
    reply_draft,
)
from supportloop.mail.threader import TOKEN, base_address, plus_numbers
from supportloop.tickets.choices import Status
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import customer_messages_add_in_transaction, tickets_insert_in_transaction

logger = logging.getLogger("supportloop.mail")


@dataclass
class _Candidate:
    index: int
    uid: int | None
    raw: bytes
    parsed: ParsedMail
    sender: str


def _candidate(index: int, uid: int | None, raw: bytes, ours: set[str]) -> _Candidate | None:
    """The message if it may take the batch path, judged without the database; None sends it one by one."""
    if len(raw) > settings.SUPPORTLOOP_MAX_INBOUND_BYTES:
        return None  # inbound_ingest quarantines it unread
    try:
        parsed = parse_message(raw)
    except Exception:  # noqa: BLE001 - inbound_ingest parses again and quarantines it with the reason
        return None
    sender = parsed.from_email or (parsed.reply_to[0] if parsed.reply_to else "")
    if not sender or not _valid_email(sender) or base_address(sender) in ours:
        return None
    if (
        (parsed.loop_header and any(a in parsed.loop_header for a in ours))
        or parsed.is_bounce
        or parsed.is_auto_reply
        or parsed.is_machine_notice
    ):
        return None
    if TOKEN.search(parsed.subject) or plus_numbers([*parsed.to, *parsed.cc, *parsed.envelope_to], ours):
        return None
    return _Candidate(index, uid, raw, parsed, sender)


def inbound_ingest_batch(
    items: list[tuple[int | None, bytes]], *, mailbox: Mailbox, source: str, ours: set[str]
) -> list[IngestResult]:
    """Ingest (IMAP UID, raw bytes) pairs in order, inside the caller's transaction; one result each,
    the same ones `inbound_ingest` would give message by message."""
    results: list[IngestResult | None] = [None] * len(items)
    run: list[_Candidate] = []
    run_ids: set[str] = set()

    def flush() -> None:
        _flush(run, results, mailbox=mailbox, source=source, ours=ours)
        run.clear()
        run_ids.clear()

    for index, (uid, raw) in enumerate(items):
        candidate = _candidate(index, uid, raw, ours)
        if candidate is None:
            flush()
            results[index] = ingest_one(raw, uid, mailbox=mailbox, source=source, ours=ours)
            continue
        parsed = candidate.parsed
        if parsed.message_key in run_ids or any(ref in run_ids for ref in parsed.thread_ids):
            flush()
        run.append(candidate)
        run_ids.add(parsed.message_key)
    flush()
    return results  # type: ignore[return-value] - every index was filled


class _CutBefore(Exception):
    """A message of the run failed validation: roll the run back and write what came before it alone."""

    def __init__(self, candidate: _Candidate):
        super().__init__(candidate.index)
        self.candidate = candidate


def _flush(run: list[_Candidate], results: list, *, mailbox: Mailbox, source: str, ours: set[str]) -> None:
    """Write a run; a message the batch path cannot take is ingested one by one where it stands, and the
    messages after it form a new run, so everything is stored in arrival order."""
    while run:
        try:
            with transaction.atomic():
                rest = _write_run(run, results, mailbox=mailbox, source=source, ours=ours)
        except _CutBefore as cut:  # rolled back (contacts too): what came before it alone, then it one by one
            pos = next(i for i, c in enumerate(run) if c is cut.candidate)
            _flush(run[:pos], results, mailbox=mailbox, source=source, ours=ours)
            results[cut.candidate.index] = ingest_one(
                cut.candidate.raw, cut.candidate.uid, mailbox=mailbox, source=source, ours=ours
            )
            run = run[pos + 1 :]
            continue
        except Exception:  # rolled back; inbound_ingest stores or quarantines each message
            logger.warning("batch ingest of %s messages failed; ingesting them one by one", len(run), exc_info=True)
            for candidate in run:
                results[candidate.index] = ingest_one(
                    candidate.raw, candidate.uid, mailbox=mailbox, source=source, ours=ours
                )
            return
        if not rest:
            return
        first, run = rest[0], rest[1:]
        results[first.index] = ingest_one(first.raw, first.uid, mailbox=mailbox, source=source, ours=ours)


def ingest_one(raw: bytes, uid: int | None, *, mailbox: Mailbox, source: str, ours: set[str]) -> IngestResult:
    """inbound_ingest with a last net: whatever it raises, the message is kept in the quarantine."""
    try:
        with transaction.atomic():  # a failed statement must not poison the caller's transaction
            return inbound_ingest(raw=raw, mailbox=mailbox, source=source, imap_uid=uid, mailbox_addresses=ours)
    except Exception as exc:  # inbound_ingest quarantines on its own; this is the last net
        logger.exception("mailbox %s: UID %s failed", mailbox.pk, uid)
        row = quarantine_store(raw=raw, reason=QuarantineReason.ERROR, detail=repr(exc), mailbox=mailbox, source=source)
        return IngestResult("quarantined", row.message_key, quarantine_id=row.pk, reason=QuarantineReason.ERROR)


def _priors(run: list[_Candidate]) -> dict[int, Prior]:
    """What the ledger and the ticket messages know of each message of the run (services/dedupe.py), in one
    statement."""
    seen = seen_lookup(
        [k for c in run for k in keys_to_look_up(c.parsed)], [c.parsed.message_id for c in run if c.parsed.message_id]
    )
    return {c.index: judge(c.parsed, seen) for c in run}


def _over_rate_limit(run: list[_Candidate], mailbox: Mailbox) -> set[int]:
    """Indexes of the run's messages that inbound_ingest would quarantine for the sender's rate limit."""
    if not mailbox.rate_limit_messages:
        return set()
    since = timezone.now() - timedelta(minutes=mailbox.rate_limit_window_minutes or 60)
    counts = Counter(
        dict(
            InboundMail.objects.filter(sender__in={c.sender for c in run}, received_at__gte=since)
            .exclude(outcome=InboundOutcome.DUPLICATE)
            .values("sender")
            .annotate(n=Count("id"))
            .values_list("sender", "n")
        )
    )
    over = set()
    for c in run:
        if counts[c.sender] >= mailbox.rate_limit_messages:
            over.add(c.index)
        counts[c.sender] += 1  # this message's ledger row, whichever path writes it
    return over


def _threads(run: list[_Candidate]) -> dict[int, Ticket]:
    """{index: ticket} for the run's messages that answer a message of ours or a customer's, by Message-ID
    (nearest reference first, as threader.find_ticket)."""
    ids = {ref for c in run for ref in c.parsed.thread_ids}
    if not ids:
        return {}
    found = dict(Message.objects.filter(external_message_id__in=ids).values_list("external_message_id", "ticket_id"))
    rest = ids - found.keys()
    if rest:
        found.update(AutoResponse.objects.filter(message_id__in=rest).values_list("message_id", "ticket_id"))
    wanted = {c.index: next((found[ref] for ref in c.parsed.thread_ids if ref in found), None) for c in run}
    tickets = Ticket.objects.in_bulk({t for t in wanted.values() if t is not None})
    return {index: tickets[t] for index, t in wanted.items() if t is not None}


def _write_run(
    run: list[_Candidate], results: list, *, mailbox: Mailbox, source: str, ours: set[str]
) -> list[_Candidate]:
    """Write the run's messages up to the first one the batch path cannot take (rate limited, a closed
    ticket, a reply naming new people, a reused Message-ID, a draft that fails validation); returns that one
    and those after it, in order."""
    priors = _priors(run)
    fresh, skips = [], []
    for c in run:
        prior = priors[c.index]
        if prior.skip:
            results[c.index] = IngestResult("duplicate", prior.key, reason=prior.skip)
            skips.append(
                skip_row(
                    prior,
                    mailbox=mailbox,
                    source=source,
                    imap_uid=c.uid,
                    sender=c.sender,
                    subject=c.parsed.subject,
                    parsed=c.parsed,
                )
            )
        else:
            fresh.append(c)
    if not fresh:
        InboundMail.objects.bulk_create(skips)
        return []
    over = _over_rate_limit(fresh, mailbox)
    threads = _threads(fresh)
    # Addresses of requesters, to keep them out of the followers.
    emails_of = _emails_of({t.requester_id for t in threads.values()})
    cut = next(
        (
            k
            for k, c in enumerate(fresh)
            if c.index in over
            or priors[c.index].variant
            or (c.index in threads and _reply_needs_rules(c, threads[c.index], ours, emails_of))
        ),
        len(fresh),
    )
    head, rest = fresh[:cut], fresh[cut:]
    InboundMail.objects.bulk_create(skips)
    if not head:
        return rest
    contacts = contacts_get_or_create_many_in_transaction(
        [(c.sender, c.parsed.from_name, c.parsed.language) for c in head]
    )
    contact_of = {c.index: contacts[normalize_email(c.sender)] for c in head}
    emails_of.update(
        _emails_of(
            {
                contact.pk
                for c in head
                for contact, created in [contact_of[c.index]]
                if c.index not in threads and not created and has_follower_candidates(c.parsed, ours, c.sender)
            }
        )
    )
    new_tickets, replies, proposed = [], [], []
    for c in head:
        contact, created = contact_of[c.index]
        external_id = c.parsed.message_id or c.parsed.message_key
        ticket = threads.get(c.index)
        try:
            if ticket is None:
                requester_emails = {c.sender} if created else emails_of.get(contact.pk, set())
                followers, proposals = new_ticket_followers(
                    c.parsed, ours=ours, sender=c.sender, requester_emails=requester_emails
                )
                new_tickets.append(
                    (c, new_ticket_draft(c.parsed, contact=contact, external_id=external_id, followers=followers))
                )
                proposed.append(proposals)
            else:
                replies.append((c, reply_draft(c.parsed, ticket=ticket, contact=contact, external_id=external_id)))
        except DomainError:  # inbound_ingest quarantines it with the reason; undo the contacts made for it
            raise _CutBefore(c) from None

    # _known looked the Message-IDs up in this transaction; the unique index catches a concurrent poller.
    tickets = tickets_insert_in_transaction([draft for _c, draft in new_tickets], message_ids_checked=True)
    TicketMailbox.objects.bulk_create([TicketMailbox(ticket=t, mailbox=mailbox) for t in tickets])
    events_record_many([added_event(t, [], t.followers) for t in tickets if t.followers])
    proposals_insert_many(
        [(t, emails, t.first_message.pk) for t, emails in zip(tickets, proposed, strict=True) if emails]
    )
    messages = customer_messages_add_in_transaction([draft for _c, draft in replies], message_ids_checked=True)
    written = [(c, InboundOutcome.TICKET, t, t.first_message) for (c, _d), t in zip(new_tickets, tickets, strict=True)]
    written += [(c, InboundOutcome.THREADED, m.ticket, m) for (c, _d), m in zip(replies, messages, strict=True)]
    written.sort(key=lambda row: row[0].index)
    InboundMail.objects.bulk_create(
        [
            InboundMail(
                message_key=c.parsed.message_key,
                mailbox=mailbox,
                source=source,
                imap_uid=c.uid,
                sender=c.sender[:320],
                subject=c.parsed.subject[:500],
                outcome=outcome,
                automatic=c.parsed.automatic[:40],
                ticket=ticket,
                message=message,
                content_digest=c.parsed.content_digest,
                auth_verdict=c.parsed.auth_verdict,
                auth_summary=c.parsed.auth_summary,
            )
            for c, outcome, ticket, message in written
        ]
    )
    for c, outcome, ticket, message in written:
        results[c.index] = IngestResult(outcome, c.parsed.message_key, ticket_id=ticket.pk, message_id=message.pk)
        if outcome == InboundOutcome.TICKET and _autoresponse_wanted(c.parsed, mailbox):
            transaction.on_commit(lambda ticket_id=ticket.pk: _autoresponse_committed(ticket_id))
    return rest


def _emails_of(contact_ids: set[int]) -> dict[int, set[str]]:
    out: dict[int, set[str]] = {}
    if contact_ids:
        for contact_id, email in ContactEmail.objects.filter(contact_id__in=contact_ids).values_list(
            "contact_id", "email"
        ):
            out.setdefault(contact_id, set()).add(email)
    return out


def _reply_needs_rules(c: _Candidate, ticket: Ticket, ours: set[str], emails_of: dict[int, set[str]]) -> bool:
    """A reply inbound_ingest must handle: to a closed ticket (reopen or follow-up), or one that names people
    not yet on the ticket (followers to add or propose)."""
    return ticket.status == Status.CLOSED or bool(
        reply_candidates(
            c.parsed,
            ours=ours,
            sender=c.sender,
            requester_emails=emails_of.get(ticket.requester_id, set()),
            current=ticket.followers,
        )
    )
