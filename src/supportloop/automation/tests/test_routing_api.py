"""The routing API: leads and admins manage rules, team settings and agents; an agent may only read and set
their own away status; bad input is a 422 naming the field."""

from __future__ import annotations

import pytest
from conftest import assert_problem

from supportloop.accounts.services import team_create
from supportloop.automation.models import AgentProfile, RoutingRule
from supportloop.automation.services.assignment import team_assignment_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(db):
    return team_create(name="Password resets", slug="password-resets")


def test_a_lead_creates_reorders_disables_and_deletes_rules(api_client, team):
    lead = api_client(role="lead")
    first = lead.post(
        "routing/rules",
        {"name": "Password resets", "keywords": ["password", "пароль", "密码"], "team_id": team.pk, "add_tags": ["pw"]},
    )
    assert first.status_code == 201, first.content
    second = lead.post("routing/rules", {"name": "Chinese", "languages": ["zh-Hans"], "team_id": team.pk})
    assert second.json()["languages"] == ["zh"] and second.json()["position"] == first.json()["position"] + 1
    ids = [second.json()["id"], first.json()["id"]]
    reordered = lead.post("routing/rules/reorder", {"rule_ids": ids})
    assert [r["id"] for r in reordered.json()] == ids
    assert [r["id"] for r in lead.get("routing/rules").json()] == ids
    off = lead.patch(f"routing/rules/{ids[0]}", {"is_active": False})
    assert off.json()["is_active"] is False
    assert lead.delete(f"routing/rules/{ids[0]}").status_code == 204
    assert list(RoutingRule.objects.values_list("name", flat=True)) == ["Password resets"]


def test_agents_are_refused_everything_but_their_own_away_status(api_client, team, make_user, make_ticket):
    agent = api_client(role="agent")
    for method, path, body in (
        ("get", "routing/rules", None),
        ("post", "routing/rules", {"name": "x", "team_id": team.pk}),
        ("patch", f"routing/teams/{team.pk}", {"method": "round_robin"}),
        ("get", "routing/agents", None),
        ("patch", f"routing/agents/{agent.user.pk}", {"capacity": 99}),
    ):
        assert_problem(getattr(agent, method)(path, body), 403)
    assert not RoutingRule.objects.exists()
    team.members.add(agent.user)
    team_assignment_update(team=team, actor=None, on_agent_away="unassign")
    ticket = make_ticket(team=team, assignee=agent.user, status="open")
    response = agent.put("routing/me/away", {"away": True})
    assert response.status_code == 200, response.content
    assert response.json()["is_away"] is True and response.json()["unassigned"] == 1
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    assert agent.get("routing/me").json()["is_away"] is True
    assert agent.put("routing/me/away", {"away": False}).json()["is_away"] is False


def test_viewers_and_product_managers_cannot_go_away(api_client):
    for role in ("product",):
        assert_problem(api_client(role=role).put("routing/me/away", {"away": True}), 403)
    assert not AgentProfile.objects.exists()


def test_team_settings_and_agent_skills(api_client, team, make_user):
    lead = api_client(role="lead")
    response = lead.patch(
        f"routing/teams/{team.pk}",
        {"method": "least_loaded", "require_skills": True, "default_capacity": 5, "on_agent_away": "reassign"},
    )
    assert response.json() == {
        "team_id": team.pk,
        "team": "password-resets",
        "method": "least_loaded",
        "require_skills": True,
        "default_capacity": 5,
        "on_agent_away": "reassign",
    }
    assert lead.patch(f"routing/teams/{team.pk}", {"clear_default_capacity": True}).json()["default_capacity"] is None
    mei = make_user("agent", username="mei")
    agent = lead.patch(f"routing/agents/{mei.pk}", {"languages": ["zh", "EN"], "capacity": 3})
    assert agent.json()["languages"] == ["zh", "en"] and agent.json()["capacity"] == 3
    assert lead.patch(f"routing/agents/{mei.pk}", {"clear_capacity": True}).json()["capacity"] is None
    assert [a["username"] for a in lead.get("routing/agents").json()] == sorted(
        a["username"] for a in lead.get("routing/agents").json()
    )


def test_bad_input_names_the_field(api_client, team):
    lead = api_client(role="lead")
    assert_problem(lead.post("routing/rules", {"name": "x", "team_id": 999999}), 422, field="team_id")
    assert_problem(lead.post("routing/rules", {"name": "x", "channels": ["fax"], "team_id": team.pk}), 422)
    assert_problem(
        lead.post("routing/rules", {"name": "x", "languages": ["1234"], "team_id": team.pk}), 422, "languages"
    )
    assert_problem(lead.post("routing/rules", {"name": "x"}), 422, field="team")
    assert_problem(lead.post("routing/rules/reorder", {"rule_ids": [1, 1]}), 422, field="rule_ids")
    assert_problem(lead.patch(f"routing/teams/{team.pk}", {"method": "lottery"}), 422)


def test_the_dry_run_says_what_would_happen_without_writing(api_client, team, make_ticket):
    lead = api_client(role="lead")
    rule = lead.post("routing/rules", {"name": "Password resets", "keywords": ["password"], "team_id": team.pk}).json()
    ticket = make_ticket("Password reset please")
    body = lead.get("routing/test", {"ticket": ticket.number}).json()
    assert body["rule_id"] == rule["id"] and body["team_id"] == team.pk and body["routed_now"] is True
    ticket.refresh_from_db()
    assert ticket.team_id is None
