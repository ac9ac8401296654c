"""Trigger settings pages (admins and leads): the ordered list with enable/disable, the JSON form with its
errors on the field, and the dry run against a ticket, which changes nothing."""

from __future__ import annotations

import json

import pytest

from supportloop.automation.models import Trigger
from supportloop.automation.services.triggers import trigger_create
from supportloop.core.models import Event
from supportloop.tickets.services import ticket_create

pytestmark = pytest.mark.django_db
ACTIONS = json.dumps([{"action": "set_priority", "priority": "urgent"}])


def test_agents_and_product_managers_cannot_open_the_pages(ws, client_for):
    for user in (ws.agent, ws.pm):
        client = client_for(user)
        for path in ("/settings/triggers/", "/settings/triggers/new/"):
            assert client.get(path).status_code == 403, (user.role, path)
        response = client.post("/settings/triggers/new/", {"name": "x", "events": ["created"], "actions": ACTIONS})
        assert response.status_code == 403
    assert not Trigger.objects.exists()


def test_a_lead_creates_a_trigger_and_bad_json_or_a_bad_condition_is_shown_on_its_field(ws, client_for, make_user):
    client = client_for(make_user("lead"))
    bad_json = client.post(
        "/settings/triggers/new/", {"name": "VIP", "events": ["created"], "conditions": "{all: [", "actions": ACTIONS}
    )
    assert bad_json.status_code == 200 and "Not valid JSON" in bad_json.content.decode()
    bad_field = client.post(
        "/settings/triggers/new/",
        {
            "name": "VIP",
            "events": ["created"],
            "conditions": json.dumps({"all": [{"field": "colour", "op": "is", "value": "red"}]}),
            "actions": ACTIONS,
        },
    )
    body = bad_field.content.decode()
    assert bad_field.status_code == 200 and "conditions.all[0].field" in body and "errorlist" in body
    assert not Trigger.objects.exists()
    good = client.post(
        "/settings/triggers/new/",
        {
            "name": "VIP",
            "is_active": "on",
            "events": ["created", "customer_replied"],
            "conditions": json.dumps({"all": [{"field": "plan", "op": "is", "value": "pro"}]}),
            "actions": ACTIONS,
        },
    )
    assert good.status_code == 302, good.content.decode()[:2000]
    trigger = Trigger.objects.get()
    assert trigger.events == ["created", "customer_replied"] and trigger.actions == json.loads(ACTIONS)
    assert "VIP" in client.get("/settings/triggers/").content.decode()


def test_toggling_and_the_dry_run_on_the_page(ws, client_for):
    trigger = trigger_create(
        actor=None,
        name="Acme urgent",
        events=["created"],
        conditions={"all": [{"field": "plan", "op": "is", "value": "pro"}]},
        actions=[{"action": "set_priority", "priority": "urgent"}],
    )
    ticket = ticket_create(subject="Help", body="Broken.", requester=ws.alice)
    client = client_for(ws.admin)
    events = Event.objects.count()
    page = client.get(f"/settings/triggers/{trigger.pk}/?ticket={ticket.number}").content.decode()
    assert f"The conditions hold for ticket #{ticket.number}." in page and "Priority set to Urgent" in page
    assert Event.objects.count() == events
    ticket.refresh_from_db()
    assert ticket.priority == "normal"
    client.post(f"/settings/triggers/{trigger.pk}/action/", {"action": "toggle"})
    trigger.refresh_from_db()
    assert trigger.is_active is False


def test_a_lead_changes_a_time_rule_on_the_page_and_errors_show_on_the_field(ws, client_for, make_user):
    from supportloop.automation.models import TimeRuleSetting
    from supportloop.automation.services.time_rules import active_time_rules

    client = client_for(make_user("lead"))
    page = client.get("/settings/triggers/").content.decode()
    assert "Time rules" in page and 'data-time-rule="pending_reminder"' in page and "contact.first_name" in page

    bad = client.post(
        "/settings/triggers/time-rules/pending_reminder/",
        {
            "pending_reminder-enabled": "on",
            "pending_reminder-after_minutes": "60",
            "pending_reminder-reminder_text": "Hi {{ agent.name }}",
        },
    )
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "agent.name" in body and 'id="id_pending_reminder-reminder_text_error"' in body
    assert not TimeRuleSetting.objects.exists()
    zero = client.post(
        "/settings/triggers/time-rules/solved_close/",
        {"solved_close-enabled": "on", "solved_close-after_minutes": "0"},
    )
    assert zero.status_code == 200 and 'id="id_solved_close-after_minutes_error"' in zero.content.decode()
    assert not TimeRuleSetting.objects.exists()

    saved = client.post(
        "/settings/triggers/time-rules/pending_reminder/",
        {
            "pending_reminder-after_minutes": "1440",
            "pending_reminder-reminder_text": "Still there, {{ contact.name }}?",
        },
    )
    assert saved.status_code == 302
    row = TimeRuleSetting.objects.get(rule="pending_reminder")
    assert (row.is_enabled, row.after_minutes, row.reminder_text) == (False, 1440, "Still there, {{ contact.name }}?")
    assert [r.name for r in active_time_rules().rules] == ["solved_close", "unassigned_notice"]
    assert Event.objects.filter(verb="time_rule.updated").count() == 1
    assert client.post("/settings/triggers/time-rules/nope/", {}).status_code == 404

    # the built-in text as the page shows it (a browser sends CRLF) stays the built-in one, not an override
    from supportloop.automation.services.time_rules import REMINDER_BODY

    kept = client.post(
        "/settings/triggers/time-rules/pending_reminder/",
        {
            "pending_reminder-enabled": "on",
            "pending_reminder-after_minutes": "4320",
            "pending_reminder-reminder_text": REMINDER_BODY.replace("\n", "\r\n"),
        },
    )
    assert kept.status_code == 302
    row.refresh_from_db()
    assert (row.is_enabled, row.after_minutes, row.reminder_text) == (True, 4320, "")


def test_agents_cannot_save_time_rules(ws, client_for):
    from supportloop.automation.models import TimeRuleSetting

    response = client_for(ws.agent).post(
        "/settings/triggers/time-rules/solved_close/", {"solved_close-after_minutes": "60"}
    )
    assert response.status_code == 403
    assert not TimeRuleSetting.objects.exists()
