"""The SLA API: leads and admins manage calendars and policies (agents get 403), bad input is a 422 naming the
field, the report counts met and breached targets, and a ticket's SLA state is readable with the ticket."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import assert_problem

from supportloop.automation.services.sla import sla_check_due, ticket_sla_apply
from supportloop.automation.services.sla_config import business_calendar_create, sla_policy_create

pytestmark = pytest.mark.django_db
HOURS = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]


def test_a_lead_creates_a_calendar_for_a_team_and_orders_policies(api_client, make_user):
    from supportloop.accounts.services import team_create

    lead = api_client(role="lead")
    team_create(name="Billing", slug="billing", members=[], actor=None)
    response = lead.post(
        "sla/calendars",
        {
            "name": "Berlin",
            "time_zone": "Europe/Berlin",
            "hours": HOURS,
            "holidays_country": "de",
            "holidays_subdivision": "be",
            "custom_closed_dates": [{"date": "2026-12-24", "name": "Christmas Eve"}],
            "teams": ["billing"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["holidays_country"], body["holidays_subdivision"], body["teams"]) == ("DE", "BE", ["billing"])
    assert body["hours"][0] == {"day": 0, "start": "09:00", "end": "17:00"}
    first = lead.post("sla/policies", {"name": "Standard", "targets": {"normal": {"first_response": 240}}}).json()
    vip = lead.post(
        "sla/policies",
        {"name": "VIP", "plans": ["enterprise"], "targets": {"normal": {"first_response": 60}}, "position": 1},
    ).json()
    assert (vip["position"], vip["targets"]["normal"]["first_response"]) == (1, 60)
    listed = lead.get("sla/policies").json()
    assert [p["name"] for p in listed] == ["VIP", "Standard"]
    moved = lead.patch(f"sla/policies/{first['id']}", {"position": 1}).json()
    assert moved["position"] == 1
    assert [p["name"] for p in lead.get("sla/policies").json()] == ["Standard", "VIP"]


def test_agents_may_not_manage_slas(api_client):
    agent = api_client(role="agent")
    assert_problem(agent.get("sla/policies"), 403)
    assert_problem(agent.post("sla/calendars", {"name": "X", "time_zone": "UTC", "hours": HOURS}), 403)
    assert_problem(agent.get("sla/report"), 403)


def test_bad_input_names_the_field(api_client):
    admin = api_client(role="admin")
    assert_problem(
        admin.post("sla/calendars", {"name": "X", "time_zone": "Mars/Base", "hours": HOURS}), 422, "time_zone"
    )
    assert_problem(
        admin.post("sla/calendars", {"name": "X", "time_zone": "UTC", "hours": HOURS, "holidays_country": "QQ"}),
        422,
        "holidays_country",
    )
    assert_problem(
        admin.post("sla/calendars", {"name": "X", "time_zone": "UTC", "hours": HOURS, "teams": ["nobody"]}),
        422,
        "teams",
    )
    assert_problem(admin.post("sla/policies", {"name": "Empty", "targets": {}}), 422, "targets")


def test_the_report_and_a_tickets_sla(api_client, make_ticket):
    business_calendar_create(name="Berlin", time_zone="Europe/Berlin", hours=HOURS, is_default=True, actor=None)
    sla_policy_create(name="Standard", targets={"normal": {"first_response": 240}}, warn_before_minutes=0, actor=None)
    created = datetime(2026, 2, 9, 14, tzinfo=UTC)  # Mon 15:00 CET: first response due Tue 11:00 CET = 10:00 UTC
    on_time, late = make_ticket(created_at=created), make_ticket(created_at=created)
    for t in (on_time, late):
        ticket_sla_apply(ticket_id=t.pk, kind="created", changes={"status": [None, "new"]})
    ticket_sla_apply(ticket_id=on_time.pk, kind="replied", changes={}, at=datetime(2026, 2, 10, 9, tzinfo=UTC))
    sla_check_due(now=datetime(2026, 2, 10, 12, tzinfo=UTC), emit=False)
    lead = api_client(role="lead")
    [row] = lead.get("sla/report", {"group_by": "policy"}).json()
    assert row["label"] == "Standard" and row["tickets"] == 2
    assert row["first_response"] == {"met": 1, "breached": 1, "attainment": 50.0}
    sla = api_client(role="viewer").get(f"tickets/{late.number}/sla").json()
    first = sla["targets"][0]
    assert (sla["policy"], sla["calendar"], first["target"], first["state"]) == (
        "Standard",
        "Berlin",
        "first_response",
        "breached",
    )
    assert first["breached_at"] == "2026-02-10T10:00:00Z"
