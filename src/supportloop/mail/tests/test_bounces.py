"""Bounces: read (one fixture per MTA family), recorded on the ticket whose mail they report, addresses suppressed,
never a ticket, never a reopen, never any mail; both ingest paths alike.

The fixtures in corpus/bounces/ are written by hand from the real formats. A file name states the expected
result: `<family>__<perm|temp>__<status code or SMTP code or "none">__<failed recipient>.eml`; the original
message each one reports has the Message-ID `<orig-<family>@example.test>`. `not-bounce__*.eml` are mail a
person (or another kind of robot) wrote, which must not be taken for a bounce.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from supportloop.core.models import Event
from supportloop.customers.models import BouncedAddress
from supportloop.customers.selectors import address_suppressed, contact_get
from supportloop.customers.services import address_suppression_lift
from supportloop.mail.bounces import bounce_read
from supportloop.mail.choices import InboundOutcome, InboundSource, QuarantineReason
from supportloop.mail.models import AutoResponse, InboundMail, Quarantine
from supportloop.mail.parsing import parse_message
from supportloop.mail.services import inbound_ingest
from supportloop.mail.services.inbound_batch import inbound_ingest_batch
from supportloop.tickets.choices import AuthorType, MessageKind, Status
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import ticket_reply, ticket_update
from supportloop_testing.mail import raw_mail

BOUNCES = Path(__file__).resolve().parent / "corpus" / "bounces"
FIXTURES = sorted(p for p in BOUNCES.glob("*.eml") if not p.name.startswith("not-bounce"))
NOT_BOUNCES = sorted(BOUNCES.glob("not-bounce__*.eml"))


def expected(path: Path) -> dict:
    family, permanence, code, recipient = path.stem.split("__")
    return {
        "family": family,
        "permanent": permanence == "perm",
        "code": "" if code == "none" else code,
        "recipient": recipient,
        "original_id": f"orig-{family}@example.test",
    }


def test_the_corpus_covers_at_least_fifteen_mta_families():
    families = {expected(p)["family"].split("-")[0] for p in FIXTURES}
    assert len(families) >= 15, families
    assert {"postfix", "exim", "sendmail", "qmail", "office365", "gmail", "yahoo", "amazonses"} <= families


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_each_fixture_is_read_as_its_name_says(path, settings):
    want = expected(path)
    raw = path.read_bytes()
    parsed = parse_message(raw)
    assert parsed.is_bounce and parsed.automatic.startswith("bounce:"), parsed.automatic
    report = bounce_read(raw)
    assert [r.address for r in report.recipients] == [want["recipient"]]
    failed = report.recipients[0]
    assert failed.permanent is want["permanent"]
    assert want["code"] in (failed.status, failed.smtp_code), failed
    assert failed.diagnostic  # something an agent can read
    assert report.original_message_ids[0] == want["original_id"]


@pytest.mark.parametrize("path", NOT_BOUNCES, ids=[p.stem for p in NOT_BOUNCES])
def test_mail_that_only_mentions_a_failed_delivery_is_not_a_bounce(path):
    assert not parse_message(path.read_bytes()).automatic.startswith("bounce:")


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.sampled_from(
        [
            b"",
            b"From: MAILER-DAEMON <>\r\nSubject: failure notice\r\n",
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n"
            b"Content-Type: message/delivery-status\r\n\r\n",
        ]
    ),
    body=st.one_of(
        st.binary(max_size=600),
        st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"Final-Recipient: rfc822; <>\r\nAction: failed\r\nStatus: 9.9.9",
                b"Final-Recipient: x400; /G=a/\r\n",
                b'{"notificationType":"Bounce"}',
                b"<@>: 550 5.1.1",
                b"Message-ID: <\x00@x>",
            ]
        ),
    ),
)
def test_reading_any_bytes_as_a_bounce_never_raises_and_yields_storable_addresses(prefix, body):
    report = bounce_read(prefix + body)
    assert report.is_bounce
    for r in report.recipients:
        assert "@" in r.address and "\x00" not in r.address + r.diagnostic and len(r.address) <= 254
        assert r.status == "" or r.status[0] in "45"


def customer_mail(*, mid: str, frm: str, subject: str = "Help") -> bytes:
    return raw_mail(mid, frm=frm, subject=subject, body="Please help.")


@pytest.fixture
def sent_reply(mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks):
    """Make a ticket from `address` and an agent reply to it, sent; returns (ticket, reply message)."""

    def make(address: str) -> tuple[Ticket, Message]:
        ticket = Ticket.objects.get(
            pk=inbound_ingest(raw=customer_mail(mid=f"in-{address}", frm=address), mailbox=mailbox).ticket_id
        )
        with django_capture_on_commit_callbacks(execute=True):
            reply = ticket_reply(ticket=ticket, actor=make_user("agent"), body="Here is the answer.")
        reply.refresh_from_db()
        assert reply.external_message_id and reply.delivery_status == "sent"
        return ticket, reply

    return make


def bounce_for(path: Path, original_id: str) -> bytes:
    return path.read_bytes().replace(expected(path)["original_id"].encode(), original_id.encode())


def counts() -> tuple[int, int, int]:
    return Ticket.objects.count(), Message.objects.count(), Quarantine.objects.count()


@pytest.mark.django_db
def test_postfix_dsn_for_an_agent_reply_is_a_system_note_on_that_ticket_and_suppresses_the_address(
    sent_reply, mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    ticket, reply = sent_reply("anna@customer.test")
    ticket_update(ticket=ticket, actor=None, status=Status.PENDING)
    path = BOUNCES / "postfix__perm__5.1.1__anna@customer.test.eml"
    before, sent_before = counts(), len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(raw=bounce_for(path, reply.external_message_id), mailbox=mailbox)
    assert (result.outcome, result.ticket_id, result.reason) == ("threaded", ticket.pk, "bounce")
    note = Message.objects.get(pk=result.message_id)
    assert (note.ticket_id, note.kind, note.author_type) == (ticket.pk, MessageKind.NOTE, AuthorType.SYSTEM)
    assert "anna@customer.test failed permanently (5.1.1 550)" in note.body_text
    assert "User unknown in virtual mailbox table" in note.body_text
    assert "agent reply of" in note.body_text
    assert note.attachments.get().filename == "delivery-report.eml"
    assert counts() == (before[0], before[1] + 1, before[2])  # no ticket, no quarantine, one note
    assert len(mailoutbox) == sent_before  # nothing was sent
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING  # not reopened by the note
    row = BouncedAddress.objects.get(email="anna@customer.test")
    assert row.permanent and row.status == "5.1.1" and "User unknown" in row.diagnostic
    assert row.suppressed_until > timezone.now() + timedelta(days=59)
    assert "5.1.1" in address_suppressed("Anna@Customer.test")
    ledger = InboundMail.objects.get(message_key=result.message_key)
    assert (ledger.outcome, ledger.ticket_id, ledger.message_id) == (InboundOutcome.THREADED, ticket.pk, note.pk)
    assert ledger.automatic == "bounce:dsn"


@pytest.mark.django_db
@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_every_fixture_attaches_to_the_ticket_of_the_reply_it_reports(path, sent_reply, mailbox, mailoutbox):
    want = expected(path)
    ticket, reply = sent_reply(want["recipient"])
    before, sent_before = counts(), len(mailoutbox)
    result = inbound_ingest(raw=bounce_for(path, reply.external_message_id), mailbox=mailbox)
    assert (result.outcome, result.ticket_id) == ("threaded", ticket.pk), result
    assert counts() == (before[0], before[1] + 1, before[2]) and len(mailoutbox) == sent_before
    assert (address_suppressed(want["recipient"]) is not None) is want["permanent"]


@pytest.mark.django_db
def test_a_permanent_bounce_of_an_acknowledgement_suppresses_later_acknowledgements(
    mailbox, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SUPPORTLOOP_ACKS_PER_RECIPIENT_HOUR = 10  # the bounce, not the hourly limit, is what holds mail back
    with django_capture_on_commit_callbacks(execute=True):
        first = inbound_ingest(raw=customer_mail(mid="q1@customer.test", frm="anna@customer.test"), mailbox=mailbox)
    ack = AutoResponse.objects.get(ticket_id=first.ticket_id)
    assert ack.sent_at is not None and len(mailoutbox) == 1
    bounce = bounce_for(BOUNCES / "postfix__perm__5.1.1__anna@customer.test.eml", ack.message_id)
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(raw=bounce, mailbox=mailbox)
    assert result.ticket_id == first.ticket_id
    note = Message.objects.get(pk=result.message_id)
    assert "acknowledgement" in note.body_text
    with django_capture_on_commit_callbacks(execute=True):
        second = inbound_ingest(
            raw=customer_mail(mid="q2@customer.test", frm="anna@customer.test", subject="Another question"),
            mailbox=mailbox,
        )
    assert second.outcome == "ticket"
    assert len(mailoutbox) == 1  # no acknowledgement to a dead address
    assert "bounced permanently" in AutoResponse.objects.get(ticket_id=second.ticket_id).skipped_reason
    skipped = Event.objects.get(verb="mail.acknowledgement_skipped")
    assert skipped.target_id == str(second.ticket_id) and "bounced permanently" in skipped.changes["reason"][1]
    # An admin who knows the mailbox works again lifts it; the next ticket is acknowledged.
    address_suppression_lift(bounced=BouncedAddress.objects.get(email="anna@customer.test"), actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        inbound_ingest(
            raw=customer_mail(mid="q3@customer.test", frm="anna@customer.test", subject="Third"), mailbox=mailbox
        )
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_the_suppression_ends_after_sixty_days(mailbox, mailoutbox, settings):
    from supportloop.customers.services import address_bounce_record

    address_bounce_record(
        email="old@customer.test", permanent=True, status="5.1.1", at=timezone.now() - timedelta(days=61)
    )
    assert address_suppressed("old@customer.test") is None
    address_bounce_record(
        email="new@customer.test", permanent=True, status="5.1.1", at=timezone.now() - timedelta(days=59)
    )
    assert address_suppressed("new@customer.test") is not None


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.SOLVED, Status.CLOSED])
def test_a_bounce_never_reopens_a_solved_or_closed_ticket(
    status, sent_reply, mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    """An Exchange NDR as a provider webhook delivers it: no Return-Path, sent by MicrosoftExchange…@, answering
    our reply by In-Reply-To. Taken for the customer's answer, it reopened the ticket (or opened a follow-up
    to a closed one and acknowledged the mail server)."""
    ticket, reply = sent_reply("gus@customer.test")
    ticket_update(ticket=ticket, actor=None, status=status)
    tickets_before, sent_before = Ticket.objects.count(), len(mailoutbox)
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(
            raw=bounce_for(
                BOUNCES / "exchange-ndr-webhook__perm__5.1.1__gus@customer.test.eml", reply.external_message_id
            ),
            mailbox=mailbox,
            source=InboundSource.WEBHOOK,
        )
    ticket.refresh_from_db()
    assert ticket.status == status and result.ticket_id == ticket.pk
    assert Ticket.objects.count() == tickets_before and len(mailoutbox) == sent_before
    assert Message.objects.get(pk=result.message_id).author_type == AuthorType.SYSTEM


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "amazonses-sns__perm__5.1.1__mia@customer.test.eml",
        "exchange-ndr-webhook__perm__5.1.1__gus@customer.test.eml",
        "mdaemon__perm__5.1.1__quinn@customer.test.eml",
    ],
)
def test_a_bounce_of_unknown_origin_creates_no_ticket_and_sends_nothing(
    name, mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    raw = (BOUNCES / name).read_bytes().replace(b"Auto-Submitted: auto-replied\n", b"")
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(raw=raw, mailbox=mailbox, source=InboundSource.WEBHOOK)
    assert (result.outcome, result.reason) == ("quarantined", QuarantineReason.BOUNCE)
    assert Ticket.objects.count() == 0 and mailoutbox == []
    assert address_suppressed(expected(BOUNCES / name)["recipient"]) is not None


@pytest.mark.django_db
def test_an_unmatched_bounce_is_quarantined_with_what_was_read(mailbox, mailoutbox, django_capture_on_commit_callbacks):
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(
            raw=(BOUNCES / "exim__perm__5.1.1__bob@customer.test.eml").read_bytes(), mailbox=mailbox
        )
    assert (result.outcome, result.reason) == ("quarantined", QuarantineReason.BOUNCE)
    assert counts() == (before[0], before[1], before[2] + 1) and mailoutbox == []
    row = Quarantine.objects.get(pk=result.quarantine_id)
    assert "permanent: bob@customer.test: 550 5.1.1" in row.detail and "User unknown" in row.detail
    assert "orig-exim@example.test" in row.detail
    assert address_suppressed("bob@customer.test") is not None  # suppression applies all the same
    # The same bounce again is a duplicate, not a second record.
    assert (
        inbound_ingest(raw=(BOUNCES / "exim__perm__5.1.1__bob@customer.test.eml").read_bytes(), mailbox=mailbox).outcome
        == "duplicate"
    )
    assert BouncedAddress.objects.get(email="bob@customer.test").bounce_count == 1


@pytest.mark.django_db
def test_a_bounce_from_mailer_daemon_without_an_address_is_still_a_bounce(mailbox, mailoutbox):
    """DragonFly writes `From: MAILER-DAEMON <>`: no sender address, which alone would quarantine as no_sender."""
    result = inbound_ingest(
        raw=(BOUNCES / "dragonfly__perm__5.1.1__abel@customer.test.eml").read_bytes(), mailbox=mailbox
    )
    assert (result.outcome, result.reason) == ("quarantined", "bounce") and Ticket.objects.count() == 0
    assert address_suppressed("abel@customer.test") is not None


@pytest.mark.django_db
def test_a_temporary_failure_is_only_noted(sent_reply, mailbox, mailoutbox):
    _ticket, reply = sent_reply("slow@customer.test")
    result = inbound_ingest(
        raw=bounce_for(BOUNCES / "postfix-delayed__temp__4.4.1__slow@customer.test.eml", reply.external_message_id),
        mailbox=mailbox,
    )
    note = Message.objects.get(pk=result.message_id)
    assert "slow@customer.test failed temporarily (4.4.1)" in note.body_text and "suppressed" not in note.body_text
    row = BouncedAddress.objects.get(email="slow@customer.test")
    assert not row.permanent and row.suppressed_until is None and address_suppressed("slow@customer.test") is None


@pytest.mark.django_db
def test_a_temporary_bounce_does_not_overwrite_a_suppression_in_force():
    from supportloop.customers.services import address_bounce_record

    address_bounce_record(email="x@customer.test", permanent=True, status="5.1.1", diagnostic="User unknown")
    row = address_bounce_record(email="x@customer.test", permanent=False, status="4.2.2", diagnostic="Over quota")
    assert row.permanent and row.status == "5.1.1" and row.bounce_count == 2 and row.suppressed_until is not None


@pytest.mark.django_db
def test_ticket_header_alone_attaches_only_when_the_failed_address_is_on_that_ticket(sent_reply, mailbox):
    """X-Supportloop-Ticket is guessable: a forged bounce naming a ticket must not write on it."""
    ticket, _reply = sent_reply("leo@customer.test")
    raw = (BOUNCES / "amazonses__perm__5.1.1__leo@customer.test.eml").read_bytes()
    raw = raw.replace(b"X-Supportloop-Ticket: 1", f"X-Supportloop-Ticket: {ticket.number}".encode())
    assert inbound_ingest(raw=raw, mailbox=mailbox).ticket_id == ticket.pk  # leo is the requester
    forged = raw.replace(b"leo@customer.test", b"mallory@elsewhere.test").replace(b"orig-amazonses", b"forged")
    result = inbound_ingest(raw=forged.replace(b"Message-ID: <0100", b"Message-ID: <0200"), mailbox=mailbox)
    assert result.outcome == "quarantined" and result.ticket_id is None


@pytest.mark.django_db
def test_agent_replies_to_a_bounced_address_are_still_sent(
    sent_reply, mailbox, mailoutbox, make_user, django_capture_on_commit_callbacks
):
    ticket, reply = sent_reply("anna@customer.test")
    inbound_ingest(
        raw=bounce_for(BOUNCES / "postfix__perm__5.1.1__anna@customer.test.eml", reply.external_message_id),
        mailbox=mailbox,
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=make_user("agent"), body="Trying once more.")
    assert [m.to for m in mailoutbox] == [["anna@customer.test"]]


@pytest.mark.django_db
def test_both_ingest_paths_record_a_bounce_the_same_way(sent_reply, mailbox, mailoutbox):
    ticket, reply = sent_reply("anna@customer.test")
    raw = bounce_for(BOUNCES / "postfix__perm__5.1.1__anna@customer.test.eml", reply.external_message_id)
    unknown = (BOUNCES / "qmail__perm__5.1.1__erin@customer.test.eml").read_bytes()
    before = counts()
    results = inbound_ingest_batch(
        [(1, raw), (2, unknown), (3, customer_mail(mid="b3@x.test", frm="z@x.test"))],
        mailbox=mailbox,
        source=InboundSource.IMAP,
        ours={"support@example.test"},
    )
    assert [(r.outcome, r.reason) for r in results] == [
        ("threaded", "bounce"),
        ("quarantined", "bounce"),
        ("ticket", ""),
    ]
    assert results[0].ticket_id == ticket.pk
    assert counts() == (before[0] + 1, before[1] + 2, before[2] + 1)
    assert address_suppressed("anna@customer.test") and address_suppressed("erin@customer.test")


@pytest.mark.django_db
def test_the_contact_api_and_page_show_the_bounce(sent_reply, mailbox, client, make_user):
    from supportloop.api.schemas.customers import ContactOut

    ticket, reply = sent_reply("anna@customer.test")
    inbound_ingest(
        raw=bounce_for(BOUNCES / "postfix__perm__5.1.1__anna@customer.test.eml", reply.external_message_id),
        mailbox=mailbox,
    )
    out = ContactOut.from_contact(contact_get(contact_id=ticket.requester_id))
    [bounce] = out["bounced_emails"]
    assert bounce["email"] == "anna@customer.test" and bounce["status"] == "5.1.1" and bounce["permanent"]
    assert bounce["suppressed_until"] is not None and "User unknown" in bounce["diagnostic"]
    client.force_login(make_user("agent"))
    page = client.get(f"/customers/contacts/{ticket.requester_id}/").content.decode()
    assert "bounced" in page and "5.1.1" in page
    page = client.get(f"/t/{ticket.number}/").content.decode()
    assert "anna@customer.test bounced" in page


@pytest.mark.django_db
def test_a_bounced_close_the_loop_notice_is_noted_on_its_originating_ticket(sent_reply, mailbox, make_user):
    from supportloop.feedback.models import ClosingNotice
    from supportloop.feedback.services.items import feedback_item_create

    ticket, _reply = sent_reply("leo@customer.test")
    item = feedback_item_create(kind="feature_request", title="Dark mode", actor=make_user("product"))
    # The row close_the_loop_send leaves for a notice it sent (the notice itself carries no Message-ID of ours).
    ClosingNotice.objects.create(
        item=item, contact=ticket.requester, kind="shipped", status="sent", email="leo@customer.test", ticket=ticket
    )
    raw = (
        (BOUNCES / "amazonses__perm__5.1.1__leo@customer.test.eml")
        .read_bytes()
        .replace(b"X-Supportloop-Ticket: 1", f"X-Supportloop-Feedback: {item.reference}".encode())
    )
    result = inbound_ingest(raw=raw, mailbox=mailbox)
    assert (result.outcome, result.ticket_id) == ("threaded", ticket.pk)
    assert "close-the-loop notice" in Message.objects.get(pk=result.message_id).body_text
    assert address_suppressed("leo@customer.test") is not None
