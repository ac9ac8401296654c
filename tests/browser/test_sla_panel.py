"""The ticket page loads its SLA panel lazily (htmx, from its own view): the running target with its business
time left, a breached one in red with when it happened, and the pause history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ticket_page_shows_due_times_breaches_and_pauses(browse, demo):
    from django.utils import timezone

    from supportloop.automation.services.sla import sla_check_due
    from supportloop.automation.services.sla_config import business_calendar_create, sla_policy_create
    from supportloop.tickets.services import message_add_from_contact, ticket_create, ticket_update

    business_calendar_create(
        name="Always open",
        time_zone="UTC",
        hours=[{"day": d, "start": "00:00", "end": "24:00"} for d in range(7)],
        is_default=True,
        actor=None,
    )
    sla_policy_create(
        name="Standard",
        targets={"normal": {"first_response": 60, "resolution": 6000}},
        warn_before_minutes=0,
        actor=None,
    )
    # Written outside a test transaction: the services' events reach the SLA listener as in production.
    ticket = ticket_create(
        subject="Export stuck",
        body="The export never finishes.",
        requester=demo.alice,
        created_at=timezone.now() - timedelta(hours=3),
    )
    ticket_update(ticket=ticket, actor=demo.agent, status="pending")
    message_add_from_contact(ticket=ticket, contact=demo.alice, body="Any news?")
    sla_check_due(emit=False)

    page = browse(demo.agent)
    page.goto(f"/t/{ticket.number}/")
    panel = page.locator("#ticket-sla[data-sla-panel]")  # the fragment replaced the placeholder
    expect(panel).to_contain_text("Standard · Always open")
    breached = panel.locator("[data-sla-state=breached]")
    expect(breached).to_contain_text("First response breached")
    expect(breached).to_contain_text("breached at")
    assert breached.evaluate("e => getComputedStyle(e).color") == "rgb(179, 38, 30)"  # --danger
    # 6,000 minutes (100 h) from three hours ago, the seconds-long pause aside: 4 days 0-1 hours left
    expect(panel.locator("[data-sla-state=running]")).to_contain_text(
        re.compile(r"Resolution due in 4d [01]h \(business hours\)")
    )
    expect(panel.locator("[data-sla-pauses]")).to_contain_text("pending:")
