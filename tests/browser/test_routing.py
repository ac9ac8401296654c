"""Routing in a real browser: a lead adds a routing rule and the next ticket lands in its team with the rule
named on the timeline; an agent sets themselves away from their account page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_lead_adds_a_rule_and_a_new_ticket_is_routed_by_it(browse, demo, make_user):
    from supportloop.accounts.services import team_create
    from supportloop.tickets.services import ticket_create

    passwords = team_create(name="Password resets", slug="password-resets")
    lead = make_user("lead", username="lead", first_name="Lee", last_name="Lead")
    page = browse(lead)
    page.goto("/settings/")
    page.get_by_role("link", name="Routing", exact=True).first.click()
    page.get_by_role("link", name="Add a routing rule").click()
    page.get_by_label("Name").fill("Password resets")
    page.get_by_label("Keywords").fill("password\nпароль\n密码")
    page.get_by_label("Route to team").select_option(label="Password resets")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("tr[data-rule]")).to_have_count(1)
    expect(page.locator("tr[data-rule]")).to_contain_text("Password resets")

    ticket = ticket_create(subject="Сброс", body="Я забыл ПАРОЛЬ", requester=demo.bob)  # commits: routing runs
    ticket.refresh_from_db()
    assert ticket.team_id == passwords.pk
    page.goto(f"/t/{ticket.number}/")
    expect(page.get_by_text("Routing rule “Password resets” sent the ticket to team Password resets")).to_be_visible()


def test_an_agent_sets_themselves_away_and_back(browse, demo):
    from supportloop.automation.models import AgentProfile

    page = browse(demo.agent)
    page.goto("/account/")
    expect(page.locator("#away-status")).to_contain_text("You are available for new tickets.")
    page.get_by_role("button", name="Set me away").click()
    expect(page.locator("#away-status")).to_contain_text("You are away.")
    assert AgentProfile.objects.get(user=demo.agent).is_away
    page.get_by_role("button", name="I am back").click()
    expect(page.locator("#away-status")).to_contain_text("You are available for new tickets.")
    assert not AgentProfile.objects.get(user=demo.agent).is_away
