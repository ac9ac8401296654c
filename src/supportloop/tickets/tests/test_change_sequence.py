"""The change sequence is exact only if every writer takes it first (docs/decisions/0002-changes-feed.md):
its row lock then orders commits, and one lock order means no deadlocks. These tests read the SQL each
service sends and check that the first statement that writes or locks is the `changes` counter's UPDATE."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportloop.accounts.services import user_create
from supportloop.customers import services as customers
from supportloop.tickets import services as tickets
from supportloop.tickets.services.tickets import IncomingFile

WRITES = ("UPDATE", "INSERT", "DELETE")


def first_write_or_lock(queries) -> str:
    for query in queries:
        sql = query["sql"].lstrip().upper()
        if sql.startswith(WRITES) or "FOR UPDATE" in sql:
            return query["sql"]
    raise AssertionError("the service wrote nothing")


@pytest.fixture
def world(db):
    agent = user_create(username="ana")
    company = customers.company_create(name="Acme", domains=["acme.example"])
    contact = customers.contact_create(emails=["li@acme.example"])
    area, other = tickets.product_area_create(name="A"), tickets.product_area_create(name="B")
    feature = tickets.product_feature_create(area=area, name="F")
    ticket = tickets.ticket_create(subject="s", body="b", requester=contact, actor=agent, product_feature=feature)
    return locals()


CALLS = {
    "ticket_create (new contact)": lambda w: tickets.ticket_create(
        subject="s", body="b", actor=w["agent"], requester_email="new@acme.example"
    ),
    "ticket_create (known contact)": lambda w: tickets.ticket_create(
        subject="s", body="b", actor=w["agent"], requester=w["contact"]
    ),
    "ticket_update": lambda w: tickets.ticket_update(ticket=w["ticket"], actor=w["agent"], priority="high"),
    "ticket_reply": lambda w: tickets.ticket_reply(ticket=w["ticket"], actor=w["agent"], body="r"),
    "ticket_add_note": lambda w: tickets.ticket_add_note(ticket=w["ticket"], actor=w["agent"], body="n"),
    "message_add_from_contact": lambda w: tickets.message_add_from_contact(
        ticket=w["ticket"], contact=w["contact"], body="c"
    ),
    "attachment_add": lambda w: tickets.attachment_add(
        message=w["ticket"].messages.get(), actor=w["agent"], files=[IncomingFile("a.txt", b"a")]
    ),
    "product_feature_update (moves area)": lambda w: tickets.product_feature_update(
        feature=w["feature"], area=w["other"]
    ),
    "company_create": lambda w: customers.company_create(name="B"),
    "company_update": lambda w: customers.company_update(company=w["company"], name="C"),
    "contact_create": lambda w: customers.contact_create(emails=["z@z.example"]),
    "contact_update": lambda w: customers.contact_update(contact=w["contact"], name="Z"),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_the_change_sequence_is_the_first_lock_a_writer_takes(world, name):
    with CaptureQueriesContext(connection) as ctx:
        CALLS[name](world)
    sql = first_write_or_lock(ctx.captured_queries)
    assert "core_counter" in sql and "changes" in sql, sql


def test_every_change_gets_a_higher_sequence_than_the_last(world):
    seqs = []
    for name in sorted(CALLS):
        result = CALLS[name](world)
        obj = result[0].message.ticket if isinstance(result, list) else result
        obj = getattr(obj, "ticket", obj)  # a Message -> its ticket
        obj.refresh_from_db()
        if name.startswith("product_feature_update"):
            obj = world["ticket"]
            obj.refresh_from_db()
        seqs.append(obj.change_seq)
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
