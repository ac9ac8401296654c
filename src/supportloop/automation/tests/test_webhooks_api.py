"""The webhooks API and settings page: admins manage endpoints and chat integrations (leads and agents get 403),
the secret is made by the server, bad URLs are a 422 naming the field, the delivery log lists response codes, a
delivery can be re-sent and an endpoint pinged."""

from __future__ import annotations

import re

import pytest
from conftest import assert_problem
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.automation.models import WebhookDelivery, WebhookEndpoint
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db
URL = "https://93.184.216.34/hook"


def test_an_admin_creates_updates_pings_and_deletes_an_endpoint(api_client):
    admin = api_client(role="admin")
    response = admin.post("webhooks/endpoints", {"url": URL, "event_types": ["ticket.created", "ticket.sla_breach"]})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert body["event_types"] == ["ticket.created", "ticket.sla_breach"] and body["enabled"] is True
    assert body["created_by"] == admin.user.username
    endpoint_id = body["id"]

    patched = admin.patch(f"webhooks/endpoints/{endpoint_id}", {"enabled": False, "rotate_secret": True}).json()
    assert patched["enabled"] is False and patched["secret"] != body["secret"]
    event = Event.objects.filter(verb="webhook.endpoint_updated").get()
    assert body["secret"] not in str(event.changes) and patched["secret"] not in str(event.changes)

    ping = admin.post(f"webhooks/endpoints/{endpoint_id}/ping")
    assert ping.status_code == 202 and ping.json()["event_type"] == "ping" and ping.json()["status"] == "pending"
    log = admin.get("webhooks/deliveries", {"endpoint": endpoint_id}).json()
    assert [d["id"] for d in log] == [ping.json()["id"]]
    detail = admin.get(f"webhooks/deliveries/{log[0]['id']}").json()
    assert detail["payload"]["type"] == "ping" and detail["payload"]["data"]["endpoint_id"] == endpoint_id

    # the endpoint is disabled: re-sending is refused with a reason
    assert_problem(admin.post(f"webhooks/deliveries/{log[0]['id']}/resend"), 422)
    admin.patch(f"webhooks/endpoints/{endpoint_id}", {"enabled": True})
    resent = admin.post(f"webhooks/deliveries/{log[0]['id']}/resend")
    assert resent.status_code == 202 and resent.json()["event_id"] == log[0]["event_id"]

    assert admin.delete(f"webhooks/endpoints/{endpoint_id}").status_code == 204
    assert not WebhookEndpoint.objects.exists() and not WebhookDelivery.objects.exists()
    assert Event.objects.filter(verb="webhook.endpoint_deleted").count() == 1


def test_delivery_log_shows_response_codes_and_filters_by_status(api_client):
    from supportloop.automation.services.webhooks import webhook_endpoint_create, webhook_ping

    admin = api_client(role="admin")
    endpoint = webhook_endpoint_create(url=URL, event_types=["ticket.created"], actor=admin.user)
    delivery = webhook_ping(endpoint=endpoint, actor=admin.user)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="failed", attempts=10, last_response_code=500, last_error="HTTP 500", duration_ms=12
    )
    webhook_ping(endpoint=endpoint, actor=admin.user)
    failed = admin.get("webhooks/deliveries", {"status": "failed"}).json()
    assert [(d["id"], d["last_response_code"], d["attempts"], d["duration_ms"]) for d in failed] == [
        (delivery.pk, 500, 10, 12)
    ]
    assert len(admin.get("webhooks/deliveries").json()) == 2
    assert admin.get("webhooks/deliveries", {"before": delivery.pk + 1}).json()[0]["id"] == delivery.pk


@pytest.mark.parametrize("role", ["lead", "agent"])
def test_only_admins_manage_webhooks(api_client, role):
    client = api_client(role=role)
    assert_problem(client.get("webhooks/endpoints"), 403)
    assert_problem(client.post("webhooks/endpoints", {"url": URL, "event_types": ["ticket.created"]}), 403)
    assert_problem(client.get("webhooks/deliveries"), 403)
    assert_problem(client.get("webhooks/chat"), 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "https://127.0.0.1/x", "event_types": ["ticket.created"]}, "url"),
        ({"url": "http://93.184.216.34/x", "event_types": ["ticket.created"]}, "url"),
        ({"url": "https://10.0.0.1/x", "event_types": ["ticket.created"]}, "url"),
        ({"url": URL, "event_types": ["ticket.deleted"]}, None),
        ({"url": URL, "event_types": []}, None),
        ({"url": URL, "event_types": ["ticket.created"], "secret": "mine"}, None),
    ],
)
def test_bad_endpoints_are_refused_with_a_problem(api_client, body, field):
    admin = api_client(role="admin")
    response = admin.post("webhooks/endpoints", body)
    assert response.status_code in (400, 422), response.content
    if field:
        assert_problem(response, 422, field=field)
    assert not WebhookEndpoint.objects.exists()


def test_chat_integrations_crud_and_template_check(api_client):
    admin = api_client(role="admin")
    created = admin.post(
        "webhooks/chat",
        {"name": "Alerts", "kind": "slack", "webhook_url": URL, "message_template": "#{ticket.number} {ticket.url}"},
    )
    assert created.status_code == 201, created.content
    chat_id = created.json()["id"]
    bad_template = admin.patch(f"webhooks/chat/{chat_id}", {"message_template": "{ticket.password}"})
    assert_problem(bad_template, 422, "message_template")
    assert admin.patch(f"webhooks/chat/{chat_id}", {"enabled": False}).json()["enabled"] is False
    assert [c["name"] for c in admin.get("webhooks/chat").json()] == ["Alerts"]
    loopback = {"name": "X", "kind": "teams", "webhook_url": "https://[::1]/", "message_template": "x"}
    assert_problem(admin.post("webhooks/chat", loopback), 422, "webhook_url")
    event = Event.objects.get(verb="chat_integration.created")
    assert URL not in str(event.changes)  # the incoming-webhook URL is a credential
    assert admin.delete(f"webhooks/chat/{chat_id}").status_code == 204


def test_the_settings_page_lists_endpoints_with_their_delivery_log(make_user):
    from supportloop.automation.services.webhooks import webhook_endpoint_create, webhook_ping

    admin = make_user(Role.ADMIN)
    endpoint = webhook_endpoint_create(url=URL, event_types=["ticket.created"], actor=admin)
    delivery = webhook_ping(endpoint=endpoint, actor=admin)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(last_response_code=418, last_error="HTTP 418", attempts=1)
    client = Client()
    client.force_login(admin)
    page = client.get("/settings/webhooks/")
    assert page.status_code == 200
    html = page.content.decode()
    assert URL in html and "418" in html and "HTTP 418" in html

    bad = {"form": "endpoint", "url": "https://10.0.0.1/", "event_types": ["ticket.created"]}
    response = client.post("/settings/webhooks/", bad)
    assert response.status_code == 200 and "private" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 1
    response = client.post(f"/settings/webhooks/{endpoint.pk}/action/", {"action": "disable"})
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    client.post(f"/settings/webhooks/{endpoint.pk}/action/", {"action": "enable"})
    client.post(f"/settings/webhooks/deliveries/{delivery.pk}/resend/")
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 2

    lead = make_user(Role.LEAD)
    client.force_login(lead)
    assert client.get("/settings/webhooks/").status_code == 403


def test_the_settings_page_costs_the_same_queries_for_one_endpoint_or_many(make_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportloop.automation.services.webhooks import chat_integration_create, webhook_endpoint_create, webhook_ping

    admin = make_user(Role.ADMIN)
    client = Client()
    client.force_login(admin)

    def add_endpoint(pings: int) -> WebhookEndpoint:
        endpoint = webhook_endpoint_create(url=URL, event_types=["ticket.created"], actor=admin)
        for _ in range(pings):
            webhook_ping(endpoint=endpoint, actor=admin)
        return endpoint

    add_endpoint(3)
    client.get("/settings/webhooks/")  # warm caches (session, translations)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/settings/webhooks/").status_code == 200
    busy = add_endpoint(14)
    add_endpoint(0)
    chat_integration_create(name="Chat", kind="slack", webhook_url=URL, message_template="{ticket.url}", actor=admin)
    with CaptureQueriesContext(connection) as many:
        page = client.get("/settings/webhooks/")
    assert len(many) == len(one), [q["sql"] for q in many.captured_queries]
    html = page.content.decode()
    section = html.split(f'id="endpoint-{busy.pk}"')[1].split("</article>")[0]
    assert section.count("Re-send") == 10  # the newest ten of its fourteen


def test_the_settings_page_edits_an_endpoint_and_an_integration_through_the_services(make_user):
    from supportloop.automation.models import ChatIntegration
    from supportloop.automation.services.webhooks import chat_integration_create, webhook_endpoint_create

    admin = make_user(Role.ADMIN)
    endpoint = webhook_endpoint_create(url=URL, event_types=["ticket.created"], actor=admin)
    chat = chat_integration_create(
        name="Support", kind="slack", webhook_url=URL, message_template="{ticket.url}", actor=admin
    )
    client = Client()
    client.force_login(admin)
    form = client.get(f"/settings/webhooks/{endpoint.pk}/edit/").content.decode()
    assert URL in form
    assert re.search(r'<input[^>]*value="ticket\.created"[^>]*checked', form)
    assert not re.search(r'<input[^>]*value="ticket\.rated"[^>]*checked', form)

    moved = "https://93.184.216.35/hooks/v2"
    edit = {"url": moved, "description": "CRM", "event_types": ["ticket.created", "ticket.rated"]}
    assert client.post(f"/settings/webhooks/{endpoint.pk}/edit/", edit).status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description, endpoint.event_types) == (
        moved,
        "CRM",
        ["ticket.created", "ticket.rated"],
    )
    assert Event.objects.filter(verb="webhook.endpoint_updated", target_id=str(endpoint.pk)).exists()

    private = client.post(f"/settings/webhooks/{endpoint.pk}/edit/", {**edit, "url": "https://127.0.0.1/x"})
    assert private.status_code == 200 and "private" in private.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == moved  # refused, nothing changed

    changed = {"name": "Support desk", "webhook_url": URL, "message_template": "{ticket.number} {ticket.url}"}
    assert client.post(f"/settings/webhooks/chat/{chat.pk}/edit/", changed).status_code == 302
    chat = ChatIntegration.objects.get(pk=chat.pk)
    assert (chat.name, chat.kind, chat.message_template) == ("Support desk", "slack", "{ticket.number} {ticket.url}")
    unknown = client.post(f"/settings/webhooks/chat/{chat.pk}/edit/", {**changed, "message_template": "{ticket.x}"})
    assert unknown.status_code == 200
    assert ChatIntegration.objects.get(pk=chat.pk).message_template == "{ticket.number} {ticket.url}"

    client.force_login(make_user(Role.LEAD))
    assert client.get(f"/settings/webhooks/{endpoint.pk}/edit/").status_code == 403
