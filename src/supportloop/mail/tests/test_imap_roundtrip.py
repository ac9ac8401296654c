"""Round trips against real servers: Dovecot IMAP in, aiosmtpd SMTP out."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from supportloop.mail.imap import mailbox_poll
from supportloop.mail.models import InboundMail, Mailbox
from supportloop.tickets.choices import Channel, DeliveryStatus
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import ticket_reply
from supportloop_testing.mail import raw_mail

pytestmark = [pytest.mark.mailserver, pytest.mark.django_db]


def customer_mail(
    *,
    message_id: str,
    subject: str = "Printer on fire",
    body: str = "It smokes.",
    in_reply_to: str = "",
    cc: str = "",
    sender: str = "anna@acme.test",
    authenticated_by: str = "",
) -> bytes:
    trace = (
        f"Authentication-Results: {authenticated_by}; dkim=pass header.d=acme.test; dmarc=pass "
        "header.from=acme.test\r\n"
        if authenticated_by
        else ""
    )
    return raw_mail(
        message_id,
        frm=f"Anna Customer <{sender}>",
        to="Example Support <support@example.test>",
        cc=cc,
        subject=subject,
        body=body,
        extra=trace,
        in_reply_to=in_reply_to,
        date="Mon, 23 Nov 2026 10:00:00 +0000",
    )


def test_customer_mail_agent_reply_and_customer_reply_thread_into_one_ticket(
    imap_mailbox, dovecot, smtp, make_user, django_capture_on_commit_callbacks, settings
):
    settings.SUPPORTLOOP_AUTHSERV_ID = ["mx.example.test"]  # our MTA vouches for the sender: Cc joins at once
    dovecot.append(
        imap_mailbox.imap_user,
        customer_mail(message_id="first@acme.test", cc="bob@acme.test", authenticated_by="mx.example.test"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        stats = mailbox_poll(imap_mailbox)
    assert (stats.fetched, stats.tickets, stats.quarantined) == (1, 1, 0)
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.EMAIL and ticket.subject == "Printer on fire"
    assert ticket.followers == ["bob@acme.test"]
    assert ticket.mailbox_link.mailbox_id == imap_mailbox.pk
    # The acknowledgement went out over real SMTP.
    assert len(smtp.messages) == 1
    ack = message_from_bytes(smtp.messages[0]["data"], policy=policy.default)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert f"[#{ticket.number}]" in ack["Subject"]
    assert ack["In-Reply-To"] == "<first@acme.test>"
    smtp.messages.clear()

    # The message is seen on the server only now, and the UID moved on.
    client = dovecot.client(imap_mailbox.imap_user)
    client.select_folder("INBOX")
    assert client.search(["SEEN"]) == [1] and client.search(["UNSEEN"]) == []
    client.logout()
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 1 and imap_mailbox.imap_uidvalidity

    agent = make_user("agent")
    agent.signature = "Sam from Support"
    agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=agent, body="Please unplug it.")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT, reply.delivery_error
    assert len(smtp.messages) == 1
    sent = smtp.messages[0]
    assert sent["from"] == "support@example.test"
    assert sorted(sent["to"]) == ["anna@acme.test", "bob@acme.test"]
    out = message_from_bytes(sent["data"], policy=policy.default)
    assert out["Message-ID"] == f"<{reply.external_message_id}>"
    assert out["In-Reply-To"] == "<first@acme.test>"
    assert out["References"] == "<first@acme.test>"
    assert out["Cc"] == "bob@acme.test"
    assert out["Subject"] == f"Re: Printer on fire [#{ticket.number}]"
    text = out.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert "Please unplug it." in text and "-- \nSam from Support" in text
    smtp.messages.clear()

    # The customer answers the agent's message; it threads by In-Reply-To.
    dovecot.append(
        imap_mailbox.imap_user,
        customer_mail(
            message_id="second@acme.test",
            subject="Re: something else entirely",
            in_reply_to=reply.external_message_id,
            body="Unplugged, thanks!\r\n\r\nOn Mon, Nov 23, 2026 at 11:00 AM Support <support@example.test> wrote:\r\n"
            "> Please unplug it.\r\n",
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        stats = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert (stats.fetched, stats.threaded, stats.tickets) == (1, 1, 0)
    assert Ticket.objects.count() == 1
    last = Message.objects.filter(ticket=ticket).order_by("-id").first()
    assert last.external_message_id == "second@acme.test"
    assert last.body_text == "Unplugged, thanks!"
    assert "> Please unplug it." in last.body_original
    assert smtp.messages == []  # no acknowledgement for a reply

    # Polling again fetches nothing new and creates nothing.
    stats = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert stats.fetched == 0 and InboundMail.objects.count() == 2


@pytest.mark.django_db(transaction=True)  # real commits: the acknowledgements are collected on commit
def test_a_polled_batch_is_acknowledged_once_per_new_ticket_by_one_task(imap_mailbox, dovecot, smtp):
    from django_tasks.signals import task_enqueued

    from supportloop.mail import tasks

    enqueued = []

    def record(sender, task_result, **kwargs):
        enqueued.append((task_result.task.name, task_result.args, task_result.kwargs))

    task_enqueued.connect(record, weak=False)
    for i in range(3):
        dovecot.append(
            imap_mailbox.imap_user,
            customer_mail(message_id=f"a{i}@acme.test", subject=f"Case {i}", sender=f"customer{i}@acme.test"),
        )
    dovecot.append(
        imap_mailbox.imap_user,
        customer_mail(message_id="a9@acme.test", in_reply_to="a0@acme.test", sender="customer0@acme.test"),
    )
    try:
        stats = mailbox_poll(imap_mailbox)
    finally:
        task_enqueued.disconnect(record)
    assert (stats.tickets, stats.threaded) == (3, 1)
    numbers = sorted(Ticket.objects.values_list("number", flat=True))
    ticket_ids = sorted(Ticket.objects.values_list("pk", flat=True))
    assert enqueued == [("autoresponses_send_task", [], {"ticket_ids": ticket_ids})]
    acknowledged = sorted(
        int(message_from_bytes(m["data"], policy=policy.default)["X-Supportloop-Ticket"]) for m in smtp.messages
    )
    assert acknowledged == numbers  # one each, none for the reply
    # Running the task again (a retry) sends nothing twice.
    smtp.messages.clear()
    assert tasks.autoresponses_send_task.call(ticket_ids=ticket_ids) == 0 and smtp.messages == []


def test_repoll_after_lost_seen_flags_is_idempotent(imap_mailbox, dovecot, django_capture_on_commit_callbacks):
    for i in range(3):
        dovecot.append(imap_mailbox.imap_user, customer_mail(message_id=f"m{i}@acme.test", subject=f"Case {i}"))
    mailbox_poll(imap_mailbox)
    assert Ticket.objects.count() == 3
    # Simulate a crash before the flags were stored and a reset UID (e.g. UIDVALIDITY change).
    Mailbox.objects.filter(pk=imap_mailbox.pk).update(imap_last_uid=0)
    stats = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk))
    assert (stats.fetched, stats.duplicates, stats.tickets) == (3, 3, 0)
    assert Ticket.objects.count() == 3 and Message.objects.count() == 3


def test_agent_reply_send_failure_is_retried_then_visible(
    imap_mailbox, make_user, make_ticket, settings, django_capture_on_commit_callbacks
):
    from supportloop_testing.net import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nobody listens
    ticket = make_ticket(requester_email="anna@acme.test", channel=Channel.EMAIL)
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=make_user("agent"), body="Answer")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "ConnectionRefusedError" in reply.delivery_error
    assert reply.mail_delivery.attempts == 5


def test_whole_corpus_through_imap_loses_nothing(imap_mailbox, dovecot, settings, make_ticket):
    from pathlib import Path

    from supportloop.mail.models import Quarantine
    from supportloop.mail.services import mailbox_update

    settings.SUPPORTLOOP_MAX_ATTACHMENT_BYTES = 200_000
    mailbox_update(mailbox=imap_mailbox, rate_limit_messages=0)  # the corpus is mostly one sender
    make_ticket(
        "Printer on fire",
        body="It smokes",
        requester_email="anna@acme.test",
        channel=Channel.EMAIL,
        external_message_id="root@corpus.test",
    )
    # An empty file cannot be a message in a mailbox (IMAP APPEND needs at least one byte).
    files = [f for f in sorted((Path(__file__).parent / "corpus").glob("*.eml")) if f.stat().st_size]
    client = dovecot.client(imap_mailbox.imap_user)
    for f in files:
        client.append("INBOX", f.read_bytes())
    client.logout()
    expected = {"ticket": 0, "threaded": 0, "quarantined": 0}
    for f in files:
        expected[f.name.split("__")[0].split("-")[0]] += 1

    stats = mailbox_poll(Mailbox.objects.get(pk=imap_mailbox.pk), batch_size=25)
    assert stats.error == "" and stats.fetched == len(files)
    assert (stats.tickets, stats.threaded, stats.quarantined, stats.duplicates) == (
        expected["ticket"],
        expected["threaded"],
        expected["quarantined"],
        0,
    )
    assert Ticket.objects.count() == 1 + expected["ticket"]
    assert Message.objects.count() == 1 + expected["ticket"] + expected["threaded"]
    assert Quarantine.objects.count() == expected["quarantined"] and InboundMail.objects.count() == len(files)
    client = dovecot.client(imap_mailbox.imap_user)
    client.select_folder("INBOX")
    assert client.search(["UNSEEN"]) == []
    client.logout()
