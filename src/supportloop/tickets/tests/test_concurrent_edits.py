"""Two people editing different fields of one ticket keep both edits; one page action is one transaction."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportloop.accounts.services import user_create
from supportloop.core.errors import ValidationFailed
from supportloop.tickets.models import Macro, Message, Ticket
from supportloop.tickets.services import macro_create, ticket_compose, ticket_create, ticket_update


@pytest.fixture
def agent(db):
    return user_create(username="ana", role="agent")


@pytest.fixture
def ticket(agent):
    return ticket_create(subject="Login fails", body="b", requester_email="li@acme.example", actor=agent)


def test_two_people_editing_different_fields_keep_both_edits(agent, ticket):
    mine = Ticket.objects.get(pk=ticket.pk)
    theirs = Ticket.objects.get(pk=ticket.pk)  # loaded before my change, saved after it
    ticket_update(ticket=mine, actor=agent, priority="urgent")
    ticket_update(ticket=theirs, actor=agent, subject="Login fails on Safari")
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.subject) == ("urgent", "Login fails on Safari")


def test_an_update_writes_only_the_columns_it_changes(agent, ticket):
    with CaptureQueriesContext(connection) as ctx:
        ticket_update(ticket=ticket, actor=agent, priority="high")
    [sql] = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('UPDATE "tickets_ticket"')]
    assert '"priority"' in sql and '"updated_at"' in sql and '"change_seq"' in sql
    assert '"subject"' not in sql and '"status"' not in sql and '"assignee_id"' not in sql


def test_a_macro_reply_and_its_after_status_are_one_transaction(agent, ticket):
    macro = macro_create(name="Thanks", body="Thank you!", actions={"status": "pending"}, actor=agent)
    replies = Message.objects.filter(ticket=ticket, author_type="agent")
    with pytest.raises(ValidationFailed):
        ticket_compose(ticket=ticket, actor=agent, kind="reply", body="Thanks", macro=macro, status="bogus")
    assert not replies.exists()  # no reply is sent without its status change
    assert Macro.objects.get(pk=macro.pk).usage_count == 0

    ticket_compose(ticket=ticket, actor=agent, kind="reply", body="Thanks", macro=macro, status="solved")
    ticket.refresh_from_db()
    assert ticket.status == "solved"  # the composer's status wins over the macro's
    assert replies.count() == 1


def test_a_note_never_changes_the_status(agent, ticket):
    ticket_compose(ticket=ticket, actor=agent, kind="note", body="internal", status="solved")
    ticket.refresh_from_db()
    assert ticket.status == "new"
    assert Message.objects.filter(ticket=ticket, kind="note").count() == 1


def test_an_inactive_macro_is_created_in_one_step(agent):
    macro = macro_create(name="Old", body="b", is_active=False, actor=agent)
    assert Macro.objects.get(pk=macro.pk).is_active is False
