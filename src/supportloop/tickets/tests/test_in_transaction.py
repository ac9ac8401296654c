"""Batch writers run inside their caller's transaction through named `*_in_transaction` functions, never by
reaching past a service's `@transaction.atomic` with `.__wrapped__`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import supportloop
from supportloop.customers.models import Contact
from supportloop.customers.services import contact_create_in_transaction, contacts_get_or_create_many_in_transaction
from supportloop.tickets.models import Ticket
from supportloop.tickets.services import (
    customer_message_draft,
    customer_messages_add_in_transaction,
    ticket_create,
    ticket_draft,
    tickets_insert_in_transaction,
)

PACKAGE = Path(supportloop.__file__).parent


def test_no_code_calls_a_service_through_wrapped():
    found = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if "__wrapped__" in (getattr(node, "attr", None), getattr(node, "name", None))
    ]
    assert found == []


@pytest.mark.django_db(transaction=True)
def test_the_in_transaction_writers_refuse_to_run_without_one():
    ticket = ticket_create(subject="Hello", body="First", requester_email="ann@acme.example")
    contact = ticket.requester
    writes = {
        "tickets_insert_in_transaction": lambda: tickets_insert_in_transaction(
            [ticket_draft(subject="Again", body="x", requester=contact)]
        ),
        "customer_messages_add_in_transaction": lambda: customer_messages_add_in_transaction(
            [customer_message_draft(ticket=ticket, contact=contact, body="More")]
        ),
        "contact_create_in_transaction": lambda: contact_create_in_transaction(emails=["bo@acme.example"]),
        "contacts_get_or_create_many_in_transaction": lambda: contacts_get_or_create_many_in_transaction(
            [("cy@acme.example", "Cy", "en")]
        ),
    }
    for name, write in writes.items():
        with pytest.raises(RuntimeError, match=f"{name} must run inside a transaction"):
            write()
    # Nothing was written: each refused before its first statement.
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 1
    assert Contact.objects.count() == 1
