"""Threading, the closed-ticket rule, Cc followers, loops, rate limits, auto-responses and quarantine release."""

from __future__ import annotations

import pytest

from supportloop.core.models import Event
from supportloop.customers.services import company_create
from supportloop.mail.choices import ClosedTicketRule, QuarantineReason
from supportloop.mail.models import AutoResponse, InboundMail, Quarantine, TicketMailbox
from supportloop.mail.services import inbound_ingest, mailbox_update, quarantine_release
from supportloop.tickets.choices import Channel, Status
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import ticket_update
from supportloop_testing.mail import raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(mailbox):
    result = inbound_ingest(raw=raw_mail(mid="root@acme.test", subject="Printer"), mailbox=mailbox)
    return Ticket.objects.get(pk=result.ticket_id)


def test_new_mail_creates_contact_company_ticket_and_mailbox_link(mailbox):
    company = company_create(name="Acme", domains=["acme.test"])
    result = inbound_ingest(raw=raw_mail(mid="a@acme.test", frm="Anna A <anna@acme.test>"), mailbox=mailbox)
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert (ticket.requester.name, ticket.company_id, ticket.channel) == ("Anna A", company.pk, Channel.EMAIL)
    assert TicketMailbox.objects.get(ticket=ticket).mailbox == mailbox
    assert InboundMail.objects.get().outcome == "ticket"


def test_reply_by_references_threads_even_with_another_subject(ticket, mailbox):
    result = inbound_ingest(
        raw=raw_mail(mid="r@acme.test", subject="totally different", extra="References: <x@y> <root@acme.test>\r\n"),
        mailbox=mailbox,
    )
    assert (result.outcome, result.ticket_id) == ("threaded", ticket.pk)


def test_same_subject_alone_never_threads(ticket, mailbox):
    result = inbound_ingest(raw=raw_mail(mid="s@acme.test", subject="Printer"), mailbox=mailbox)
    assert result.outcome == "ticket" and result.ticket_id != ticket.pk


def test_subject_token_threads_for_colleague_of_same_company_only(mailbox):
    company_create(name="Acme", domains=["acme.test"])
    first = Ticket.objects.get(pk=inbound_ingest(raw=raw_mail(mid="c1@acme.test"), mailbox=mailbox).ticket_id)
    colleague = inbound_ingest(
        raw=raw_mail(mid="c2@acme.test", frm="bob@acme.test", subject=f"Re: Hello [#{first.number}]"), mailbox=mailbox
    )
    stranger = inbound_ingest(
        raw=raw_mail(mid="c3@evil.test", frm="eve@evil.test", subject=f"Re: Hello [#{first.number}]"), mailbox=mailbox
    )
    assert colleague.ticket_id == first.pk and colleague.outcome == "threaded"
    assert stranger.outcome == "ticket" and stranger.ticket_id != first.pk
    first.refresh_from_db()
    assert first.followers == []  # a guessable token adds a message, never a follower (issue 10)


def test_plus_address_threads(ticket, mailbox):
    result = inbound_ingest(
        raw=raw_mail(mid="p@acme.test", to=f"support+{ticket.number}@example.test"), mailbox=mailbox
    )
    assert (result.outcome, result.ticket_id) == ("threaded", ticket.pk)


def test_reply_to_solved_ticket_reopens_it(ticket, mailbox):
    ticket_update(ticket=ticket, actor=None, status=Status.SOLVED)
    inbound_ingest(raw=raw_mail(mid="re@acme.test", extra="In-Reply-To: <root@acme.test>\r\n"), mailbox=mailbox)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN and ticket.message_count == 2


def test_reply_to_closed_ticket_opens_linked_follow_up_by_default(ticket, mailbox):
    ticket_update(ticket=ticket, actor=None, status=Status.CLOSED)
    result = inbound_ingest(
        raw=raw_mail(mid="late@acme.test", extra="In-Reply-To: <root@acme.test>\r\n"), mailbox=mailbox
    )
    follow_up = Ticket.objects.get(pk=result.ticket_id)
    assert result.outcome == "ticket" and follow_up.follow_up_of_id == ticket.pk
    assert TicketMailbox.objects.get(ticket=follow_up).mailbox == mailbox
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.message_count == 1
    assert Event.objects.filter(verb="ticket.follow_up_linked", target_id=str(follow_up.pk)).count() == 1


def test_reply_to_closed_ticket_reopens_when_configured(ticket, mailbox):
    mailbox_update(mailbox=mailbox, closed_ticket_rule=ClosedTicketRule.REOPEN)
    ticket_update(ticket=ticket, actor=None, status=Status.CLOSED)
    result = inbound_ingest(
        raw=raw_mail(mid="late@acme.test", extra="In-Reply-To: <root@acme.test>\r\n"), mailbox=mailbox
    )
    ticket.refresh_from_db()
    assert (result.outcome, result.ticket_id, ticket.status) == ("threaded", ticket.pk, Status.OPEN)


def test_auto_reply_on_ticket_is_recorded_without_reopening_or_answer(
    ticket, mailbox, django_capture_on_commit_callbacks
):
    ticket_update(ticket=ticket, actor=None, status=Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(
            raw=raw_mail(
                mid="ooo@acme.test", extra="In-Reply-To: <root@acme.test>\r\nAuto-Submitted: auto-replied\r\n"
            ),
            mailbox=mailbox,
        )
    ticket.refresh_from_db()
    assert result.outcome == "threaded" and ticket.status == Status.PENDING
    assert InboundMail.objects.get(message_key="ooo@acme.test").automatic == "auto-submitted:auto-replied"


def test_cc_and_to_become_followers_excluding_our_mailboxes_and_requester(mailbox, settings):
    settings.SUPPORTLOOP_AUTHSERV_ID = ["mx.example.test"]  # authenticated: followers join without a proposal
    result = inbound_ingest(
        raw=raw_mail(
            mid="cc@acme.test",
            to="support@example.test, Dan <dan@acme.test>",
            extra="Cc: Anna <ANNA@acme.test>, support+5@example.test, eve@x.test\r\n"
            "Authentication-Results: mx.example.test; dmarc=pass header.from=acme.test"
            "\r\n",
        ),
        mailbox=mailbox,
    )
    assert Ticket.objects.get(pk=result.ticket_id).followers == ["dan@acme.test", "eve@x.test"]


def test_rate_limit_quarantines_the_sender_after_the_limit(mailbox):
    mailbox_update(mailbox=mailbox, rate_limit_messages=3, rate_limit_window_minutes=60)
    outcomes = [
        inbound_ingest(raw=raw_mail(mid=f"loop{i}@acme.test", subject=f"n{i}"), mailbox=mailbox).outcome
        for i in range(5)
    ]
    assert outcomes == ["ticket", "ticket", "ticket", "quarantined", "quarantined"]
    assert Quarantine.objects.filter(reason=QuarantineReason.RATE_LIMITED).count() == 2
    # Others are not affected.
    assert inbound_ingest(raw=raw_mail(mid="o@x.test", frm="other@x.test"), mailbox=mailbox).outcome == "ticket"


def test_acknowledgement_sent_once_in_contact_language_and_never_to_lists(
    mailbox, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ru = inbound_ingest(
            raw=raw_mail(
                mid="ru@x.test", frm="ivan@x.test", subject="Вопрос", body="Здравствуйте, у меня вопрос по счёту."
            ),
            mailbox=mailbox,
        )
        inbound_ingest(
            raw=raw_mail(mid="list@x.test", frm="list@x.test", extra="List-Id: <l.x.test>\r\n"), mailbox=mailbox
        )
        inbound_ingest(raw=raw_mail(mid="bulk@x.test", frm="b@x.test", extra="Precedence: bulk\r\n"), mailbox=mailbox)
    assert len(mailoutbox) == 1
    ack = mailoutbox[0]
    number = Ticket.objects.get(pk=ru.ticket_id).number
    assert ack.to == ["ivan@x.test"] and ack.subject == f"[#{number}] Мы получили ваше обращение: Вопрос"
    assert "https://help.example.test/" in ack.body and "one business day" in ack.body
    assert ack.extra_headers["Auto-Submitted"] == "auto-replied"
    assert ack.extra_headers["In-Reply-To"] == "<ru@x.test>"
    assert AutoResponse.objects.get().language == "ru"
    # The task running twice sends nothing more.
    from supportloop.mail.services import autoresponse_send

    assert autoresponse_send(ticket_id=ru.ticket_id) is None and len(mailoutbox) == 1


def test_acknowledgements_are_capped_per_sender(mailbox, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            inbound_ingest(raw=raw_mail(mid=f"n{i}@x.test", frm="chatty@x.test", subject=f"s{i}"), mailbox=mailbox)
    assert len(mailoutbox) == 1  # SUPPORTLOOP_ACKS_PER_RECIPIENT_HOUR (3 before issue 10)


def test_custom_template_override(mailbox, mailoutbox, django_capture_on_commit_callbacks):
    mailbox_update(mailbox=mailbox, autoresponder_templates={"en": {"subject": "Got #{{ ticket_number }}"}})
    with django_capture_on_commit_callbacks(execute=True):
        result = inbound_ingest(raw=raw_mail(mid="t@x.test", frm="t@x.test"), mailbox=mailbox)
    assert mailoutbox[0].subject == f"Got #{Ticket.objects.get(pk=result.ticket_id).number}"


def test_our_own_sent_message_coming_back_is_a_duplicate(ticket, mailbox, make_user):
    from supportloop.tickets.services import ticket_reply

    reply = ticket_reply(ticket=ticket, actor=make_user("agent"), body="hi")
    Message.objects.filter(pk=reply.pk).update(external_message_id="ours@example.test")
    result = inbound_ingest(raw=raw_mail(mid="ours@example.test", frm="support@example.test"), mailbox=mailbox)
    assert result.outcome == "duplicate" and not Quarantine.objects.exists()


def test_release_from_quarantine_creates_ticket_once(mailbox, make_user):
    result = inbound_ingest(
        raw=raw_mail(mid="auto@x.test", frm="x@x.test", extra="Auto-Submitted: auto-generated\r\n"), mailbox=mailbox
    )
    row = Quarantine.objects.get(pk=result.quarantine_id)
    assert row.reason == QuarantineReason.AUTO_REPLY
    admin = make_user("admin")
    released = quarantine_release(quarantine=row, actor=admin)
    row.refresh_from_db()
    assert released.outcome == "ticket" and row.released_ticket_id == released.ticket_id and row.released_at
    assert InboundMail.objects.get(message_key="auto@x.test").outcome == "ticket"
    from supportloop.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        quarantine_release(quarantine=row, actor=admin)
    assert Ticket.objects.count() == 1


def test_ingest_of_one_message_costs_a_bounded_number_of_queries(mailbox, django_assert_max_num_queries):
    inbound_ingest(raw=raw_mail(mid="warm@x.test", frm="w@x.test"), mailbox=mailbox)
    # 30 on SQLite: 23 plus the search index of the new contact and ticket in the same transaction (a read and an
    # upsert each, and the FTS5 replace); 47 before one savepoint per message, 16 then.
    with django_assert_max_num_queries(30):
        inbound_ingest(raw=raw_mail(mid="q@x.test", frm="q@x.test"), mailbox=mailbox)
