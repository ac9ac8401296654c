"""Incident pages: the banner on agent pages while an incident is open (from the cache, no query when warm), the
ticket page's incident panel with the incident's macro, and the leads' pages: declare, link, preview, resolve."""

from __future__ import annotations

import pytest

from supportloop.automation.models import Incident, IncidentTicket
from supportloop.automation.services.incidents import incident_declare, incident_resolve, incident_ticket_link
from supportloop.core.models import Event
from supportloop.tickets.models import Message

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(make_user):
    return make_user("lead", username="lee", first_name="Lee", last_name="Lead")


def test_the_banner_shows_on_agent_pages_while_an_incident_is_open(
    ws, lead, client_for, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    agent = client_for(ws.agent)
    assert "data-incident-banner" not in agent.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(actor=lead, title="Invoices down", customer_text="We are on it.")
    html = agent.get("/").content.decode()
    assert "data-incident-banner" in html and "Invoices down" in html
    assert f"/settings/incidents/{incident.pk}/" not in html  # agents do not manage incidents: no link
    assert f"/settings/incidents/{incident.pk}/" in client_for(lead).get("/").content.decode()
    assert "data-incident-banner" not in client_for(ws.pm).get("/roadmap/").content.decode()  # not an agent page
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(incident=incident, actor=lead)
    assert "data-incident-banner" not in agent.get("/").content.decode()


def test_the_banner_costs_no_query_once_cached(ws, lead, client_for, django_assert_max_num_queries):
    from supportloop.automation.services.incidents import open_incidents

    incident_declare(actor=lead, title="Invoices down", customer_text="We are on it.")
    client = client_for(ws.agent)
    client.get("/")
    open_incidents()  # cached
    with django_assert_max_num_queries(0):
        assert [i.title for i in open_incidents()] == ["Invoices down"]


def test_the_ticket_panel_shows_the_linked_incident_and_offers_its_macro(ws, lead, client_for):
    (ticket,) = ws.tickets_make(1)
    incident = incident_declare(actor=lead, title="Invoices down", customer_text="Invoices are delayed today.")
    incident_ticket_link(incident=incident, ticket=ticket, actor=lead)
    agent = client_for(ws.agent)
    page = agent.get(f"/t/{ticket.number}/").content.decode()
    assert f'hx-get="/t/{ticket.number}/incident/"' in page
    panel = agent.get(f"/t/{ticket.number}/incident/").content.decode()
    assert "Invoices down" in panel and "Invoices are delayed today." in panel
    assert f"/t/{ticket.number}/macros/{incident.macro_id}/" in panel
    filled = agent.get(f"/t/{ticket.number}/macros/{incident.macro_id}/").content.decode()
    assert "Invoices are delayed today." in filled


def test_a_lead_links_an_unlinked_ticket_from_its_panel(ws, lead, client_for):
    (ticket,) = ws.tickets_make(1)
    incident = incident_declare(actor=lead, title="Invoices down", customer_text="x")
    client = client_for(lead)
    panel = client.get(f"/t/{ticket.number}/incident/").content.decode()
    assert "Not linked to an incident." in panel and "Invoices down" in panel
    response = client.post(
        f"/settings/incidents/{incident.pk}/tickets/", {"ticket": ticket.number, "action": "link", "back": "ticket"}
    )
    assert response.status_code == 302 and response["Location"] == f"/t/{ticket.number}/"
    assert IncidentTicket.objects.filter(incident=incident, ticket=ticket, source="manual").exists()


def test_agents_cannot_open_or_post_to_the_incident_pages(ws, lead, client_for):
    incident = incident_declare(actor=lead, title="Down", customer_text="x")
    client = client_for(ws.agent)
    assert client.get("/settings/incidents/").status_code == 403
    assert client.get(f"/settings/incidents/{incident.pk}/").status_code == 403
    assert client.post("/settings/incidents/", {"title": "x", "customer_text": "y"}).status_code == 403
    assert Incident.objects.count() == 1


def test_a_lead_declares_previews_and_resolves(ws, lead, client_for, django_capture_on_commit_callbacks, mailoutbox):
    client = client_for(lead)
    response = client.post(
        "/settings/incidents/",
        {
            "title": "PDF invoices fail",
            "product_area": ws.area.pk,
            "keywords": "invoice, PDF",
            "customer_text": "PDF invoices fail to download; we are fixing it.",
        },
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.keywords == ["invoice", "PDF"] and incident.product_area == ws.area
    with django_capture_on_commit_callbacks(execute=True):
        tickets = ws.tickets_make(2)  # in the area (their feature's), mentioning "invoice": linked on arrival
    assert IncidentTicket.objects.filter(incident=incident).count() == 2
    detail = client.get(f"/settings/incidents/{incident.pk}/").content.decode()
    assert all(f"#{t.number}" in detail for t in tickets)

    preview = client.post(f"/settings/incidents/{incident.pk}/", {"reply_text": "Fixed. Sorry!"})
    html = preview.content.decode()
    assert "2 linked tickets will get this reply:" in html and "Fixed. Sorry!" in html
    assert Incident.objects.get().status == "declared" and not Message.objects.filter(body_text="Fixed. Sorry!")

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/settings/incidents/{incident.pk}/", {"reply_text": "Fixed. Sorry!", "confirm": "1"})
    assert done.status_code == 302
    assert Incident.objects.get().status == "resolved"
    assert Message.objects.filter(body_text="Fixed. Sorry!", kind="reply").count() == 2
    assert Event.objects.filter(verb="incident.resolved", actor=lead).exists()
    assert "2 linked, 2 replied to." in client.get(f"/settings/incidents/{incident.pk}/").content.decode()
