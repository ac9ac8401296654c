"""Inbound mail: one raw message in, one ledger row out, plus a ticket, a threaded message or a quarantine row.

Everything for one message happens in one transaction (the caller may wrap a batch of them in an outer one;
each message is then a savepoint). The caller marks the message seen or moves it only after that commits.

Decisions (see docs/mail.md):
- A bounce is recorded on the ticket whose mail it reports (services/bounces.py) or quarantined; either way its
  failed addresses are marked and nothing is answered, opened or reopened.
- Mail from our own addresses and X-Loop hits are quarantined, never answered; so are feedback
  (abuse) reports and mail providers' notices (mail/machines.py).
- Auto-replies (Auto-Submitted, X-Autoreply, X-Autorespond, Precedence auto_reply, a null Return-Path, read
  receipts) that thread into a ticket are recorded on it without reopening it; those that match no ticket are
  quarantined. An out-of-office told by its subject alone is an ordinary message (new ticket or threaded), but
  is never acknowledged and never reopens. Other machine mail (no-reply senders, RFC 3834 addresses) never
  reopens either.
- A copy of a message received before is skipped with a ledger row saying why; a different message that
  reuses a Message-ID is stored with a note (services/dedupe.py).
- Followers come only from authenticated mail threaded by Message-ID or opening a ticket; otherwise they
  are proposed to the agent (services/followers.py).
- List and bulk mail (List-Id, Precedence bulk/junk/list) is ingested like any mail but never acknowledged.
- A sender over the mailbox's rate limit is quarantined (kept whole, releasable).
- A reply's stored text has quoted history and signature stripped; body_original keeps all of it.
  The first message of a new ticket is stored whole (a forwarded thread is usually the point of it).
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import NotRequired, TypedDict

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.html import escape

from supportloop.accounts.models import User
from supportloop.core.errors import DomainError, ValidationFailed
from supportloop.core.jobs import job_enqueue
from supportloop.core.services import event_record, events_record_many
from supportloop.customers.models import Contact, ContactEmail
from supportloop.customers.services import contact_get_or_create_by_email
from supportloop.mail.choices import ClosedTicketRule, InboundOutcome, InboundSource, QuarantineReason
from supportloop.mail.models import InboundMail, Mailbox, Quarantine, TicketMailbox
from supportloop.mail.parsing import MAX_DEPTH, ParsedMail, UnparseableMail, clean_str, parse_message
from supportloop.mail.reply import strip_reply
from supportloop.mail.services.bounces import bounce_record
from supportloop.mail.services.dedupe import Prior, prior_of, skip_row
from supportloop.mail.services.followers import (
    MAX_FOLLOWERS,
    added_event,
    addressed,
    followers_save,
    may_add_directly,
    proposals_add,
    proposals_insert_many,
    reply_candidates,
)
from supportloop.mail.threader import ThreadMatch, base_address, find_ticket, our_addresses
from supportloop.tickets.choices import Channel, Status
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import (
    CustomerMessageDraft,
    TicketDraft,
    customer_message_draft,
    customer_messages_add_in_transaction,
    ticket_draft,
    ticket_update,
    tickets_insert_in_transaction,
)

logger = logging.getLogger("supportloop.mail")

NO_SUBJECT = "(no subject)"
NO_TEXT = "(no text)"


@dataclass(frozen=True)
class IngestResult:
    outcome: str  # "ticket", "threaded", "quarantined" or "duplicate"
    message_key: str
    ticket_id: int | None = None
    message_id: int | None = None
    quarantine_id: int | None = None
    reason: str = ""


def _valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= 254


@transaction.atomic
def quarantine_store(
    *,
    raw: bytes,
    reason: str,
    detail: str = "",
    mailbox: Mailbox | None = None,
    source: str = InboundSource.IMAP,
    message_key: str = "",
    sender: str = "",
    subject: str = "",
    raw_file: File[bytes] | None = None,
    size: int | None = None,
) -> Quarantine:
    """Keep a message whole with the reason it did not become a ticket message. An oversize message keeps
    only its headers in `raw` and the whole of it in file storage (`raw_file`, `size` bytes)."""
    row = Quarantine(
        mailbox=mailbox,
        reason=reason,
        detail=clean_str(detail, limit=5000),
        source=source,
        message_key=clean_str(message_key, limit=500),
        sender=clean_str(sender, limit=320),
        subject=clean_str(subject, limit=500),
        raw=bytes(raw),
        raw_size=len(raw) if size is None else size,
    )
    if raw_file is not None:
        row.raw_file.save(f"{uuid.uuid4().hex}.eml", raw_file, save=False)
    row.save()
    event_record(
        actor=None,
        actor_label="mail",
        verb="mail.quarantined",
        target=row,
        changes={"reason": [None, reason], "mailbox": [None, mailbox.pk if mailbox else None]},
    )
    return row


def _mailbox_for(parsed: ParsedMail) -> Mailbox | None:
    """The mailbox a webhook message was sent to: by its recipients, else the first active one."""
    recipients = {base_address(a) for a in [*parsed.envelope_to, *parsed.to, *parsed.cc]}
    active = list(Mailbox.objects.filter(is_active=True).order_by("id"))
    for mailbox in active:
        if mailbox.address.lower() in recipients:
            return mailbox
    return active[0] if active else None


def _rate_limited(mailbox: Mailbox | None, sender: str) -> bool:
    if mailbox is None or not mailbox.rate_limit_messages:
        return False
    since = timezone.now() - timedelta(minutes=mailbox.rate_limit_window_minutes or 60)
    # This message's own ledger row is written at the end, so it is not counted yet.
    return (
        InboundMail.objects.filter(sender=sender, received_at__gte=since)
        .exclude(outcome=InboundOutcome.DUPLICATE)
        .count()
        >= mailbox.rate_limit_messages
    )


def _released_before(key: str) -> bool:
    """A quarantined message whose key already stored a ticket message (released twice, or redelivered)."""
    return (
        InboundMail.objects.filter(message_key=key)
        .exclude(outcome__in=[InboundOutcome.QUARANTINED, InboundOutcome.DUPLICATE])
        .exists()
    )


class _Origin(TypedDict):
    """Where a message came from: the ledger columns every outcome shares."""

    mailbox: Mailbox | None
    source: str
    imap_uid: int | None
    sender: str
    subject: str
    release: NotRequired[bool]


class IngestContext(_Origin):
    """What _ingest passes to the writers of its outcomes (quarantine, bounce, skip, ticket message)."""

    key: NotRequired[str]
    note: NotRequired[str]


def _origin(ctx: IngestContext) -> _Origin:
    """The context without its key and note."""
    origin: _Origin = {
        "mailbox": ctx["mailbox"],
        "source": ctx["source"],
        "imap_uid": ctx["imap_uid"],
        "sender": ctx["sender"],
        "subject": ctx["subject"],
    }
    if "release" in ctx:
        origin["release"] = ctx["release"]
    return origin


def _ledger(
    key: str,
    *,
    mailbox: Mailbox | None,
    source: str,
    imap_uid: int | None,
    sender: str,
    subject: str,
    outcome: str,
    parsed: ParsedMail | None = None,
    note: str = "",
    ticket: Ticket | None = None,
    message: Message | None = None,
    quarantine: Quarantine | None = None,
    release: bool = False,
) -> None:
    """Write the ledger row. Its unique key is the final guard: a concurrent ingest of the same message
    raises IntegrityError here, which rolls this whole ingest back (see inbound_ingest)."""
    values = dict(
        mailbox=mailbox,
        source=source,
        imap_uid=imap_uid,
        sender=sender[:320],
        subject=subject[:500],
        outcome=outcome,
        automatic=parsed.automatic[:40] if parsed else "",
        ticket=ticket,
        message=message,
        quarantine=quarantine,
        note=note,
        content_digest=parsed.content_digest if parsed else "",
        auth_verdict=parsed.auth_verdict if parsed else "",
        auth_summary=parsed.auth_summary if parsed else "",
    )
    if release and InboundMail.objects.filter(message_key=key).exclude(outcome=InboundOutcome.DUPLICATE).update(
        **values
    ):
        return
    InboundMail.objects.create(message_key=key, **values)


def _notes(parsed: ParsedMail) -> str:
    lines = [f"[Attachment not kept: {name} ({size:,} bytes) is over the size limit]" for name, size in parsed.oversize]
    if parsed.dropped_parts:
        lines.append(
            f"[{parsed.dropped_parts:,} more MIME parts were not read: a message is read up to "
            f"{settings.SUPPORTLOOP_MAIL_MAX_PARTS:,} parts, {MAX_DEPTH} levels deep]"
        )
    return "\n".join(lines)


def new_ticket_followers(
    parsed: ParsedMail, *, ours: set[str], sender: str, requester_emails: set[str]
) -> tuple[list[str], list[str]]:
    """(followers, proposed followers) of a ticket this message opens: To/Cc join at once only when the
    sender's domain authenticated; otherwise an agent decides (services/followers.py)."""
    named = addressed(parsed, ours, sender, requester_emails)
    return (named, []) if may_add_directly(parsed) else ([], named)


def new_ticket_draft(parsed: ParsedMail, *, contact: Contact, external_id: str, followers: list[str]) -> TicketDraft:
    """The ticket a message opens, validated but not written (the batch ingest writes many at once)."""
    notes = _notes(parsed)
    text = "\n\n".join(p for p in (parsed.text.strip(), notes) if p) or NO_TEXT
    html = parsed.html
    if html and notes:
        html += "<p>" + escape(notes).replace("\n", "<br>") + "</p>"
    return ticket_draft(
        subject=parsed.subject.strip() or NO_SUBJECT,
        body=text,
        body_html=html if parsed.text.strip() or html else "",
        requester=contact,
        channel=Channel.EMAIL,
        language=parsed.language or contact.language,
        followers=followers,
        external_message_id=external_id,
        attachments=parsed.attachments,
    )


def has_follower_candidates(parsed: ParsedMail, ours: set[str], sender: str) -> bool:
    """Whether To/Cc name anyone but us and the sender (only then are the requester's addresses needed)."""
    return any(base_address(a) not in ours and a != sender for a in [*parsed.to, *parsed.cc])


def _new_ticket(
    parsed: ParsedMail,
    *,
    contact: Contact,
    mailbox: Mailbox | None,
    ours: set[str],
    sender: str,
    external_id: str,
    follow_up_of: Ticket | None,
    requester_emails: set[str] | None = None,
) -> tuple[Ticket, Message]:
    if requester_emails is None:
        requester_emails = (
            set(ContactEmail.objects.filter(contact=contact).values_list("email", flat=True))
            if has_follower_candidates(parsed, ours, sender)
            else set()
        )
    followers, proposed = new_ticket_followers(parsed, ours=ours, sender=sender, requester_emails=requester_emails)
    draft = new_ticket_draft(parsed, contact=contact, external_id=external_id, followers=followers)
    # Without a savepoint of its own: the caller's (_ingest) is the one that rolls back.
    ticket = tickets_insert_in_transaction([draft])[0]
    new_ticket_follower_events(ticket, followers, proposed)
    if follow_up_of is not None:
        Ticket.objects.filter(pk=ticket.pk).update(follow_up_of=follow_up_of)
        ticket.follow_up_of = follow_up_of
        event_record(
            actor=None,
            actor_label="mail",
            verb="ticket.follow_up_linked",
            target=ticket,
            changes={"follow_up_of": [None, follow_up_of.number]},
        )
    if mailbox is not None:
        TicketMailbox.objects.create(ticket=ticket, mailbox=mailbox)
    return ticket, ticket.first_message


def new_ticket_follower_events(ticket: Ticket, followers: list[str], proposed: list[str]) -> None:
    """Audit the followers a new ticket got, and propose the others (one-by-one path)."""
    if followers:
        events_record_many([added_event(ticket, [], sorted(set(followers)))])
    if proposed:
        proposals_insert_many([(ticket, proposed, ticket.first_message.pk)])


def reply_draft(parsed: ParsedMail, *, ticket: Ticket, contact: Contact, external_id: str) -> CustomerMessageDraft:
    """The customer message a threaded reply adds, validated but not written; quoted history is stripped."""
    original = parsed.text.strip()
    stripped = strip_reply(original) if original else ""
    notes = _notes(parsed)
    body = "\n\n".join(p for p in (stripped, notes) if p) or NO_TEXT
    return customer_message_draft(
        ticket=ticket,
        contact=contact,
        body=body,
        body_html="",
        body_original=original or body,
        channel=Channel.EMAIL,
        external_message_id=external_id,
        cc=[a for a in parsed.cc if _valid_email(a)][:MAX_FOLLOWERS],
        attachments=parsed.attachments,
        reopen=not parsed.no_reopen,
    )


def _threaded(
    parsed: ParsedMail, *, ticket: Ticket, via: str, contact: Contact, ours: set[str], sender: str, external_id: str
) -> Message:
    if ticket.status == Status.CLOSED and not parsed.no_reopen:
        ticket = ticket_update(ticket=ticket, actor=None, status=Status.OPEN)
    draft = reply_draft(parsed, ticket=ticket, contact=contact, external_id=external_id)
    message = customer_messages_add_in_transaction([draft])[0]  # without a savepoint, as in _new_ticket
    if via != "message-id":
        return message  # a guessable token or plus-address: never new people on the conversation
    requester_emails = set(ContactEmail.objects.filter(contact_id=ticket.requester_id).values_list("email", flat=True))
    new = reply_candidates(
        parsed, ours=ours, sender=sender, requester_emails=requester_emails, current=ticket.followers
    )
    if new and may_add_directly(parsed):
        ticket, before = followers_save(ticket, [*ticket.followers, *new])
        events_record_many([added_event(ticket, before, ticket.followers)])
    elif new:
        proposals_add(ticket, new, message.pk)
    return message


def _autoresponse_wanted(parsed: ParsedMail, mailbox: Mailbox | None) -> bool:
    return bool(
        mailbox
        and mailbox.autoresponder_enabled
        and not parsed.automatic
        and not parsed.suppress_autoresponse
        and not parsed.no_reopen
    )


def _enqueue_autoresponse(ticket_id: int) -> None:
    job_enqueue("mail.autoresponse_send", ticket_id=ticket_id)


# Ticket ids whose acknowledgement waits for the end of an autoresponses_batched() block (None: no block).
_pending_autoresponses: ContextVar[list[int] | None] = ContextVar("pending_autoresponses", default=None)


def _autoresponse_committed(ticket_id: int) -> None:
    """on_commit hook of a new ticket: enqueue its acknowledgement now, or collect it for the batch."""
    pending = _pending_autoresponses.get()
    if pending is None:
        _enqueue_autoresponse(ticket_id)
    else:
        pending.append(ticket_id)


def _queue_is_this_database() -> bool:
    """The task queue is a table of this database (django-tasks' database backend): a task queued inside a
    transaction commits, or vanishes, with it."""
    from django_tasks_db import DatabaseBackend

    from supportloop.core.jobs import job_task

    return isinstance(job_task("mail.autoresponses_send").get_backend(), DatabaseBackend)


def autoresponses_queue_in_transaction() -> None:
    """Called inside a poller batch's transaction, just before it commits: with the database task queue, queue
    the batch's acknowledgements now, in that transaction, instead of after the commit. A poller killed between
    its commit and the queueing would otherwise leave new tickets that are never acknowledged
    (docs/crash-safety.md, point imap.after_commit). The on-commit hooks of tickets whose savepoint rolled back
    are already gone, so only tickets being stored are queued. Other backends (the immediate one in tests) keep
    the after-commit path, since they would run the task before the tickets exist for anyone else."""
    if not _queue_is_this_database():
        return
    connection = transaction.get_connection()
    ids: list[int] = []
    keep = []
    for entry in connection.run_on_commit:
        func = entry[1]
        if isinstance(func, partial) and func.func is _autoresponse_committed:
            ids.append(func.args[0])
        else:
            keep.append(entry)
    if not ids:
        return
    connection.run_on_commit[:] = keep
    if len(ids) == 1:
        _enqueue_autoresponse(ids[0])
    else:
        job_enqueue("mail.autoresponses_send", ticket_ids=ids)


@contextmanager
def autoresponses_batched() -> Iterator[None]:
    """Acknowledgements of tickets committed inside the block are enqueued when it ends as one task:
    one task row for a poller's batch instead of one per ticket.
    Only tickets whose transaction committed are collected (the hooks run on commit)."""
    pending: list[int] = []
    token = _pending_autoresponses.set(pending)
    try:
        yield
    finally:
        _pending_autoresponses.reset(token)
        if len(pending) == 1:
            _enqueue_autoresponse(pending[0])
        elif pending:
            job_enqueue("mail.autoresponses_send", ticket_ids=pending)


class _Abort(Exception):
    """The writes for a message failed: roll them back, then quarantine it with this reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason, detail)
        self.reason, self.detail = reason, detail


@transaction.atomic
def _quarantine(raw: bytes, ctx: IngestContext, reason: str, detail: str, *, parsed: ParsedMail | None) -> IngestResult:
    key = ctx["key"]
    row = quarantine_store(
        raw=raw,
        reason=reason,
        detail=detail,
        mailbox=ctx["mailbox"],
        source=ctx["source"],
        message_key=key,
        sender=parsed.from_email if parsed else "",
        subject=parsed.subject if parsed else "",
    )
    _ledger(
        key,
        outcome=InboundOutcome.QUARANTINED,
        quarantine=row,
        parsed=parsed,
        note=ctx.get("note", ""),
        **_origin(ctx),
    )
    logger.info("mail %s quarantined: %s %s", key, reason, detail[:200])
    return IngestResult("quarantined", key, quarantine_id=row.pk, reason=reason)


@transaction.atomic
def _bounce(raw: bytes, ctx: IngestContext, parsed: ParsedMail, ours: set[str]) -> IngestResult:
    """A delivery failure report: a system note on the ticket it reports, or a quarantine row; never mail."""
    key = ctx["key"]
    try:
        with transaction.atomic():
            done = bounce_record(
                raw=raw,
                mailbox=ctx["mailbox"],
                source=ctx["source"],
                message_key=key,
                sender=parsed.from_email,
                subject=parsed.subject,
                ours=ours,
            )
    except Exception as exc:  # kept whole in quarantine; the traceback goes to the log
        logger.exception("recording bounce %s failed", key)
        return _quarantine(
            raw, ctx, QuarantineReason.BOUNCE, f"{parsed.automatic}; not recorded: {exc!r}", parsed=parsed
        )
    outcome = InboundOutcome.THREADED if done.note is not None else InboundOutcome.QUARANTINED
    _ledger(
        key,
        outcome=outcome,
        ticket=done.ticket,
        message=done.note,
        quarantine=done.quarantine,
        parsed=parsed,
        note=ctx.get("note", ""),
        **_origin(ctx),
    )
    return IngestResult(
        str(outcome),
        key,
        ticket_id=done.ticket.pk if done.ticket else None,
        message_id=done.note.pk if done.note else None,
        quarantine_id=done.quarantine.pk if done.quarantine else None,
        reason=QuarantineReason.BOUNCE,
    )


def inbound_ingest(
    *,
    raw: bytes,
    mailbox: Mailbox | None = None,
    source: str = InboundSource.IMAP,
    imap_uid: int | None = None,
    release: bool = False,
    mailbox_addresses: set[str] | None = None,
    provider_verdict: tuple[str, str] | None = None,
    release_key: str = "",
    release_contact: Contact | None = None,
    received_size: int | None = None,
) -> IngestResult:
    """Ingest one raw message in one transaction. Idempotent by Message-ID and content (services/dedupe.py).

    `release=True` (an admin releasing a quarantined message, stored under `release_key`) skips the safety
    checks other than the sender; `release_contact` makes a chosen contact the sender.
    `mailbox_addresses` lets a poller pass our addresses once per batch instead of once per message.
    `provider_verdict` is an inbound provider's (verdict, summary) on the sender's authentication (webhooks);
    it takes the place of the Authentication-Results verdict.
    A message over SUPPORTLOOP_MAX_INBOUND_BYTES is quarantined unread (services/oversize.py). The size is that of
    the message as received: `received_size` when the caller had to re-serialise it (a provider webhook hands
    over a parsed message whose line ends are LF), else `len(raw)` (IMAP and the raw endpoint pass what arrived).
    """
    size = len(raw) if received_size is None else received_size
    if not release and size > settings.SUPPORTLOOP_MAX_INBOUND_BYTES:
        from supportloop.mail.services.oversize import inbound_oversize, oversize_from_bytes

        return inbound_oversize(
            mail=oversize_from_bytes(raw, size=size), mailbox=mailbox, source=source, imap_uid=imap_uid
        )
    try:
        return _ingest(
            raw=raw,
            mailbox=mailbox,
            source=source,
            imap_uid=imap_uid,
            release=release,
            ours=mailbox_addresses,
            provider_verdict=provider_verdict,
            release_key=release_key,
            release_contact=release_contact,
        )
    except IntegrityError:
        # Another process ingested the same message between our check and our ledger row: ours rolled back.
        try:
            parsed = parse_message(raw)
        except Exception:  # noqa: BLE001
            parsed = None
        if parsed is not None and not release:
            prior = prior_of(parsed)
            if prior.skip:
                skip_row(
                    prior,
                    mailbox=mailbox,
                    source=source,
                    imap_uid=imap_uid,
                    sender=parsed.from_email,
                    subject=parsed.subject,
                    parsed=parsed,
                ).save()
                return IngestResult("duplicate", prior.key, reason=prior.skip)
        raise


def _skip(prior: Prior, ctx: IngestContext, parsed: ParsedMail | None) -> IngestResult:
    """A copy of a message received before: not stored again, but the skip is on the ledger with its reason."""
    skip_row(
        prior,
        mailbox=ctx["mailbox"],
        source=ctx["source"],
        imap_uid=ctx["imap_uid"],
        sender=ctx["sender"],
        subject=ctx["subject"],
        parsed=parsed,
    ).save()
    logger.info("mail %s skipped: %s", prior.key, prior.note)
    return IngestResult("duplicate", prior.key, reason=prior.skip)


def _ingest(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str,
    imap_uid: int | None,
    release: bool,
    ours: set[str] | None,
    provider_verdict: tuple[str, str] | None,
    release_key: str,
    release_contact: Contact | None,
) -> IngestResult:
    try:
        parsed: ParsedMail | None = parse_message(raw)
        problem = ("", "")  # (reason, detail) of a message that could not be parsed; read only then
    except UnparseableMail as exc:
        parsed, problem = None, (QuarantineReason.UNPARSEABLE, str(exc))
    except Exception as exc:  # a parser bug must not stop the poller
        logger.exception("parser failed")
        parsed, problem = None, (QuarantineReason.UNPARSEABLE, f"parser error: {exc!r}")
    if parsed is not None and provider_verdict and provider_verdict[0]:
        parsed.auth_verdict, parsed.auth_summary = provider_verdict[0], clean_str(provider_verdict[1], limit=200)
    key = parsed.message_key if parsed is not None else "sha256:" + hashlib.sha256(raw or b"").hexdigest()
    sender = parsed.from_email if parsed else ""
    ctx: IngestContext = {
        "key": key,
        "mailbox": mailbox,
        "source": source,
        "imap_uid": imap_uid,
        "sender": sender,
        "subject": parsed.subject if parsed else "",
        "release": release,
    }
    # Reads and checks first, outside any savepoint; the writes below take one savepoint, the quarantine its own.
    if release:
        key = ctx["key"] = release_key or key
        if _released_before(key):
            return IngestResult("duplicate", key, reason="released_before")
    elif parsed is not None:
        prior = prior_of(parsed)
        if mailbox is None:
            mailbox = ctx["mailbox"] = _mailbox_for(parsed)
        if prior.skip:
            return _skip(prior, ctx, parsed)
        key = ctx["key"] = prior.key
        ctx["note"] = prior.note
    elif InboundMail.objects.filter(message_key=key).exclude(outcome=InboundOutcome.DUPLICATE).exists():
        prior = Prior(key, "redelivery", "redelivery: the same unparseable bytes were quarantined before")
        return _skip(prior, ctx, None)
    if mailbox is None and parsed is not None:
        mailbox = ctx["mailbox"] = _mailbox_for(parsed)
    if parsed is None:
        return _quarantine(raw, ctx, *problem, parsed=None)

    ours = ours if ours is not None else our_addresses()
    if not release and parsed.automatic.startswith("bounce:"):  # before the sender checks: "MAILER-DAEMON <>"
        return _bounce(raw, ctx, parsed, ours)
    if not sender and parsed.reply_to:
        sender = ctx["sender"] = parsed.reply_to[0]
    if release_contact is not None:
        sender = ctx["sender"] = release_contact.primary_email or sender
    elif not sender or not _valid_email(sender):
        return _quarantine(raw, ctx, QuarantineReason.NO_SENDER, f"From: {sender or '(missing)'}", parsed=parsed)
    if not release:
        reason = None
        if base_address(sender) in ours:
            reason = (QuarantineReason.OWN_ADDRESS, f"sender {sender} is one of our addresses")
        elif parsed.loop_header and any(a in parsed.loop_header for a in ours):
            reason = (QuarantineReason.OWN_ADDRESS, f"X-Loop: {parsed.loop_header[:200]}")
        elif parsed.is_bounce:
            reason = (QuarantineReason.BOUNCE, parsed.automatic)
        elif parsed.is_machine_notice:
            reason = (QuarantineReason.MACHINE, parsed.automatic)
        elif mailbox is not None and _rate_limited(mailbox, sender):
            reason = (
                QuarantineReason.RATE_LIMITED,
                f"{mailbox.rate_limit_messages} or more messages in {mailbox.rate_limit_window_minutes} min",
            )
        if reason:
            return _quarantine(raw, ctx, *reason, parsed=parsed)

    match: ThreadMatch = find_ticket(parsed, mailbox_addresses=ours)
    if match.ticket is None and parsed.is_auto_reply and not release:
        return _quarantine(raw, ctx, QuarantineReason.AUTO_REPLY, parsed.automatic, parsed=parsed)
    external_id = key if " sha256:" in key else (parsed.message_id or key)
    try:
        with transaction.atomic():
            try:
                if release_contact is not None:
                    contact, created = release_contact, False
                else:
                    contact, created = contact_get_or_create_by_email(
                        email=sender, name=parsed.from_name, language=parsed.language
                    )
                ticket = match.ticket
                closed_rule = mailbox.closed_ticket_rule if mailbox else ClosedTicketRule.NEW_TICKET
                if ticket is not None and not (
                    ticket.status == Status.CLOSED
                    and not parsed.no_reopen
                    and closed_rule == ClosedTicketRule.NEW_TICKET
                ):
                    message = _threaded(
                        parsed,
                        ticket=ticket,
                        via=match.via,
                        contact=contact,
                        ours=ours,
                        sender=sender,
                        external_id=external_id,
                    )
                    outcome = InboundOutcome.THREADED
                else:
                    ticket, message = _new_ticket(
                        parsed,
                        contact=contact,
                        mailbox=mailbox,
                        ours=ours,
                        sender=sender,
                        external_id=external_id,
                        follow_up_of=ticket,
                        requester_emails={sender} if created else None,
                    )
                    outcome = InboundOutcome.TICKET
                if ctx.get("note"):
                    reused_note(ticket, parsed)
            except DomainError as exc:
                raise _Abort(QuarantineReason.REJECTED, exc.detail) from exc
            except IntegrityError:
                raise  # a concurrent ingest of the same message: inbound_ingest turns it into "duplicate"
            except Exception as exc:  # quarantine and go on; the traceback goes to the log
                logger.exception("ingest of %s failed", key)
                raise _Abort(QuarantineReason.ERROR, repr(exc)) from exc
            _ledger(
                key,
                outcome=outcome,
                ticket=ticket,
                message=message,
                parsed=parsed,
                note=ctx.get("note", ""),
                **_origin(ctx),
            )
            if outcome == InboundOutcome.TICKET and _autoresponse_wanted(parsed, mailbox):
                transaction.on_commit(partial(_autoresponse_committed, ticket.pk))
    except _Abort as abort:  # the savepoint rolled the partial writes back
        return _quarantine(raw, ctx, abort.reason, abort.detail, parsed=parsed)
    return IngestResult(outcome, key, ticket_id=ticket.pk, message_id=message.pk)


def reused_note(ticket: Ticket, parsed: ParsedMail) -> None:
    """The visible note on a ticket that a message reusing another's Message-ID was stored on."""
    event_record(
        actor=None,
        actor_label="mail",
        verb="mail.message_id_reused",
        target=ticket,
        changes={"message_id": [None, parsed.message_id[:200]]},
    )


@transaction.atomic
def quarantine_release(*, quarantine: Quarantine, actor: User | None, contact: Contact | None = None) -> IngestResult:
    """An admin decides a quarantined message is real mail: ingest it, skipping the safety checks; with a
    contact, as that contact's message (for mail without a usable sender)."""
    if quarantine.released_at is not None:
        raise ValidationFailed("This message was already released.", errors={"quarantine": "released"})
    from supportloop.mail.services.oversize import quarantine_raw

    result = inbound_ingest(
        raw=quarantine_raw(quarantine),
        mailbox=quarantine.mailbox,
        source=InboundSource.RELEASE,
        release=True,
        release_key=quarantine.message_key,
        release_contact=contact,
    )
    if result.outcome not in ("ticket", "threaded"):
        raise ValidationFailed(
            f"The message could not be ingested ({result.reason or result.outcome}).",
            errors={"quarantine": result.reason or result.outcome},
        )
    quarantine.released_at = timezone.now()
    quarantine.released_ticket_id = result.ticket_id
    quarantine.save(update_fields=["released_at", "released_ticket"])
    event_record(
        actor=actor,
        verb="mail.released",
        target=quarantine,
        changes={"ticket": [None, result.ticket_id], "contact": [None, contact.pk if contact else None]},
    )
    return result
