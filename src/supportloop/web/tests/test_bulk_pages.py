"""The bulk bar of the inbox and the search results (issue 12 "queue shaping", issue 13): "select all matching" runs
the page's query on the server, more than 10 tickets need the confirmed count, at most BULK_MAX, Undo toast."""

from __future__ import annotations

import re

import pytest

from supportloop.tickets.models import BulkChange, Ticket
from supportloop.tickets.services import bulk as bulk_services
from supportloop.tickets.services import ticket_create, ticket_update

pytestmark = pytest.mark.django_db


def _statuses():
    return dict(Ticket.objects.values_list("number", "status"))


def test_the_inbox_and_the_search_results_include_the_same_bar(ws, client_for):
    ws.tickets_make(2)
    client = client_for(ws.agent)
    for url in ("/?view=all", "/search/?q=invoice"):
        html = client.get(url).content.decode()
        assert html.count('id="bulk"') == 1 and "data-bulk-bar" in html and 'id="bulk-confirm"' in html
        for field in ("b-status", "b-priority", "b-assign", "b-team", "b-tag"):
            assert f'id="{field}"' in html
    assert 'name="source" value="search"' in html and 'name="query" value="q=invoice"' in html


def test_select_all_matching_changes_every_ticket_of_the_inbox_query_not_only_the_page(ws, client_for):
    made = ws.tickets_make(12)  # priority urgent: made[0], made[5], made[10]
    client = client_for(ws.agent)
    count = client.get("/inbox/bulk/count/", {"source": "inbox", "query": "priority=normal"}).json()
    assert count == {"count": 9, "over": False, "max": bulk_services.BULK_MAX}
    post = {
        "source": "inbox",
        "query": "priority=normal",
        "scope": "query",
        "action": "status",
        "value_status": "pending",
    }
    client.post("/inbox/bulk/", post)  # 9 tickets: no confirmation needed
    urgent = {made[0].number, made[5].number, made[10].number}
    assert {n for n, status in _statuses().items() if status == "new"} == urgent
    assert list(_statuses().values()).count("pending") == 9  # the page lists 50 rows; the query matched these


def test_more_than_ten_need_the_count_the_agent_confirmed(ws, client_for):
    made = ws.tickets_make(12)
    client = client_for(ws.agent)
    post = {"source": "inbox", "query": "view=all", "scope": "query", "action": "status", "value_status": "pending"}
    response = client.post("/inbox/bulk/", post, follow=True)
    assert "12 tickets match now: confirm the change again." in response.content.decode()
    assert set(_statuses().values()) == {"new"}
    response = client.post("/inbox/bulk/", {**post, "confirmed": "12", "next": "/?view=all"}, follow=True)
    assert set(_statuses().values()) == {"pending"}
    html = response.content.decode()
    assert re.search(r'class="bulk-toast" role="status"', html) and "Updated 12 tickets." in html
    change = BulkChange.objects.get()
    assert f"/inbox/bulk/{change.pk}/undo/" in html and change.ticket_count == len(made) == 12
    assert "bulk-toast" not in client.get("/?view=all").content.decode()  # the toast shows once


def test_select_all_matching_on_the_search_results_runs_the_search_again(ws, client_for):
    ws.tickets_make(3)
    other = ticket_create(subject="Printer jam", body="paper stuck", requester=ws.alice)
    client = client_for(ws.agent)
    assert client.get("/inbox/bulk/count/", {"source": "search", "query": "q=invoice"}).json()["count"] == 3
    client.post(
        "/inbox/bulk/",
        {"source": "search", "query": "q=invoice", "scope": "query", "action": "priority", "value_priority": "low"},
    )
    assert Ticket.objects.filter(priority="low").count() == 3
    other.refresh_from_db()
    assert other.priority == "normal"


def test_a_query_over_the_maximum_is_refused_and_said_so(ws, client_for, monkeypatch):
    monkeypatch.setattr(bulk_services, "BULK_MAX", 3)
    monkeypatch.setattr("supportloop.web.views.bulk.BULK_MAX", 3)
    ws.tickets_make(4)
    client = client_for(ws.agent)
    assert client.get("/inbox/bulk/count/", {"source": "inbox", "query": ""}).json() == {
        "count": 4,
        "over": True,
        "max": 3,
    }
    post = {"source": "inbox", "query": "", "scope": "query", "action": "status", "value_status": "open"}
    html = client.post("/inbox/bulk/", post, follow=True).content.decode()
    assert "More than 3 tickets match. A bulk change takes at most 3: narrow the view first." in html
    assert set(_statuses().values()) == {"new"}


def test_team_and_assignee_changes_and_their_undo_keep_the_sidebar_counts_right(ws, client_for):
    from supportloop.accounts.services import team_create

    billing = team_create(name="Billing desk", slug="billing")
    a, b = ws.tickets_make(2)
    client = client_for(ws.agent)
    client.post("/inbox/bulk/", {"t": [a.number, b.number], "action": "team", "value_team": billing.pk})
    client.post("/inbox/bulk/", {"t": [a.number], "action": "assign", "value_assign": ws.agent.pk})
    html = client.get("/").content.decode()
    assert re.search(rf'href="\?team={billing.pk}" ><span>Billing desk</span><span class="count">2<', html)
    assert re.search(r'data-count="mine">1<', html)
    first = BulkChange.objects.order_by("pk").first()
    client.post(f"/inbox/bulk/{first.pk}/undo/")
    html = client.get("/").content.decode()
    assert re.search(rf'href="\?team={billing.pk}" ><span>Billing desk</span><span class="count">0<', html)
    a.refresh_from_db()
    assert (a.team_id, a.assignee_id) == (ws.team.pk, ws.agent.pk)


def test_undo_says_which_tickets_kept_a_later_change(ws, client_for, make_user):
    a, b = ws.tickets_make(2)
    client = client_for(ws.agent)
    client.post("/inbox/bulk/", {"t": [a.number, b.number], "action": "status", "value_status": "pending"})
    ticket_update(ticket=b, actor=make_user("agent"), status="solved")
    change = BulkChange.objects.get()
    html = client.post(f"/inbox/bulk/{change.pk}/undo/", follow=True).content.decode()
    assert "Undone: 1 ticket restored." in html
    assert f"Left as they are, because they changed again since: #{b.number}." in html
    assert _statuses() == {a.number: "new", b.number: "solved"}
    html = client.post(f"/inbox/bulk/{change.pk}/undo/", follow=True).content.decode()
    assert "This bulk change was already undone." in html


def test_nobody_else_can_undo_a_bulk_change(ws, client_for, make_user):
    (a,) = ws.tickets_make(1)
    client_for(ws.agent).post("/inbox/bulk/", {"t": [a.number], "action": "status", "value_status": "pending"})
    change = BulkChange.objects.get()
    assert client_for(make_user("agent")).post(f"/inbox/bulk/{change.pk}/undo/").status_code == 404
    assert client_for(make_user("viewer")).post(f"/inbox/bulk/{change.pk}/undo/").status_code == 403
    a.refresh_from_db()
    assert a.status == "pending"


def test_an_undo_toast_left_behind_is_not_shown_minutes_later(ws, client_for):
    (a,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    client.post("/inbox/bulk/", {"t": [a.number], "action": "status", "value_status": "pending", "next": "/t/1/"})
    session = client.session
    session["web:bulk-toast"]["at"] -= 120  # the agent went to a ticket and comes back to the inbox later
    session.save()
    assert "bulk-toast" not in client.get("/").content.decode()
