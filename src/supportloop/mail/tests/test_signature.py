"""The agent's signature (edited on /account/, previewed under the composer) is appended to the replies they send,
and only to replies: the stored message stays as written, notes never leave."""

from __future__ import annotations

import pytest

from supportloop.accounts.services import user_update
from supportloop.mail.services import inbound_ingest
from supportloop.tickets.models import Ticket
from supportloop.tickets.services import ticket_add_note, ticket_reply
from supportloop_testing.mail import raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(mailbox):
    raw = raw_mail("c1@acme.test", subject="Invoice", body="Where is my invoice?", ctype=None)
    return Ticket.objects.get(pk=inbound_ingest(raw=raw, mailbox=mailbox).ticket_id)


def test_a_reply_carries_the_agents_signature_in_text_and_html(
    ticket, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    agent = make_user("agent")
    user_update(user=agent, actor=agent, signature="Sam <Support>\nAcme Help Desk")
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=agent, body="It is attached.")
    sent = mailoutbox[-1]
    assert sent.body == "It is attached.\n\n-- \nSam <Support>\nAcme Help Desk\n"
    html = sent.alternatives[0][0]
    assert '<p class="signature">-- <br>Sam &lt;Support&gt;<br>Acme Help Desk</p>' in html
    reply.refresh_from_db()
    assert reply.body_text == "It is attached."  # the thread shows what was written; the mail adds the signature


def test_no_signature_adds_no_separator_and_a_note_sends_nothing(
    ticket, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    agent = make_user("agent")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=agent, body="It is attached.")
    assert mailoutbox[-1].body == "It is attached.\n"
    user_update(user=agent, actor=agent, signature="Sam")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_note(ticket=ticket, actor=agent, body="Customer is on the Pro plan.")
    assert mailoutbox == []


def test_a_reply_already_signed_by_a_macro_is_not_signed_twice(
    ticket, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    agent = make_user("agent")
    user_update(user=agent, actor=agent, signature="Sam\r\nAcme Help Desk")  # as the account page's textarea posts it
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=agent, body="Refunded.\n\nSam\nAcme Help Desk")  # {{ agent.signature }}
    assert mailoutbox[-1].body == "Refunded.\n\nSam\nAcme Help Desk\n"
    assert 'class="signature"' not in mailoutbox[-1].alternatives[0][0]
