"""The ticket page reads through one selector, web.selectors.ticket_workspace, in a bounded number of queries;
an unknown or malformed id in a page URL or form is a 404 page, never a 500."""

from __future__ import annotations

import pytest

from supportloop.feedback.models import Evidence, FeedbackItem
from supportloop.tickets.services import ticket_add_note, ticket_reply
from supportloop.web.selectors import ticket_workspace

pytestmark = pytest.mark.django_db

# ticket, tags, thread, attachments, timeline, follower proposals, feedback of the ticket and of the requester,
# addresses with bounces, contact and company notes, other tickets; plus three for the taxonomy index (areas,
# features, reasons) when its cache is cold.
SELECTOR_QUERIES = 12
TAXONOMY_INDEX = 3
DIRECTORY = 2  # users and teams, when the directory cache is cold (the timeline names people)
PAGE_QUERIES = 23  # cold: the selector's 15, session and user, the controls' pickers (agents, teams, ...)


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
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(f"/t/{t.number}/")
    assert response.content.decode().count("data-message-id=") == 1 + extra_messages


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
