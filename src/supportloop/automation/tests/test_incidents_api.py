"""The incidents API: leads and admins declare, read, link, unlink, preview and resolve; agents are refused;
bad input is a 422 naming the field; resolving twice is a 409."""

from __future__ import annotations

import pytest
from conftest import assert_problem

from supportloop.automation.models import Incident, IncidentTicket
from supportloop.tickets.models import Message
from supportloop.tickets.services import product_area_create

pytestmark = pytest.mark.django_db


def test_a_lead_declares_links_previews_and_resolves(api_client, make_ticket, django_capture_on_commit_callbacks):
    lead = api_client(role="lead")
    area = product_area_create(name="Reports")
    declared = lead.post(
        "incidents",
        {"title": "Exports down", "customer_text": "We are on it.", "product_area_id": area.pk, "keywords": ["csv"]},
    )
    assert declared.status_code == 201, declared.content
    body = declared.json()
    assert body["status"] == "declared" and body["keywords"] == ["csv"] and body["macro_id"] and body["tickets"] == []
    incident_id = body["id"]
    t1, t2 = make_ticket("One"), make_ticket("Two")
    assert lead.post(f"incidents/{incident_id}/tickets", {"ticket": t1.number}).status_code == 201
    linked = lead.post(f"incidents/{incident_id}/tickets", {"ticket": t2.number})
    assert [t["number"] for t in linked.json()["tickets"]] == [t1.number, t2.number]
    assert_problem(lead.post(f"incidents/{incident_id}/tickets", {"ticket": t2.number}), 409)
    assert_problem(lead.post(f"incidents/{incident_id}/tickets", {"ticket": 999999}), 422, field="ticket")
    assert lead.delete(f"incidents/{incident_id}/tickets/{t2.number}").status_code == 204
    preview = lead.get(f"incidents/{incident_id}/resolve-preview", {"reply_text": "Fixed!"})
    assert preview.json() == {"tickets": 1, "text": "Fixed!"}
    assert [i["id"] for i in lead.get("incidents", {"status": "declared"}).json()] == [incident_id]
    with django_capture_on_commit_callbacks(execute=True):
        resolved = lead.post(f"incidents/{incident_id}/resolve", {"reply_text": "Fixed!"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    assert Message.objects.filter(ticket=t1, kind="reply", body_text="Fixed!").count() == 1
    assert not Message.objects.filter(ticket=t2, kind="reply", body_text="Fixed!").exists()
    assert lead.get(f"incidents/{incident_id}").json()["tickets"][0]["reply_sent_at"]
    assert_problem(lead.post(f"incidents/{incident_id}/resolve", {}), 409)


def test_agents_are_refused(api_client, make_user):
    agent = api_client(role="agent")
    assert_problem(agent.get("incidents"), 403)
    assert_problem(agent.post("incidents", {"title": "x", "customer_text": "y"}), 403)
    assert not Incident.objects.exists()


def test_bad_input_names_the_field(api_client):
    lead = api_client(role="lead")
    assert_problem(lead.post("incidents", {"title": "", "customer_text": "y"}), 422, field="title")
    assert_problem(lead.post("incidents", {"title": "x", "customer_text": "y", "extra": 1}), 422)
    assert_problem(lead.post("incidents", {"title": "x", "customer_text": "y", "product_area_id": 9999}), 422)
    assert_problem(lead.post("incidents", {"title": "x", "customer_text": "y", "keywords": [1]}), 422)
    assert_problem(lead.get("incidents/12345"), 404)
    assert not IncidentTicket.objects.exists()
