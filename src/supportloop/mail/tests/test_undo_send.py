"""Undo send and mail: a held reply leaves only after its hold; a withdrawn one never leaves."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.mail.services import inbound_ingest
from supportloop.mail.services.outbound import held_replies_due, message_deliver
from supportloop.mail.tasks import held_replies_due_period, held_replies_enqueue
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import reply_withdraw, ticket_reply
from supportloop_testing.mail import raw_mail

pytestmark = pytest.mark.django_db


def _email_ticket(mailbox) -> Ticket:
    raw = raw_mail("c1@acme.test", subject="Invoice", body="Where is my invoice?", ctype=None)
    return Ticket.objects.get(pk=inbound_ingest(raw=raw, mailbox=mailbox).ticket_id)


def test_a_held_reply_leaves_only_after_its_hold(mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks):
    ticket = _email_ticket(mailbox)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=make_user("agent"), body="Attached.", hold_seconds=10)
    assert mailoutbox == []  # the send task saw the hold (the immediate backend cannot wait: the scheduler will)
    assert message_deliver(message_id=reply.pk) is False and mailoutbox == []
    now = timezone.now()
    assert held_replies_due(now=now) == [] and held_replies_due_period(now) is None

    later = now + timedelta(seconds=11)
    Message.objects.filter(pk=reply.pk).update(held_until=now - timedelta(seconds=1))
    assert held_replies_due(now=later) == [reply.pk]
    assert held_replies_due_period(later) == later.strftime("%Y-%m-%dT%H:%M")
    held_replies_enqueue(later.strftime("%Y-%m-%dT%H:%M"))
    assert len(mailoutbox) == 1 and mailoutbox[0].body.startswith("Attached.")
    assert held_replies_due(now=later) == []


def test_a_withdrawn_reply_never_leaves(mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks):
    ticket = _email_ticket(mailbox)
    agent = make_user("agent")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=agent, body="Oops, wrong customer.", hold_seconds=10)
    reply_withdraw(message=reply, actor=agent)
    assert message_deliver(message_id=reply.pk) is False
    held_replies_enqueue("now")
    assert mailoutbox == []


def test_without_a_hold_the_reply_leaves_at_once(mailbox, make_user, mailoutbox, django_capture_on_commit_callbacks):
    ticket = _email_ticket(mailbox)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=make_user("agent"), body="Right away.")
    assert len(mailoutbox) == 1


def test_with_a_backend_that_can_wait_the_send_task_comes_back_at_the_end_of_the_hold(mailbox, make_user, settings):
    from django_tasks import default_task_backend

    from supportloop.mail.tasks import message_send_task

    ticket = _email_ticket(mailbox)
    reply = ticket_reply(ticket=ticket, actor=make_user("agent"), body="Later.", hold_seconds=10)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    assert message_send_task.call(message_id=reply.pk) is False
    (again,) = default_task_backend.results
    assert again.task.run_after == reply.held_until and again.args == [] and again.kwargs["message_id"] == reply.pk
