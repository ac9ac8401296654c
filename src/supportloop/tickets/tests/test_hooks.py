"""Ticket events reach registered listeners after the writing transaction commits, and never when it rolls
back: the automation app's triggers depend on both."""

from __future__ import annotations

import pytest
from django.db import transaction

from supportloop.customers.services import contact_create
from supportloop.tickets import hooks
from supportloop.tickets.hooks import TicketEvent, TicketEventKind
from supportloop.tickets.services import (
    message_add_from_contact,
    ticket_add_note,
    ticket_create,
    ticket_reply,
    ticket_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard(monkeypatch):
    events: list[TicketEvent] = []
    monkeypatch.setattr(hooks, "ticket_event_listeners", [events.append])
    return events


def test_each_ticket_write_emits_its_event_after_commit(heard, make_user, django_capture_on_commit_callbacks):
    sam = make_user("agent")
    alice = contact_create(name="Alice", emails=["alice@acme.example"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(subject="Refund", body="Charged twice.", requester=alice)
        assert heard == []  # nothing before the commit
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=sam, priority="high")
        reply = ticket_reply(ticket=ticket, actor=sam, body="Refunded.")
        note = ticket_add_note(ticket=ticket, actor=sam, body="Checked Stripe.")
        answer = message_add_from_contact(ticket=ticket, contact=alice, body="Thanks!")
    assert [e.kind for e in heard] == [
        TicketEventKind.CREATED,
        TicketEventKind.UPDATED,
        TicketEventKind.REPLIED,
        TicketEventKind.NOTED,
        TicketEventKind.CUSTOMER_REPLIED,
    ]
    assert {e.ticket_id for e in heard} == {ticket.pk}
    assert heard[0].actor_id is None and heard[0].message_id == ticket.first_message.pk
    assert heard[1].actor_id == sam.pk and heard[1].changes["priority"] == ["normal", "high"]
    assert heard[2].message_id == reply.pk and heard[2].changes["status"] == ["new", "open"]
    assert heard[3].message_id == note.pk
    assert heard[4].message_id == answer.pk and heard[4].actor_id is None


def test_a_rolled_back_write_emits_nothing(heard, make_user, django_capture_on_commit_callbacks):
    alice = contact_create(name="Alice", emails=["alice@acme.example"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(subject="Refund", body="Charged twice.", requester=alice)
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        ticket_update(ticket=ticket, actor=None, priority="urgent")
        raise RuntimeError("the caller fails after the update")
    assert heard == []
