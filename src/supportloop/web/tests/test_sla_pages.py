"""SLA pages: the ticket's lazily loaded SLA panel (due time in business hours, breaches in red with when, pause
history), the settings pages for calendars and ordered policies (admins and leads only) and the report."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.automation.models import BusinessCalendar, SlaPolicy
from supportloop.automation.services.sla import sla_check_due, ticket_sla_apply
from supportloop.automation.services.sla_config import business_calendar_create, sla_policy_create
from supportloop.tickets.services import ticket_create

pytestmark = pytest.mark.django_db
ALWAYS = [{"day": d, "start": "00:00", "end": "24:00"} for d in range(7)]


@pytest.fixture
def policy():
    business_calendar_create(name="Always open", time_zone="UTC", hours=ALWAYS, is_default=True, actor=None)
    return sla_policy_create(
        name="Standard",
        targets={"normal": {"first_response": 130, "resolution": 600}},
        warn_before_minutes=0,
        actor=None,
    )


def _ticket(ws, created_at):
    ticket = ticket_create(subject="Help", body="Broken.", requester=ws.alice, created_at=created_at)
    ticket_sla_apply(ticket_id=ticket.pk, kind="created", changes={"status": [None, "new"]})
    return ticket


def test_the_ticket_page_loads_the_sla_panel_from_its_own_view(ws, client_for, policy):
    ticket = _ticket(ws, timezone.now())
    client = client_for(ws.agent)
    page = client.get(f"/t/{ticket.number}/").content.decode()
    assert f'hx-get="/t/{ticket.number}/sla/"' in page and 'hx-trigger="load"' in page
    panel = client.get(f"/t/{ticket.number}/sla/").content.decode()
    assert "First response due in 2h 9m (business hours)" in panel  # 130 minutes, a moment ago
    assert "Standard · Always open" in panel


def test_the_panel_shows_a_breach_in_red_with_its_time_and_the_pause_history(ws, client_for, policy):
    created = timezone.now() - timedelta(hours=5)
    ticket = _ticket(ws, created)
    ticket_sla_apply(
        ticket_id=ticket.pk, kind="updated", changes={"status": ["new", "pending"]}, at=created + timedelta(hours=3)
    )
    ticket_sla_apply(
        ticket_id=ticket.pk, kind="updated", changes={"status": ["pending", "open"]}, at=created + timedelta(hours=4)
    )
    sla_check_due(emit=False)
    panel = client_for(ws.agent).get(f"/t/{ticket.number}/sla/").content.decode()
    breached_at = timezone.localtime(created + timedelta(minutes=130)).strftime("%Y-%m-%d %H:%M")
    assert 'class="sla-breached"' in panel and "First response breached" in panel and breached_at in panel
    assert "Pause history" in panel and "pending:" in panel and "(1h 0m)" in panel
    # resolution 600 min + 1 h paused: due 11 h after creation, 6 h from now
    assert "Resolution due in 5h 59m (business hours)" in panel


def test_agents_cannot_open_the_sla_settings(ws, client_for):
    client = client_for(ws.agent)
    for url in ("/settings/sla/", "/settings/sla/calendars/", "/settings/sla/report/"):
        assert client.get(url).status_code == 403


def test_a_lead_creates_a_calendar_and_policies_through_the_forms(ws, client_for, make_user):
    lead = client_for(make_user(Role.LEAD))
    response = lead.post(
        "/settings/sla/calendars/",
        {
            "name": "Berlin",
            "time_zone": "Europe/Berlin",
            **{f"day_{d}": "09:00-12:00, 13:00-17:00" for d in range(5)},
            "holidays_country": "DE",
            "holidays_subdivision": "BE",
            "custom_closed_dates": "2026-12-24 Christmas Eve\n2026-12-31",
            "is_default": "on",
            "teams": [ws.team.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    calendar = BusinessCalendar.objects.get(name="Berlin")
    assert calendar.hours[:2] == [
        {"day": 0, "start": "09:00", "end": "12:00"},
        {"day": 0, "start": "13:00", "end": "17:00"},
    ]
    assert calendar.custom_closed_dates == [
        {"date": "2026-12-24", "name": "Christmas Eve"},
        {"date": "2026-12-31", "name": ""},
    ]
    assert list(calendar.teams.all()) == [ws.team]
    edit = lead.get(f"/settings/sla/calendars/{calendar.pk}/").content.decode()
    assert "Zweiter Weihnachtstag" in edit or "Second Day of Christmas" in edit  # a holiday from the library, 26 Dec
    bad = lead.post("/settings/sla/calendars/", {"name": "Moon", "time_zone": "Moon/Base", "day_0": "09:00-17:00"})
    assert bad.status_code == 200 and "IANA" in bad.content.decode()
    for name in ("Standard", "VIP"):
        response = lead.post(
            "/settings/sla/",
            {
                "name": name,
                "warn_before_minutes": "15",
                "business_hours": "on",
                "is_active": "on",
                "normal_first_response": "60",
                "urgent_resolution": "480",
                **({"plans": ["enterprise"], "position": "1"} if name == "VIP" else {}),
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    assert list(SlaPolicy.objects.values_list("name", "position")) == [("VIP", 1), ("Standard", 2)]
    standard = SlaPolicy.objects.get(name="Standard")
    lead.post(f"/settings/sla/policies/{standard.pk}/move/", {"direction": "up"})
    assert list(SlaPolicy.objects.values_list("name", flat=True)) == ["Standard", "VIP"]
    page = lead.get("/settings/sla/").content.decode()
    assert "normal: 60 / — / —" in page and "urgent: — / — / 480" in page
    assert lead.get(f"/settings/sla/policies/{standard.pk}/").status_code == 200


def test_the_report_page_shows_attainment(ws, client_for, policy):
    ticket = _ticket(ws, timezone.now() - timedelta(hours=5))
    sla_check_due(emit=False)
    page = client_for(ws.admin).get("/settings/sla/report/?group_by=policy").content.decode()
    assert "Standard" in page and "0.0 %" in page and "(0/1)" in page
    assert ticket.number
