"""Outbound replies: headers that thread, Cc handling, attachments, idempotency, failure state."""

from __future__ import annotations

import pytest

from supportloop.mail.models import OutboundDelivery
from supportloop.mail.services import inbound_ingest, message_deliver
from supportloop.mail.services.outbound import thread_headers
from supportloop.tickets.choices import DeliveryStatus
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import ticket_reply
from supportloop.tickets.services.tickets import IncomingFile
from supportloop_testing.mail import raw_mail

pytestmark = pytest.mark.django_db


def mail(mid: str, **kw) -> bytes:
    return raw_mail(mid, subject="Invoice", body=f"Body of {mid}", ctype=None, **kw)


def test_references_list_every_earlier_id_and_in_reply_to_the_latest_customer_message(
    mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = Ticket.objects.get(pk=inbound_ingest(raw=mail("c1@acme.test"), mailbox=mailbox).ticket_id)
    agent = make_user("agent")
    with django_capture_on_commit_callbacks(execute=True):
        first = ticket_reply(ticket=ticket, actor=agent, body="First answer")
    first.refresh_from_db()
    inbound_ingest(raw=mail("c2@acme.test", extra=f"In-Reply-To: <{first.external_message_id}>\r\n"), mailbox=mailbox)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = ticket_reply(
            ticket=ticket,
            actor=agent,
            body="Second answer",
            attachments=[IncomingFile("log.txt", b"log line", "text/plain")],
        )
    second.refresh_from_db()
    assert thread_headers(second) == ("c2@acme.test", ["c1@acme.test", first.external_message_id, "c2@acme.test"])
    sent = mailoutbox[-1]
    assert sent.extra_headers["In-Reply-To"] == "<c2@acme.test>"
    assert sent.extra_headers["References"] == f"<c1@acme.test> <{first.external_message_id}> <c2@acme.test>"
    assert sent.attachments == [("log.txt", "log line", "text/plain")]
    assert sent.from_email.endswith("<support@example.test>")
    # Running the task again sends nothing more.
    assert message_deliver(message_id=second.pk) is False and len(mailoutbox) == 1
    assert OutboundDelivery.objects.get(message=second).attempts == 1


def test_cc_per_reply_overrides_followers_and_never_copies_our_mailboxes(
    mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    from supportloop.mail.models import FollowerProposal
    from supportloop.mail.services.followers import follower_proposal_accept

    ticket = Ticket.objects.get(
        pk=inbound_ingest(raw=mail("c1@acme.test", cc="bob@acme.test"), mailbox=mailbox).ticket_id
    )
    follower_proposal_accept(proposal=FollowerProposal.objects.get(ticket=ticket), actor=make_user("agent"))
    ticket.refresh_from_db()
    assert ticket.followers == ["bob@acme.test"]
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(
            ticket=ticket,
            actor=make_user("agent"),
            body="To Anna and Carol",
            cc=["carol@acme.test", "support@example.test"],
        )
    assert mailoutbox[-1].to == ["anna@acme.test"] and mailoutbox[-1].cc == ["carol@acme.test"]


def test_reply_goes_to_the_address_the_customer_last_wrote_from(
    mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    from supportloop.customers.services import contact_update

    ticket = Ticket.objects.get(pk=inbound_ingest(raw=mail("c1@acme.test"), mailbox=mailbox).ticket_id)
    contact_update(contact=ticket.requester, emails=["anna@acme.test", "anna@home.test"])
    inbound_ingest(
        raw=mail("c2@home.test", frm="anna@home.test", extra="In-Reply-To: <c1@acme.test>\r\n"), mailbox=mailbox
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=make_user("agent"), body="Hi")
    assert mailoutbox[-1].to == ["anna@home.test"]
    assert Message.objects.get(pk=reply.pk).delivery_status == DeliveryStatus.SENT


def test_a_failed_attempt_is_rescheduled_with_backoff_on_a_scheduling_backend(mailbox, make_user, settings):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import default_task_backend

    from supportloop.mail.tasks import message_send_task
    from supportloop_testing.net import free_port

    ticket = Ticket.objects.get(pk=inbound_ingest(raw=mail("c1@acme.test"), mailbox=mailbox).ticket_id)
    reply = ticket_reply(ticket=ticket, actor=make_user("agent"), body="Hi")  # on_commit not run: nothing sent
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2
    before = timezone.now()
    assert message_send_task.call(message_id=reply.pk) is False
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.PENDING
    assert reply.delivery_error.startswith("attempt 1 of 5 failed, retrying: ConnectionRefusedError")
    [queued] = default_task_backend.results
    assert queued.kwargs == {"message_id": reply.pk, "attempt": 2}
    assert before + timedelta(seconds=29) < queued.task.run_after < timezone.now() + timedelta(seconds=31)


def _unreachable_smtp(settings):
    from supportloop_testing.net import free_port

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2


def test_a_failed_acknowledgement_is_retried_with_backoff_and_the_same_message_id(mailbox, settings, mailoutbox):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks import default_task_backend

    from supportloop.mail.models import AutoResponse
    from supportloop.mail.tasks import autoresponse_send_task

    ticket_id = inbound_ingest(raw=mail("ack1@acme.test"), mailbox=mailbox).ticket_id  # on_commit not run
    _unreachable_smtp(settings)
    before = timezone.now()
    assert autoresponse_send_task.call(ticket_id=ticket_id) is False
    row = AutoResponse.objects.get(ticket_id=ticket_id)
    assert (row.sent_at, row.attempts) == (None, 1)
    assert row.error.startswith("attempt 1 of 5 failed, retrying: ConnectionRefusedError")
    [queued] = default_task_backend.results
    assert queued.kwargs == {"ticket_id": ticket_id, "attempt": 2}
    assert before + timedelta(seconds=29) < queued.task.run_after < timezone.now() + timedelta(seconds=31)
    # The server is back: the retry sends it, once, with the Message-ID chosen the first time.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert autoresponse_send_task.call(**queued.kwargs) is True
    row.refresh_from_db()
    assert (row.attempts, row.error) == (2, "") and row.sent_at is not None
    [ack] = mailoutbox
    assert ack.extra_headers["Message-ID"] == f"<{row.message_id}>"
    assert autoresponse_send_task.call(ticket_id=ticket_id, attempt=3) is False and len(mailoutbox) == 1


def test_an_acknowledgement_gives_up_after_the_last_attempt(mailbox, settings):
    from django_tasks import default_task_backend

    from supportloop.mail.models import AutoResponse
    from supportloop.mail.services.outbound import MAX_ATTEMPTS
    from supportloop.mail.tasks import autoresponses_send_task

    first = inbound_ingest(raw=mail("ack2@acme.test"), mailbox=mailbox).ticket_id
    second = inbound_ingest(raw=mail("ack3@acme.test", frm="bob@acme.test"), mailbox=mailbox).ticket_id
    _unreachable_smtp(settings)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        autoresponses_send_task.call(ticket_ids=[first, second], attempt=attempt)
    rows = AutoResponse.objects.filter(ticket_id__in=[first, second])
    assert {(r.attempts, r.sent_at) for r in rows} == {(MAX_ATTEMPTS, None)}
    assert all(r.error.startswith("ConnectionRefusedError") for r in rows)  # final: no "retrying"
    # Every failed attempt but the last scheduled the failed ones together, with the next attempt number.
    assert [r.kwargs for r in default_task_backend.results] == [
        {"ticket_ids": [first, second], "attempt": n} for n in range(2, MAX_ATTEMPTS + 1)
    ]


def test_two_runs_of_an_acknowledgement_at_once_send_it_once(mailbox, mailoutbox, monkeypatch):
    from supportloop.mail.models import AutoResponse
    from supportloop.mail.services import outbound

    ticket_id = inbound_ingest(raw=mail("ack4@acme.test"), mailbox=mailbox).ticket_id
    real_send = outbound._send
    second = []

    def send_while_another_run_starts(email):
        # The task was delivered twice: the second run starts while the first is talking to the SMTP server.
        if not second:
            second.append(outbound.autoresponse_send(ticket_id=ticket_id))
        real_send(email)

    monkeypatch.setattr(outbound, "_send", send_while_another_run_starts)
    row = outbound.autoresponse_send(ticket_id=ticket_id)
    assert second == [None] and row.sent_at is not None
    assert len(mailoutbox) == 1 and AutoResponse.objects.get(ticket_id=ticket_id).attempts == 1
