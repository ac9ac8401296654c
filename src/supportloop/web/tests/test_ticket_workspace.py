"""The ticket page reads through one selector, web.selectors.ticket_workspace, in a bounded number of queries;
an unknown or malformed id in a page URL or form is a 404 page, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.feedback.models import Evidence, FeedbackItem
from supportloop.tickets.services import macro_apply, ticket_add_note, ticket_reply
from supportloop.web.selectors import ticket_workspace

pytestmark = pytest.mark.django_db

# Warm caches: the ticket, the panel (tags, timeline, follower proposals, the requester's addresses, notes, other
# tickets and feedback: web/jsonrows.py), the thread, its attachments and the ticket's feedback. Cold, the taxonomy
# index (areas, features, reasons) and the directory of people and teams add theirs.
SELECTOR_QUERIES = 3
TAXONOMY_INDEX = 3
DIRECTORY = 2
# Warm: the selector's (drafts in its panel), the user and the agent's read marker (one upsert, for the inbox's
# Unread filter); session and pickers from caches. The ceiling is 10.
PAGE_QUERIES = 5
# Cold, the layout's incident banner reads the open incidents once; then they come from the cache for 15 seconds
# (automation/services/incidents.py, open_incidents).
OPEN_INCIDENTS = 1
# Cold, the header's "Notifications (N)" link counts the user's unread notifications once; then the count comes
# from a per-user cache whose version a new or read notification bumps (automation/services/notifications.py).
UNREAD_NOTIFICATIONS = 1
PAGE_QUERIES_COLD = PAGE_QUERIES + TAXONOMY_INDEX + DIRECTORY + OPEN_INCIDENTS + UNREAD_NOTIFICATIONS


def _thread(ws, extra_messages: int):
    (t,) = ws.tickets_make(1)
    for i in range(extra_messages):
        (ticket_add_note if i % 2 else ticket_reply)(ticket=t, actor=ws.agent, body=f"message {i}")
    ws.tickets_make(8)  # other tickets of the same requesters
    return t


@pytest.mark.parametrize("extra_messages", [0, 12])
def test_the_workspace_selector_reads_in_a_fixed_number_of_queries(ws, django_assert_max_num_queries, extra_messages):
    t = _thread(ws, extra_messages)
    with django_assert_max_num_queries(SELECTOR_QUERIES + TAXONOMY_INDEX + DIRECTORY):
        ticket_workspace(number=t.number, user=ws.agent)
    with django_assert_max_num_queries(SELECTOR_QUERIES):
        workspace = ticket_workspace(number=t.number, user=ws.agent)
    assert workspace["ticket"] == t
    assert len(workspace["thread"]) == 1 + extra_messages
    assert workspace["contact"] == t.requester
    assert (workspace["can_reply"], workspace["can_update"]) == (True, True)


def test_what_the_user_may_do_comes_with_the_workspace(ws):
    t = _thread(ws, 0)
    workspace = ticket_workspace(number=t.number, user=ws.pm)
    assert workspace["can_reply"] is False and workspace["can_note"] is True


@pytest.mark.parametrize("extra_messages", [0, 12])
def test_ticket_page_queries_do_not_grow_with_the_thread(ws, client_for, django_assert_max_num_queries, extra_messages):
    t = _thread(ws, extra_messages)
    client = client_for(ws.agent)
    with django_assert_max_num_queries(PAGE_QUERIES_COLD):
        client.get(f"/t/{t.number}/")
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(f"/t/{t.number}/")
    assert response.content.decode().count("data-message-id=") == 1 + extra_messages


def _busy_ticket(ws):
    """A ticket with everything its page shows: notes, tags, attachments, feedback links, a follower proposal, a
    bounced address, notes on the contact and the company, and other tickets of the same contact."""
    from supportloop.customers.models import BouncedAddress
    from supportloop.customers.services import customer_note_add
    from supportloop.feedback.services import engineering_link_add, evidence_add, feedback_item_create
    from supportloop.mail.models import FollowerProposal
    from supportloop.tickets.services.tickets import IncomingFile, attachment_add

    t, *others = ws.tickets_make(5)  # the 1st, 3rd and 5th are Alice's
    reply = ticket_reply(ticket=t, actor=ws.agent, body="Looking into it.")
    attachment_add(
        message=reply, files=[IncomingFile(filename="invoice.pdf", content=b"%PDF", content_type="application/pdf")]
    )
    ticket_add_note(ticket=t, actor=ws.agent, body="Finance is on it.")
    macro_apply(macro=ws.macro, ticket=t, actor=ws.agent)
    for i in range(7):
        customer_note_add(body=f"contact note {i}", author=ws.agent, contact=ws.alice)
        customer_note_add(body=f"company note {i}", author=ws.agent, company=ws.acme)
    for title in ("Export all invoices as PDF", "Dark mode"):
        item = feedback_item_create(kind="feature_request", title=title, actor=ws.pm)
        evidence_add(item=item, actor=ws.agent, ticket=t, quote="invoice as PDF")
    engineering_link_add(item=item, url="https://github.com/acme/app/issues/7", key="acme/app#7", actor=ws.pm)
    engineering_link_add(item=item, url="https://acme.atlassian.net/browse/UI-3", key="UI-3", actor=ws.pm)
    FollowerProposal.objects.create(ticket=t, email="boss@acme.example")
    BouncedAddress.objects.create(
        email="alice@acme.example", status="5.1.1", permanent=True, suppressed_until=timezone.now() + timedelta(days=1)
    )
    return t, others


def test_a_busy_ticket_page_reads_in_four_queries(ws, client_for, django_assert_max_num_queries):
    t, _others = _busy_ticket(ws)
    client = client_for(ws.agent)
    client.get(f"/t/{t.number}/")  # fills the caches of the taxonomy and of people and teams
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(f"/t/{t.number}/")
    html = response.content.decode()
    assert "invoice.pdf" in html and "Finance is on it." in html and "Dark mode" in html and "acme/app#7" in html
    assert "boss@acme.example" in html and "alice@acme.example bounced" in html
    assert "Alex Agent applied the macro Refund issued" in html


def test_the_panel_shows_what_the_single_selectors_read(ws):
    """The one-query panel lists the same rows, in the same order, as the selectors it replaces."""
    from supportloop.customers.selectors import customer_notes
    from supportloop.feedback.selectors import feedback_items_for_contact, feedback_items_for_ticket
    from supportloop.web.selectors import contact_recent_tickets, ticket_timeline
    from supportloop.web.timeline import timeline_entries

    t, _others = _busy_ticket(ws)
    workspace = ticket_workspace(number=t.number, user=ws.agent)
    assert [n.body for n in workspace["contact_notes"]] == [n.body for n in customer_notes(contact=ws.alice)[:5]]
    assert [n.author.display_name for n in workspace["company_notes"]] == ["Alex Agent"] * 5
    assert [n.body for n in workspace["company_notes"]] == [n.body for n in customer_notes(company=ws.acme)[:5]]
    assert [o["number"] for o in workspace["other_tickets"]] == [
        o["number"] for o in contact_recent_tickets(contact_id=ws.alice.pk, exclude_id=t.pk)
    ]
    assert {i.title for i in workspace["contact_feedback"]} == {
        i.title for i in feedback_items_for_contact(contact=ws.alice)
    }
    assert workspace["contact_feedback"][0].get_status_display() == "New"
    assert sorted(tag.name for tag in workspace["ticket"].tags.all()) == ["billing", "refund", "t0"]  # +macro
    assert [p.email for p in workspace["follower_proposals"]] == ["boss@acme.example"]
    assert workspace["emails"] == ["alice@acme.example"]
    assert [b["email"] for b in workspace["bounced"]] == ["alice@acme.example"]
    assert [e.text for e in workspace["timeline"]] == [e.text for e in timeline_entries(ticket_timeline(ticket=t))]
    assert workspace["timeline"][0].created_at >= workspace["timeline"][-1].created_at
    # the ticket's own feedback, newest change first, each with its engineering links in the order they were added
    linked = feedback_items_for_ticket(ticket=t)
    assert [(i.pk, i.status) for i in workspace["ticket_feedback"]] == [(i.pk, i.status) for i in linked]
    assert [[link.key for link in i.links.all()] for i in workspace["ticket_feedback"]] == [["acme/app#7", "UI-3"], []]


def test_unknown_ids_in_page_urls_are_404_pages(ws, client_for):
    (t,) = ws.tickets_make(1)
    agent, admin = client_for(ws.agent), client_for(ws.admin)
    assert agent.get("/t/999999/").status_code == 404
    assert agent.get(f"/t/{t.number}/macros/999999/").status_code == 404
    assert agent.get(f"/t/{t.number}/messages/999999/text/").status_code == 404
    assert agent.get("/customers/companies/999999/").status_code == 404
    assert agent.post("/customers/widget/1/notes/", {"body": "x"}).status_code == 404
    assert admin.post("/settings/tokens/999999/revoke/").status_code == 404


def test_an_inactive_macro_is_not_found(ws, client_for):
    from supportloop.tickets.services import macro_update

    (t,) = ws.tickets_make(1)
    macro_update(macro=ws.macro, is_active=False)
    assert client_for(ws.agent).get(f"/t/{t.number}/macros/{ws.macro.pk}/").status_code == 404


@pytest.mark.parametrize("pk", ["999999", "abc", ""])
def test_an_unknown_or_malformed_id_posted_by_a_form_is_a_404_not_a_500(ws, client_for, pk):
    admin = client_for(ws.admin)
    response = admin.post("/settings/taxonomy/", {"kind": "toggle", "model": "area", "pk": pk})
    assert response.status_code == 404


def test_a_message_of_another_ticket_cannot_be_quoted(ws, client_for):
    first, other = ws.tickets_make(2)
    foreign = other.messages.first()
    response = client_for(ws.agent).post(
        f"/t/{first.number}/link/",
        {"quote": "from elsewhere", "message": foreign.pk, "new_title": "Idea", "new_kind": "feature_request"},
    )
    assert response.status_code == 422
    assert not FeedbackItem.objects.filter(title="Idea").exists()
    assert not Evidence.objects.filter(ticket=first).exists()


def test_the_panel_statement_compiled_once_reads_each_tickets_own_lists(ws):
    """The panel's SQL is compiled for the first ticket and reused (web.jsonrows.one_row): every later ticket must
    still see its own tags, requester, addresses and other tickets, with or without a company."""
    from supportloop.customers.services import contact_create
    from supportloop.tickets.services import ticket_create

    alice_first, bob_ticket, alice_second = ws.tickets_make(3)
    loner = contact_create(name="Lone Wolf", emails=["wolf@nowhere.example"])  # no company: the other shape
    loner_ticket = ticket_create(subject="No company here", body="hi", requester=loner, tags=["solo"])
    first = ticket_workspace(number=alice_first.number, user=ws.agent)
    second = ticket_workspace(number=bob_ticket.number, user=ws.agent)
    third = ticket_workspace(number=loner_ticket.number, user=ws.agent)
    assert [t.name for t in first["ticket"].tags.all()] == ["billing", "t0"]
    assert [t.name for t in second["ticket"].tags.all()] == ["billing", "t1"]
    assert [t.name for t in third["ticket"].tags.all()] == ["solo"]
    assert (first["emails"], second["emails"], third["emails"]) == (
        ["alice@acme.example"],
        ["bob@globex.example"],
        ["wolf@nowhere.example"],
    )
    assert [r["number"] for r in first["other_tickets"]] == [alice_second.number]
    assert second["other_tickets"] == [] and third["other_tickets"] == []
    assert (first["company"], second["company"], third["company"]) == (ws.acme, ws.globex, None)


def test_the_ticket_and_thread_statements_compiled_once_read_each_tickets_own_rows(ws):
    """The ticket's and the thread's SQL are compiled for the first ticket and replayed with the next one's id
    (web.jsonrows.compiled_once): each ticket must get its own row, its joined requester and assignee, its own
    messages with their authors, and an unknown or absurd number is NotFound, not a database error."""
    from supportloop.core.errors import NotFound

    first, second = ws.tickets_make(2)
    ticket_reply(ticket=second, actor=ws.agent, body="Refund sent.")
    ticket_add_note(ticket=second, actor=ws.agent, body="Checked Stripe.")
    a = ticket_workspace(number=first.number, user=ws.agent)
    b = ticket_workspace(number=second.number, user=ws.agent)
    assert (a["ticket"].pk, b["ticket"].pk) == (first.pk, second.pk)
    assert (a["ticket"].requester, b["ticket"].requester) == (first.requester, second.requester)
    assert [m.kind for m in a["thread"]] == ["reply"]
    assert [(m.kind, m.author_user) for m in b["thread"][1:]] == [("reply", ws.agent), ("note", ws.agent)]
    assert b["thread"][1].shown_html.startswith("<p>Refund sent.")
    for number in (999_999, 2**63, 0):
        with pytest.raises(NotFound):
            ticket_workspace(number=number, user=ws.agent)


@pytest.mark.django_db(transaction=True)
def test_a_statement_compiled_in_one_thread_runs_on_another_threads_connection(ws):
    """Web servers run requests on several threads, each with its own connection: a replayed statement must use
    the calling thread's connection, not the one of the thread that compiled it."""
    from threading import Thread

    from django.db import connection

    first, second = ws.tickets_make(2)
    ticket_workspace(number=first.number, user=ws.agent)  # compiled here, on this thread's connection
    seen: dict[str, object] = {}

    def other_thread() -> None:
        try:
            seen["ticket"] = ticket_workspace(number=second.number, user=ws.agent)["ticket"].pk
            seen["connection"] = connection.connection
        finally:
            connection.close()

    worker = Thread(target=other_thread)
    worker.start()
    worker.join()
    assert seen["ticket"] == second.pk
    assert seen["connection"] is not connection.connection
