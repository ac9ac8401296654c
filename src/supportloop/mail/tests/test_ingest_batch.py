"""The batch ingest gives the outcome message-by-message ingest gives, in a fixed number of statements, and a
failed batch write loses nothing."""

from __future__ import annotations

import base64
import re
from collections import Counter

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from supportloop.core.models import Event
from supportloop.customers.models import Contact
from supportloop.customers.services import company_create
from supportloop.mail.choices import ClosedTicketRule, InboundSource
from supportloop.mail.models import FollowerProposal, InboundMail, Quarantine, TicketMailbox
from supportloop.mail.services import inbound_batch, inbound_ingest, mailbox_update
from supportloop.mail.services.inbound_batch import inbound_ingest_batch
from supportloop.mail.threader import our_addresses
from supportloop.tickets.choices import Status
from supportloop.tickets.models import Message, Ticket, TicketStatusCount
from supportloop.tickets.services import ticket_update
from supportloop_testing.mail import raw_mail

pytestmark = pytest.mark.django_db


def reply(mid: str, parent: str, **kw) -> bytes:
    return raw_mail(
        mid, in_reply_to=parent, body="Thanks, still broken.\r\n\r\nOn Mon, Support wrote:\r\n> try again", **kw
    )


def with_attachment(mid: str) -> bytes:
    data = base64.b64encode(b"%PDF-1.4 invoice").decode()
    return (
        f"From: carl@globex.test\r\nTo: support@example.test\r\nSubject: Invoice\r\nMessage-ID: <{mid}>\r\n"
        'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n'
        '--b\r\nContent-Type: application/pdf; name="inv.pdf"\r\nContent-Disposition: attachment; '
        f'filename="inv.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n{data}\r\n--b--\r\n'
    ).encode()


def mixed_batch(existing: Ticket) -> list[bytes]:
    """Every path at once: new tickets, replies to earlier and same-batch messages, duplicates, automatic
    mail, tokens, followers, a closed ticket, a rate-limited sender, broken and hash-keyed mail."""
    return [
        raw_mail("n1@acme.test", frm="Anna A <anna@acme.test>", subject="Printer on fire"),
        raw_mail("n2@globex.test", frm="bob@globex.test", subject="Кириллица", body="Здравствуйте"),
        reply("r1@acme.test", "n1@acme.test"),  # answers a message of this batch
        raw_mail("n2@globex.test", frm="bob@globex.test", subject="Кириллица", body="Здравствуйте"),  # the same again
        raw_mail("root@acme.test", subject="Root"),  # already ingested before the batch
        reply("r2@acme.test", "root@acme.test", frm="anna@acme.test"),  # answers an earlier ticket
        raw_mail(
            "cc@acme.test",
            frm="frank@acme.test",
            to="support@example.test, Dan <dan@acme.test>",
            extra="Cc: eve@x.test, support+9@example.test\r\n",
        ),  # followers; a plus-address
        raw_mail("tok@acme.test", frm="frank@acme.test", subject=f"Re: help [#{existing.number}]"),
        raw_mail("ooo@acme.test", frm="gina@acme.test", extra="Auto-Submitted: auto-replied\r\n"),
        raw_mail("bounce@x.test", frm="MAILER-DAEMON@x.test", ctype="multipart/report; report-type=delivery-status"),
        raw_mail("own@example.test", frm="support@example.test"),
        raw_mail(None, frm="nomid@globex.test", subject="No Message-ID"),
        b"\x00\x01 not a mail at all",
        with_attachment("att@globex.test"),
        raw_mail(
            "html@globex.test", frm="carl@globex.test", ctype="text/html; charset=utf-8", body="<p>Only <b>HTML</b></p>"
        ),
        raw_mail("gbk@globex.test", frm="li@globex.test", ctype="text/plain; charset=gbk", subject="发票").replace(
            b"Body", "您好".encode("gbk")
        ),
        *[raw_mail(f"loop{i}@spam.test", frm="loop@spam.test", subject=f"n{i}") for i in range(12)],  # rate limit 9
        reply("cold@acme.test", "closed@acme.test"),  # a closed ticket: new linked ticket
        reply("colleague@acme.test", "root@acme.test", frm="dan@acme.test"),  # a new follower
        reply("after@acme.test", "root@acme.test"),  # ...then a plain reply: stays after it
        raw_mail("nul@acme.test", frm="hal@acme.test", subject="bad\x00subject"),
        *[raw_mail(f"bulk{i}@initech.test", frm=f"user{i % 3}@initech.test", subject=f"Bulk {i}") for i in range(8)],
        *[
            reply(f"bulkr{i}@initech.test", f"bulk{i}@initech.test", frm=f"user{i % 3}@initech.test")
            for i in range(0, 8, 2)
        ],
        # issue 10: a reused Message-ID, followers from unauthenticated and authenticated mail, machines
        raw_mail("n2@globex.test", frm="bob@globex.test", subject="Another order", body="reused id"),
        raw_mail("ccnew@initech.test", frm="ivy@initech.test", extra="Cc: partner@else.test\r\n"),
        raw_mail(
            "auth@initech.test",
            frm="jo@initech.test",
            extra="Cc: boss@initech.test\r\n"
            "Authentication-Results: mx.example.test; dmarc=pass header.from=initech.test\r\n",
        ),
        reply("rcc@acme.test", "n1@acme.test", extra="Cc: outsider@else.test\r\n"),
        raw_mail("tokcc@acme.test", subject=f"Re: help [#{existing.number}]", extra="Cc: attacker@evil.test\r\n"),
        raw_mail("nr@shop.test", frm="noreply@shop.test", subject="Your receipt"),
        raw_mail("ooo2@acme.test", frm="kim@acme.test", subject="Automatic reply: Hello"),
        raw_mail(
            "arf@isp.test",
            frm="fbl@isp.test",
            ctype='multipart/report; report-type=feedback-report; boundary="b"',
            body="--b\r\nContent-Type: text/plain\r\n\r\nabuse\r\n--b--",
        ),
        raw_mail("loop2@vendor.test", frm="desk@vendor.test", extra="X-Loop: desk@vendor.test\r\n"),
        raw_mail("ccnew@initech.test", frm="ivy@initech.test", extra="Cc: partner@else.test\r\n"),  # redelivered
    ]


def _prepare(mailbox, settings) -> Ticket:
    settings.SUPPORTLOOP_AUTHSERV_ID = ["mx.example.test"]
    company_create(name="Acme", domains=["acme.test"])
    company_create(name="Globex", domains=["globex.test"])
    mailbox_update(
        mailbox=mailbox,
        rate_limit_messages=9,
        rate_limit_window_minutes=60,
        closed_ticket_rule=ClosedTicketRule.NEW_TICKET,
    )
    root = Ticket.objects.get(
        pk=inbound_ingest(raw=raw_mail("root@acme.test", subject="Root"), mailbox=mailbox).ticket_id
    )
    closed = inbound_ingest(raw=raw_mail("closed@acme.test", subject="Old"), mailbox=mailbox)
    ticket_update(ticket=Ticket.objects.get(pk=closed.ticket_id), actor=None, status=Status.CLOSED)
    return root


def _state(results) -> dict:
    """Everything ingest wrote, keyed by Message-IDs rather than database ids (which differ between runs), with
    the order that matters: ticket numbers, and each ticket's messages in the order the ticket shows them."""
    key_of_ticket = {}
    for m in Message.objects.order_by("-id"):
        key_of_ticket[m.ticket_id] = m.external_message_id  # the first message wins
    tickets = sorted(
        (
            t.number,
            key_of_ticket[t.pk],
            t.subject,
            t.status,
            tuple(t.followers),
            t.message_count,
            t.company_id,
            t.language,
            t.requester.name,
            key_of_ticket.get(t.follow_up_of_id),
            TicketMailbox.objects.filter(ticket=t).exists(),
            tuple(t.messages.order_by("created_at", "id").values_list("external_message_id", flat=True)),
        )
        for t in Ticket.objects.all()
    )
    messages = sorted(
        (
            m.external_message_id,
            key_of_ticket[m.ticket_id],
            m.body_text,
            m.body_original,
            m.body_html,
            tuple(m.cc),
            m.author_contact.name if m.author_contact else "",
            tuple(a.filename for a in m.attachments.all()),
        )
        for m in Message.objects.all()
    )
    numbers = dict(Ticket.objects.values_list("pk", "number"))
    return {
        "results": [(r.outcome, r.reason, key_of_ticket.get(r.ticket_id), numbers.get(r.ticket_id)) for r in results],
        "tickets": tickets,
        "messages": messages,
        "ledger": sorted(
            (*row[:5], re.sub(r"row \d+", "row N", row[5]), *row[6:])
            for row in InboundMail.objects.values_list(  # ids differ by run
                "message_key", "outcome", "sender", "automatic", "imap_uid", "note", "content_digest", "auth_verdict"
            )
        ),
        "proposals": sorted((key_of_ticket[p.ticket_id], p.email, p.status) for p in FollowerProposal.objects.all()),
        "quarantine": sorted(Quarantine.objects.values_list("message_key", "reason", "sender")),
        "contacts": sorted(Contact.objects.values_list("name", "company_id", "language")),
        "events": Counter(Event.objects.values_list("verb", flat=True)),
        "status_counts": dict(TicketStatusCount.objects.values_list("status", "count")),
        "acknowledgements": len(connection.run_on_commit),
    }


def _run(ingest) -> dict:
    """Run one way of ingesting inside a savepoint, record the state, then roll it back."""
    snapshot = {}
    try:
        with transaction.atomic():
            snapshot.update(_state(ingest()))
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    return snapshot


def test_batch_ingest_matches_one_by_one_ingest(mailbox, monkeypatch, settings):
    existing = _prepare(mailbox, settings)
    raws = mixed_batch(existing)
    ours = our_addresses()
    one_by_one = _run(
        lambda: [
            inbound_ingest(raw=raw, mailbox=mailbox, source=InboundSource.IMAP, imap_uid=i, mailbox_addresses=ours)
            for i, raw in enumerate(raws)
        ]
    )
    handed_over = []
    ingest_one = inbound_batch.ingest_one
    monkeypatch.setattr(
        inbound_batch, "ingest_one", lambda raw, uid, **kw: handed_over.append(uid) or ingest_one(raw, uid, **kw)
    )
    batched = _run(
        lambda: inbound_ingest_batch(list(enumerate(raws)), mailbox=mailbox, source=InboundSource.IMAP, ours=ours)
    )
    assert batched == one_by_one
    # The mix reaches every outcome it was written for...
    outcomes = Counter(outcome for outcome, _reason, _key, _number in batched["results"])
    assert outcomes == {"ticket": 32, "threaded": 11, "duplicate": 3, "quarantined": 8}
    reasons = {reason for _o, reason, _k, _n in batched["results"] if reason}
    assert reasons == {"auto_reply", "bounce", "own_address", "unparseable", "rate_limited", "machine", "redelivery"}
    # Followers: proposed from unauthenticated mail (a new ticket's Cc, a Message-ID reply's Cc), added from
    # authenticated mail, and nothing at all from a guessable ticket token.
    assert batched["proposals"] == [
        ("cc@acme.test", "dan@acme.test", "proposed"),
        ("cc@acme.test", "eve@x.test", "proposed"),
        ("ccnew@initech.test", "partner@else.test", "proposed"),
        ("n1@acme.test", "outsider@else.test", "proposed"),
        ("root@acme.test", "dan@acme.test", "proposed"),
    ]  # the colleague who answered root by Message-ID
    followers = {t[1]: t[4] for t in batched["tickets"]}
    assert followers["auth@initech.test"] == ("boss@initech.test",) and followers["ccnew@initech.test"] == ()
    assert "attacker@evil.test" not in str(batched["proposals"]) + str(batched["tickets"])
    reused = [row for row in batched["ledger"] if row[0].startswith("n2@globex.test sha256:")]
    assert len(reused) == 1 and "reused" in reused[0][5]
    # ...and only the unusual messages left the batch path: plus-address, token, automatic, own, unparseable,
    # rate-limited, the closed ticket's and the new follower's; then the reused Message-ID, the reply naming a
    # new person, the token with a Cc and the feedback report. The new tickets with a Cc (proposed or
    # authenticated), the no-reply sender, the out-of-office told by its subject alone (a ticket since issue 10's
    # follow-up), the foreign X-Loop and the redelivery stay in it.
    assert handed_over == [6, 7, 8, 9, 10, 12, 25, 26, 27, 28, 29, 44, 47, 48, 51]


def test_a_failed_batch_write_falls_back_to_one_by_one_and_loses_nothing(mailbox, monkeypatch, settings):
    existing = _prepare(mailbox, settings)
    raws = mixed_batch(existing)
    ours = our_addresses()
    expected = _run(
        lambda: inbound_ingest_batch(list(enumerate(raws)), mailbox=mailbox, source=InboundSource.IMAP, ours=ours)
    )
    calls = []

    def raced_insert(drafts, **kwargs):  # patched in the batch module only; the one-by-one path is untouched
        calls.append(len(drafts))
        raise IntegrityError("duplicate key value violates unique constraint (simulated race)")

    monkeypatch.setattr(inbound_batch, "tickets_insert_in_transaction", raced_insert)
    fallen_back = _run(
        lambda: inbound_ingest_batch(list(enumerate(raws)), mailbox=mailbox, source=InboundSource.IMAP, ours=ours)
    )
    assert calls, "the batch path was not taken"
    assert fallen_back == expected


def _new_senders(count: int, start: int) -> list[tuple[int, bytes]]:
    return [
        (i, raw_mail(f"m{i}@q{i}.test", frm=f"someone{i}@q{i % 7}.test", subject=f"Question {i}"))
        for i in range(start, start + count)
    ]


def _replies(count: int, start: int) -> list[tuple[int, bytes]]:
    """Answers to _new_senders(count, start), one each."""
    return [
        (10_000 + i, reply(f"re{i}@q.test", f"m{i}@q{i}.test", frm=f"someone{i}@q{i % 7}.test"))
        for i in range(start, start + count)
    ]


def test_statements_per_batch_do_not_grow_with_its_size(mailbox):
    ours = our_addresses()
    inbound_ingest_batch(_new_senders(2, 1000), mailbox=mailbox, source=InboundSource.IMAP, ours=ours)  # counters
    counts = {}
    start = 0
    for size in (5, 30):  # SQLite splits an INSERT of more than 999 parameters: tickets have 29 columns
        with CaptureQueriesContext(connection) as queries:
            results = inbound_ingest_batch(
                _new_senders(size, start) + _replies(size, start), mailbox=mailbox, source=InboundSource.IMAP, ours=ours
            )
        assert Counter(r.outcome for r in results) == {"ticket": size, "threaded": size}
        counts[size] = len(queries)
        start += size
    # Two runs (the replies answer the new tickets, so they start a second run): a fixed number of statements
    # each, plus one rate-limit count per run (on by default), whatever the batch size. The search index is
    # written in the same transaction: per run one read and one upsert each for contacts and tickets (and the FTS5
    # replace on SQLite), 41 on SQLite.
    assert counts[5] == counts[30] <= 48


def test_a_message_whose_draft_fails_validation_leaves_nothing_behind_either_way(mailbox, monkeypatch):
    from supportloop.core.errors import ValidationFailed
    from supportloop.mail.services import inbound

    real_draft = inbound.new_ticket_draft

    def picky_draft(parsed, **kwargs):
        if parsed.subject == "BAD":
            raise ValidationFailed("subject refused", errors={"subject": "refused"})
        return real_draft(parsed, **kwargs)

    monkeypatch.setattr(inbound, "new_ticket_draft", picky_draft)  # used one by one
    monkeypatch.setattr(inbound_batch, "new_ticket_draft", picky_draft)  # used by the batch path
    raws = [
        raw_mail("v1@a.test", frm="first@a.test"),
        raw_mail("v2@b.test", frm="newcomer@b.test", subject="BAD"),
        raw_mail("v3@c.test", frm="third@c.test"),
    ]
    ours = our_addresses()
    one_by_one = _run(
        lambda: [
            inbound_ingest(raw=raw, mailbox=mailbox, source=InboundSource.IMAP, imap_uid=i, mailbox_addresses=ours)
            for i, raw in enumerate(raws)
        ]
    )
    batched = _run(
        lambda: inbound_ingest_batch(list(enumerate(raws)), mailbox=mailbox, source=InboundSource.IMAP, ours=ours)
    )
    assert batched == one_by_one
    assert [(o, r) for o, r, _k, _n in batched["results"]] == [
        ("ticket", ""),
        ("quarantined", "rejected"),
        ("ticket", ""),
    ]
    assert len(batched["contacts"]) == 2  # the rejected sender's contact was rolled back with its message
