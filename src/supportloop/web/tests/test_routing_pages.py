"""Routing and assignment settings pages (admins and leads) and the away toggle on the account page."""

from __future__ import annotations

import pytest

from supportloop.automation.models import AgentProfile, RoutingRule, TeamAssignment
from supportloop.automation.services.routing import routing_rule_create
from supportloop.core.models import Event

pytestmark = pytest.mark.django_db


def test_agents_and_product_managers_cannot_open_the_settings(ws, client_for):
    for user in (ws.agent, ws.pm):
        client = client_for(user)
        for path in ("/settings/routing/", "/settings/routing/new/", "/settings/assignment/"):
            assert client.get(path).status_code == 403, (user.role, path)
        assert client.post("/settings/routing/new/", {"name": "x", "team": ws.team.pk}).status_code == 403
    assert not RoutingRule.objects.exists()


def test_a_lead_creates_a_rule_in_the_form(ws, client_for, make_user):
    lead = make_user("lead")
    client = client_for(lead)
    response = client.post(
        "/settings/routing/new/",
        {
            "name": "Password resets",
            "is_active": "on",
            "keywords": "password\nпароль, 密码",
            "languages": "",
            "channels": ["email", "web"],
            "plans": ["pro"],
            "team": ws.team.pk,
            "add_tags": "password-reset",
            "priority": "high",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = RoutingRule.objects.get()
    assert rule.keywords == ["password", "пароль", "密码"] and rule.channels == ["email", "web"]
    assert (rule.team_id, rule.add_tags, rule.priority, rule.plans) == (ws.team.pk, ["password-reset"], "high", ["pro"])
    page = client.get("/settings/routing/").content.decode()
    assert "Password resets" in page and "пароль" in page


def test_the_form_shows_the_services_refusal_on_the_field(ws, client_for):
    client = client_for(ws.admin)
    response = client.post("/settings/routing/new/", {"name": "x", "languages": "klingon language"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "errorlist" in body and not RoutingRule.objects.exists()


def test_moving_and_toggling_rules(ws, client_for):
    first = routing_rule_create(actor=None, name="First", keywords=["a"], team=ws.team)
    second = routing_rule_create(actor=None, name="Second", keywords=["b"], team=ws.team)
    client = client_for(ws.admin)
    client.post(f"/settings/routing/{second.pk}/action/", {"action": "up"})
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Second", "First"]
    client.post(f"/settings/routing/{first.pk}/action/", {"action": "toggle"})
    first.refresh_from_db()
    assert first.is_active is False
    assert Event.objects.filter(verb="routing_rules.reordered").exists()


def test_editing_a_rule_keeps_its_values(ws, client_for):
    rule = routing_rule_create(actor=None, name="Chinese", languages=["zh"], team=ws.team)
    client = client_for(ws.admin)
    page = client.get(f"/settings/routing/{rule.pk}/").content.decode()
    assert 'value="zh"' in page
    client.post(
        f"/settings/routing/{rule.pk}/", {"name": "Chinese and Russian", "languages": "zh, ru", "team": ws.team.pk}
    )
    rule.refresh_from_db()
    assert (rule.name, rule.languages, rule.is_active) == ("Chinese and Russian", ["zh", "ru"], False)


def test_team_and_agent_settings_forms(ws, client_for):
    client = client_for(ws.admin)
    prefix = f"team-{ws.team.pk}"
    response = client.post(
        "/settings/assignment/",
        {
            "kind": "team",
            "pk": ws.team.pk,
            f"{prefix}-method": "least_loaded",
            f"{prefix}-require_skills": "on",
            f"{prefix}-default_capacity": "8",
            f"{prefix}-on_agent_away": "reassign",
        },
    )
    assert response.status_code == 302
    settings = TeamAssignment.objects.get(team=ws.team)
    assert (settings.method, settings.require_skills, settings.default_capacity, settings.on_agent_away) == (
        "least_loaded",
        True,
        8,
        "reassign",
    )
    agent = f"agent-{ws.agent.pk}"
    client.post(
        "/settings/assignment/",
        {
            "kind": "agent",
            "pk": ws.agent.pk,
            f"{agent}-capacity": "3",
            f"{agent}-languages": "ru, zh-Hans",
            f"{agent}-product_areas": [ws.area.pk],
        },
    )
    profile = AgentProfile.objects.get(user=ws.agent)
    assert (profile.capacity, profile.languages, profile.product_area_ids) == (3, ["ru", "zh"], [ws.area.pk])
    page = client.get("/settings/assignment/").content.decode()
    assert "Billing" in page and "ru, zh" in page


def test_an_agent_sets_themselves_away_and_back_on_the_account_page(ws, client_for):
    TeamAssignment.objects.create(team=ws.team, on_agent_away="unassign")
    (ticket,) = ws.tickets_make(1)
    from supportloop.tickets.services import ticket_update

    ticket_update(ticket=ticket, actor=None, assignee=ws.agent, status="open")
    client = client_for(ws.agent)
    assert "Set me away" in client.get("/account/").content.decode()
    response = client.post("/account/away/", {"away": "1"}, follow=True)
    assert "You are away." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    response = client.post("/account/away/", {"away": "0"}, follow=True)
    assert "You are available for new tickets." in response.content.decode()
    assert AgentProfile.objects.get(user=ws.agent).is_away is False


def test_product_managers_have_no_away_toggle(ws, client_for):
    client = client_for(ws.pm)
    assert "Set me away" not in client.get("/account/").content.decode()
    assert client.post("/account/away/", {"away": "1"}).status_code == 403
