"""The changes feed: exact, ordered, resumable."""

from __future__ import annotations

from conftest import assert_problem

from supportloop.accounts.choices import Role
from supportloop.customers.models import Company, Contact
from supportloop.customers.services import company_create, company_update, contact_update
from supportloop.tickets.models import Ticket
from supportloop.tickets.services import (
    product_area_create,
    product_feature_create,
    product_feature_update,
    ticket_reply,
    ticket_update,
)


def walk(client, cursor="", limit=100):
    """Every item after the cursor, following next_cursor; returns (items, final cursor)."""
    items = []
    while True:
        r = client.get("changes", {"cursor": cursor, "limit": limit} if cursor else {"limit": limit})
        assert r.status_code == 200, r.content
        page = r.json()
        items += page["items"]
        assert page["next_cursor"] or not items
        cursor = page["next_cursor"]
        if not page["has_more"]:
            return items, cursor


def keys(items):
    return [(i["kind"], i["id"]) for i in items]


def test_feed_returns_every_change_once_in_commit_order_and_resumes(api_client, make_user, make_ticket):
    lead = make_user(Role.LEAD)
    client = api_client(user=lead)
    acme = company_create(name="Acme", domains=["acme.example"], actor=lead)
    t1 = make_ticket(body="b", requester_email="li@acme.example", actor=lead)
    li = Contact.objects.get()
    items, cursor = walk(client)
    assert keys(items) == [("company", acme.pk), ("contact", li.pk), ("ticket", t1.number)]
    seqs = [i["seq"] for i in items]
    assert seqs == sorted(seqs) and len(set(seqs)) == 3
    assert items[2]["ticket"]["messages"][0]["body_text"] == "b"
    assert items[0]["company"]["domains"] == ["acme.example"] and items[1]["contact"]["emails"] == ["li@acme.example"]

    # Nothing new: empty page, same cursor.
    again, same = walk(client, cursor)
    assert again == [] and same == cursor

    # Changes after the cursor, and only those; a ticket changed twice comes once, in its latest place.
    t2 = make_ticket(requester=li, actor=lead)
    ticket_update(ticket=t1, actor=lead, priority="high")
    company_update(company=acme, actor=lead, mrr=100)
    ticket_reply(ticket=t1, actor=lead, body="Answer")
    items, _ = walk(client, cursor)
    assert keys(items) == [("ticket", t2.number), ("company", acme.pk), ("ticket", t1.number)]
    assert items[2]["ticket"]["priority"] == "high" and len(items[2]["ticket"]["messages"]) == 2
    assert items[1]["company"]["mrr"] == "100.00"


def test_small_pages_walk_the_same_sequence_as_one_big_page(api_client, make_user, make_ticket):
    admin = make_user(Role.ADMIN)
    client = api_client(user=admin)
    for _ in range(4):
        make_ticket(actor=admin)  # each from a new contact
    contact_update(contact=Contact.objects.order_by("id").first(), actor=admin, name="Renamed")
    big, _ = walk(client, limit=500)
    small, _ = walk(client, limit=1)
    assert keys(small) == keys(big)
    assert len(big) == 8 and len(set(keys(big))) == 8  # 4 contacts + 4 tickets, each once


def test_rows_written_in_bulk_without_a_sequence_come_first(api_client, make_user, make_ticket):
    admin = make_user(Role.ADMIN)
    client = api_client(user=admin)
    make_ticket(actor=admin)
    bulk = Company.objects.create(name="Bulk loaded")  # change_seq 0, as the seeder leaves it
    items, _ = walk(client)
    assert items[0] == {**items[0], "kind": "company", "id": bulk.pk, "seq": 0}


def test_moving_a_feature_puts_its_tickets_in_the_feed(api_client, make_user, make_ticket):
    admin = make_user(Role.ADMIN)
    client = api_client(user=admin)
    billing = product_area_create(name="Billing", actor=admin)
    account = product_area_create(name="Account", actor=admin)
    invoices = product_feature_create(area=billing, name="Invoices", actor=admin)
    ticket = make_ticket(actor=admin, product_feature=invoices)
    _, cursor = walk(client)
    product_feature_update(feature=invoices, actor=admin, area=account)
    items, _ = walk(client, cursor)
    assert keys(items) == [("ticket", ticket.number)]
    assert items[0]["ticket"]["product_area"] == "account"
    assert Ticket.objects.get().product_area == account


def test_bad_cursors_are_422_and_agents_cannot_export(api_client):
    client = api_client(role=Role.ADMIN)
    for cursor in ("abc", "1.9.1", "1.1", "99999999999999999999.0.1", "1.0.1\n"):
        assert_problem(client.get("changes", {"cursor": cursor}), 422, field="cursor")
    assert_problem(api_client(role=Role.AGENT).get("changes"), 403)
