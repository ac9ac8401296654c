"""The server side of the keyboard layer's actions (issue 12): the Properties form saved in place (htmx), "solve
and next", and the command palette's options."""

from __future__ import annotations

from supportloop.core.models import Event
from supportloop.tickets.models import Ticket
from supportloop.web.services import saved_view_create

HTMX = {"HTTP_HX_REQUEST": "true"}


def _controls(ws, **changes):
    values = {"status": "open", "priority": "normal", "assignee": "", "team": ws.team.pk, "tags": ""}
    values.update(changes)
    return values


def test_an_htmx_save_returns_the_panel_the_header_badges_and_an_announcement(ws, client_for):
    (t,) = ws.tickets_make(1)
    events = Event.objects.count()
    response = client_for(ws.agent).post(
        f"/t/{t.number}/controls/", _controls(ws, status="pending", assignee=ws.agent.pk), **HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="ticket-controls"' in html  # the panel, swapped in place
    assert 'id="ticket-badges" class="ticket-badges" hx-swap-oob="true"' in html
    assert "Assigned to Alex Agent" in html and 'class="badge st-pending"' in html
    assert '<div id="announcer" hx-swap-oob="innerHTML">Ticket updated: Pending, Alex Agent.</div>' in html
    assert "<html" not in html
    t.refresh_from_db()
    assert (t.status, t.assignee_id) == ("pending", ws.agent.pk)
    assert Event.objects.count() > events  # audited by ticket_update


def test_an_htmx_save_that_is_refused_returns_422_with_the_error_beside_the_field(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(f"/t/{t.number}/controls/", _controls(ws, status="nonsense"), **HTMX)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="id_status_error"' in html and "hx-swap-oob" not in html
    assert Ticket.objects.get(pk=t.pk).status != "nonsense"


def test_without_htmx_the_save_still_redirects(ws, client_for):
    (t,) = ws.tickets_make(1)
    response = client_for(ws.agent).post(f"/t/{t.number}/controls/", _controls(ws, status="pending"))
    assert response.status_code == 302 and response["Location"] == f"/t/{t.number}/"


def test_solve_sets_solved_and_goes_to_next_but_never_off_site(ws, client_for):
    first, second = ws.tickets_make(2)
    client = client_for(ws.agent)
    response = client.post(f"/t/{first.number}/solve/", {"next": f"/t/{second.number}/"})
    assert response.status_code == 302 and response["Location"] == f"/t/{second.number}/"
    assert Ticket.objects.get(pk=first.pk).status == "solved"
    response = client.post(f"/t/{second.number}/solve/", {"next": "https://evil.example/"})
    assert response["Location"] == f"/t/{second.number}/"
    assert Ticket.objects.get(pk=second.pk).status == "solved"
    # product managers may not change tickets
    (third,) = ws.tickets_make(1)
    assert client_for(ws.pm).post(f"/t/{third.number}/solve/").status_code == 403
    assert Ticket.objects.get(pk=third.pk).status == "new"


def test_the_palette_offers_views_saved_views_and_the_ticket_actions(ws, client_for):
    (t,) = ws.tickets_make(1)
    saved_view_create(user=ws.agent, name="Urgent billing", query="priority=urgent&tag=billing")
    saved_view_create(user=ws.pm, name="Pat's view", query="tag=billing")
    agent = client_for(ws.agent)
    html = agent.get("/palette/", {"q": ""}).content.decode()
    assert "All open" in html and "Urgent billing" in html and "Pat&#x27;s view" not in html
    assert "Assign to me" not in html  # no ticket: no ticket actions
    assert 'data-href="/?priority=urgent&amp;tag=billing"' in html

    html = agent.get("/palette/", {"q": "assign", "ticket": t.number}).content.decode()
    assert f'data-action="assign" data-value="{ws.agent.pk}"' in html and "All open" not in html

    html = agent.get("/palette/", {"q": "macro refund", "ticket": t.number}).content.decode()
    assert "Apply macro Refund issued" in html
    assert f'data-value="/t/{t.number}/macros/{ws.macro.pk}/"' in html

    html = agent.get("/palette/", {"q": f"#{t.number}"}).content.decode()
    assert f'data-href="/t/{t.number}/"' in html

    # a product manager writes notes only: no assign, no macros
    html = client_for(ws.pm).get("/palette/", {"q": "", "ticket": t.number}).content.decode()
    assert "Assign to me" not in html and "Apply macro" not in html


def test_the_ticket_page_adds_no_query_for_the_keyboard_layer(ws, client_for, django_assert_max_num_queries):
    from supportloop.web.tests.test_ticket_workspace import PAGE_QUERIES

    (t,) = ws.tickets_make(1)
    client = client_for(ws.agent)
    client.get(f"/t/{t.number}/")
    with django_assert_max_num_queries(PAGE_QUERIES):
        html = client.get(f"/t/{t.number}/").content.decode()
    assert 'id="palette"' in html and 'id="ticket-badges"' in html and "data-solve-next" in html
