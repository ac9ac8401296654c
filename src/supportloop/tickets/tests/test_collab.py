"""Working together (issue 12): drafts per ticket and user, the reply collision check, undo send (a held reply
withdrawn back into a draft), and presence kept in the cache only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from supportloop.core.errors import Conflict
from supportloop.core.models import Event
from supportloop.customers.services import contact_create
from supportloop.tickets.models import Draft, Message, Ticket
from supportloop.tickets.presence import (
    REPLYING,
    presence_for_ticket,
    presence_for_tickets,
    presence_leave,
    presence_touch,
)
from supportloop.tickets.services import (
    ReplyCollision,
    draft_discard,
    draft_save,
    message_add_from_contact,
    reply_withdraw,
    ticket_compose,
    ticket_create,
    ticket_reply,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket():
    alice = contact_create(name="Alice Able", emails=["alice@acme.example"])
    return ticket_create(subject="Refund", body="Charged twice.", requester=alice)


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def test_a_draft_is_one_per_ticket_and_user_and_blank_text_deletes_it(ticket, make_user):
    sam, lee = make_user("agent"), make_user("agent")
    draft_save(ticket=ticket, user=sam, body="Hi Alice")
    draft_save(ticket=ticket, user=sam, body="Hi Alice, refunded.")
    draft_save(ticket=ticket, user=lee, body="Note for Sam", kind="note")
    assert Draft.objects.get(ticket=ticket, user=sam).body == "Hi Alice, refunded."
    assert Draft.objects.get(ticket=ticket, user=lee).kind == "note"
    draft_save(ticket=ticket, user=sam, body="   ")
    assert not Draft.objects.filter(user=sam).exists()
    draft_discard(ticket=ticket, user=lee)
    assert not Draft.objects.exists()


def test_sending_from_the_composer_deletes_the_senders_draft_only(ticket, make_user):
    sam, lee = make_user("agent"), make_user("agent")
    draft_save(ticket=ticket, user=sam, body="Refunded.")
    draft_save(ticket=ticket, user=lee, body="Something else")
    seen = Message.objects.filter(ticket=ticket).latest("pk").pk
    ticket_compose(ticket=ticket, actor=sam, kind="reply", body="Refunded.", seen_public_message_id=seen)
    assert list(Draft.objects.values_list("user", flat=True)) == [lee.pk]


def test_a_reply_from_a_page_older_than_the_latest_public_message_is_held(ticket, make_user):
    sam, lee = make_user("agent", first_name="Lee"), make_user("agent")
    seen = Message.objects.filter(ticket=ticket).latest("pk").pk  # the customer's first message
    ticket_reply(ticket=ticket, actor=sam, body="Lee's colleague answered first")
    with pytest.raises(ReplyCollision) as refused:
        ticket_compose(ticket=ticket, actor=lee, kind="reply", body="My answer", seen_public_message_id=seen)
    assert refused.value.status == 409 and refused.value.extra["message_id"] > seen
    assert Message.objects.filter(ticket=ticket).count() == 2  # nothing was sent
    # A note is never held; "send anyway" (no id to compare) sends.
    ticket_compose(ticket=ticket, actor=lee, kind="note", body="FYI", seen_public_message_id=seen)
    ticket_compose(ticket=ticket, actor=lee, kind="reply", body="My answer", seen_public_message_id=None)
    assert Message.objects.filter(ticket=ticket, body_text="My answer").exists()


def test_a_new_customer_message_also_holds_the_reply_but_a_note_does_not(ticket, make_user):
    sam, lee = make_user("agent"), make_user("agent")
    seen = Message.objects.filter(ticket=ticket).latest("pk").pk
    ticket_compose(ticket=ticket, actor=lee, kind="note", body="internal", seen_public_message_id=seen)
    ticket_compose(
        ticket=ticket, actor=sam, kind="reply", body="fine: a note is not public", seen_public_message_id=seen
    )
    seen = Message.objects.filter(ticket=ticket, kind="reply").latest("pk").pk
    message_add_from_contact(ticket=ticket, contact=ticket.requester, body="Any news?")
    with pytest.raises(ReplyCollision):
        ticket_compose(ticket=ticket, actor=sam, kind="reply", body="late", seen_public_message_id=seen)


def test_undo_send_withdraws_a_held_reply_into_a_draft_and_puts_the_counters_back(ticket, make_user):
    sam = make_user("agent")
    message = ticket_compose(ticket=ticket, actor=sam, kind="reply", body="Refund sent.", hold_seconds=10)
    assert message is not None and message.held_until is not None
    ticket.refresh_from_db()
    assert (ticket.public_reply_count, ticket.first_response_at) == (1, message.created_at)

    draft = reply_withdraw(message=message, actor=sam)

    assert draft is not None and draft.body == "Refund sent." and draft.user == sam
    assert not Message.objects.filter(pk=message.pk).exists()
    ticket.refresh_from_db()
    assert (ticket.public_reply_count, ticket.message_count, ticket.first_response_at) == (0, 1, None)
    event = Event.objects.filter(verb="ticket.reply_withdrawn").get()
    assert event.changes["message"] == [message.pk, None] and event.actor == sam


def test_a_reply_cannot_be_withdrawn_after_its_hold_or_by_someone_else(ticket, make_user):
    sam, lee = make_user("agent"), make_user("agent")
    message = ticket_reply(ticket=ticket, actor=sam, body="Done.", hold_seconds=10)
    with pytest.raises(Conflict):
        reply_withdraw(message=message, actor=lee)
    Message.objects.filter(pk=message.pk).update(held_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(Conflict):
        reply_withdraw(message=message, actor=sam)
    unheld = ticket_reply(ticket=ticket, actor=sam, body="Sent at once.")
    assert unheld.held_until is None
    with pytest.raises(Conflict):
        reply_withdraw(message=unheld, actor=sam)
    assert not Event.objects.filter(verb="ticket.reply_withdrawn").exists()


def test_presence_lives_in_the_cache_expires_and_lists_replying_first(make_user, django_assert_num_queries):
    with django_assert_num_queries(0):
        presence_touch(number=7, user_id=1, name="Sam", state="viewing")
        presence_touch(number=7, user_id=2, name="Lee", state=REPLYING)
        presence_touch(number=8, user_id=2, name="Lee")
        assert [(p.name, p.state) for p in presence_for_ticket(number=7)] == [("Lee", "replying"), ("Sam", "viewing")]
        assert [p.name for p in presence_for_ticket(number=7, exclude_user_id=1)] == ["Lee"]
        marks = presence_for_tickets(numbers=[7, 8, 9], exclude_user_id=2)
        assert list(marks) == [7] and marks[7][0].name == "Sam"
        presence_leave(number=7, user_id=1)
        assert [p.name for p in presence_for_ticket(number=7)] == ["Lee"]


def test_presence_forgets_a_heartbeat_older_than_the_expiry(monkeypatch):
    import time

    from supportloop.tickets import presence

    presence_touch(number=5, user_id=1, name="Sam")
    later = time.time() + presence.PRESENCE_SECONDS + 1
    monkeypatch.setattr(presence.time, "time", lambda: later)
    assert presence_for_ticket(number=5) == []


def test_tickets_stay_in_the_database_only_for_drafts_never_for_presence(ticket, make_user):
    presence_touch(number=ticket.number, user_id=make_user("agent").pk, name="Sam")
    assert Ticket.objects.count() == 1 and not Draft.objects.exists()


def test_undo_send_puts_the_inbox_row_back_the_customer_waits_again_and_their_message_is_the_preview(ticket, make_user):
    sam = make_user("agent")
    ticket_reply(ticket=ticket, actor=sam, body="Which card?")
    question = message_add_from_contact(ticket=ticket, contact=ticket.requester, body="The Visa one.")
    message_add_from_contact(ticket=ticket, contact=ticket.requester, body="Hello?")
    ticket.refresh_from_db()
    assert ticket.waiting_since is not None
    held = ticket_compose(ticket=ticket, actor=sam, kind="reply", body="Refunded the Visa.", hold_seconds=10)
    ticket.refresh_from_db()
    assert (ticket.waiting_since, ticket.last_message_direction) == (None, "out")

    reply_withdraw(message=held, actor=sam)

    ticket.refresh_from_db()
    assert ticket.waiting_since == question.created_at  # since their first message after the last answer
    assert (ticket.last_message_preview, ticket.last_message_direction, ticket.last_message_author) == (
        "Hello?",
        "in",
        None,
    )
    event = Event.objects.get(verb="ticket.reply_withdrawn")
    assert event.changes["waiting_since"][1] is not None
