"""The staffing forecast against the database: hourly volume from tickets, capacity from the audit trail,
planned events as multipliers, and the page, CSV and API that show it (leads only)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.team import selectors, services
from supportloop.team.models import Shift, ShiftPattern
from supportloop.team.tests.test_forecast import seeded_history
from supportloop.tickets.choices import AuthorType, MessageKind
from supportloop.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db
NOW = datetime(2027, 3, 10, 15, 30, tzinfo=timezone.get_fixed_timezone(0))


def test_hourly_volume_buckets_tickets_by_hour(make_ticket):
    start = datetime(2027, 3, 1, tzinfo=timezone.get_fixed_timezone(0))
    for hour, minutes in [(0, 5), (0, 50), (3, 0), (5, 59)]:
        t = make_ticket()
        Ticket.objects.filter(pk=t.pk).update(created_at=start + timedelta(hours=hour, minutes=minutes))
    make_ticket()  # now: outside the window
    assert selectors.hourly_volume(start=start, hours=6) == [2, 0, 0, 1, 0, 1]


def test_capacity_counts_solved_and_replies_per_logged_agent_hour_from_work_and_duty(make_user, make_ticket):
    """Hand-built week. Logged agent-hours are the union of hours with ticket work and hours on duty:
    A works at 10 (events, replies) and 11 (an update), and is on a duty shift 11-12 (the same hour: once);
    B replies at 10 (event + reply) and at 14 (a reply with no event); viewer V is on duty 12-14 (two hours) and
    does nothing recorded. Active hours: A{10,11} + B{10,14} = 4; duty hours: A{11} + V{12,13} = 3; union 6.
    Cases: 6 solved + 4 public agent replies (A 2, B 2; A's note, B's non-ticket event and the customers'
    messages do not count) = 10, so 10 / 6 = 1.67 cases per agent-hour. 5 tickets came in: 10 / 5 = 2 cases each,
    so an incoming ticket needs 2 / (10 / 6) = 1.2 agent-hours."""
    a, b = make_user(Role.AGENT), make_user(Role.AGENT)
    viewer = make_user(Role.VIEWER)
    base = NOW.replace(hour=10, minute=0) - timedelta(days=2)
    for actor, minute, verb in [
        (a, 1, "ticket.replied"),
        (a, 20, "ticket.noted"),
        (a, 40, "ticket.replied"),
        (a, 70, "ticket.updated"),
        (b, 5, "ticket.replied"),
        (b, 6, "feedback.linked"),
    ]:
        Event.objects.create(
            created_at=base + timedelta(minutes=minute),
            actor=actor,
            verb=verb,
            target_type="tickets.ticket",
            target_id="1",
        )
    ticket = make_ticket()
    for author, minute, kind in [
        (a, 1, MessageKind.REPLY),
        (a, 40, MessageKind.REPLY),
        (a, 300, MessageKind.NOTE),
        (b, 5, MessageKind.REPLY),
        (b, 270, MessageKind.REPLY),
    ]:
        Message.objects.create(
            ticket=ticket,
            kind=kind,
            author_type=AuthorType.AGENT,
            author_user=author,
            body_text="x",
            created_at=base + timedelta(minutes=minute),
        )
    day = ShiftPattern.objects.create(name="Day", start_time=time(9), end_time=time(17))
    for person, start_hour, end_hour in [(a, 11, 12), (viewer, 12, 14)]:
        Shift.objects.create(
            date=base.date() if person == a else base.date() + timedelta(days=1),
            pattern=day,
            user=person,
            starts_at=base.replace(hour=start_hour),
            ends_at=base.replace(hour=end_hour),
        )
    for i in range(6):
        t = make_ticket()
        Ticket.objects.filter(pk=t.pk).update(solved_at=base, created_at=base if i < 5 else base - timedelta(weeks=3))
    Ticket.objects.filter(pk=ticket.pk).update(created_at=base - timedelta(weeks=3))
    capacity = selectors.capacity_measured(end=NOW, weeks=1)
    assert (capacity.active_hours, capacity.duty_hours, capacity.agent_hours) == (4, 3, 6)
    assert (capacity.solved, capacity.replies, capacity.cases, capacity.created) == (6, 4, 10, 5)
    assert capacity.cases_per_agent_hour == pytest.approx(10 / 6)
    assert capacity.cases_per_ticket == 2.0
    assert capacity.agent_hours_per_ticket == pytest.approx(1.2)


def test_capacity_without_cases_or_new_tickets_has_no_rate(make_user):
    capacity = selectors.capacity_measured(end=NOW, weeks=1)
    assert capacity.agent_hours == 0 and capacity.cases_per_agent_hour is None
    assert capacity.agent_hours_per_ticket is None


def test_forecast_applies_planned_events_and_staffing(monkeypatch, make_user):
    lead = make_user(Role.LEAD)
    history = seeded_history(8, scale=10.0)
    monkeypatch.setattr(selectors, "hourly_volume", lambda *, start, hours: history[-hours:])
    monkeypatch.setattr(
        selectors,
        "capacity_measured",
        # (200 solved + 400 replies) / 100 agent-hours = 6 cases per agent-hour; 300 tickets came in, so each
        # brought 2 cases: 2 / 6 = 1/3 agent-hour per ticket.
        lambda *, end, weeks: selectors.Capacity(weeks, solved=200, replies=400, agent_hours=100, created=300),
    )
    start = selectors.forecast_start(NOW)
    launch = services.planned_event_create(
        name="Launch",
        start=start.date() + timedelta(days=1),
        end=start.date() + timedelta(days=1),
        multiplier="2",
        actor=lead,
    )
    plain = selectors.staffing_forecast(now=NOW, history_weeks=8, with_backtest=False)
    assert plain.enough_history and len(plain.rows) == 168
    day2 = [r for r in plain.rows if r.starts_at.date() == launch.start]
    assert all(r.multiplier == 2.0 for r in day2)
    assert all(r.multiplier == 1.0 for r in plain.rows if r.starts_at.date() != launch.start)
    busiest = max(plain.rows, key=lambda r: r.volume)
    assert busiest.agent_hours == pytest.approx(busiest.volume / 3, abs=0.01)  # 1/3 agent-hour per ticket
    assert busiest.agents is not None and busiest.agents >= busiest.volume / 3  # Erlang C above the bare workload
    services.planned_event_delete(event=launch, actor=lead)
    again = selectors.staffing_forecast(now=NOW, history_weeks=8, with_backtest=True)
    assert again.rows[24 + 11].volume < plain.rows[24 + 11].volume  # the launch day is back to normal
    assert again.backtest is not None and again.backtest.mape is not None
    assert again.backtest.mape < 15  # only 4 training weeks here


def test_forecast_without_history_says_so(make_user):
    result = selectors.staffing_forecast(now=NOW)
    assert not result.enough_history and result.rows == []


def test_forecast_page_csv_and_api_for_leads_only(monkeypatch, make_user, api_client):
    history = seeded_history(8, scale=5.0)
    monkeypatch.setattr(selectors, "hourly_volume", lambda *, start, hours: history[-hours:])
    lead, agent = make_user(Role.LEAD), make_user(Role.AGENT)
    client = Client()
    client.force_login(lead)
    page = client.get("/team/forecast/")
    body = page.content.decode()
    assert page.status_code == 200 and "<svg" in body and "MAPE" in body and 'id="forecast-days"' in body
    csv = client.get("/team/forecast.csv").content.decode().splitlines()
    assert csv[0].startswith("hour_start,expected_tickets") and len(csv) == 169
    api = api_client(lead).get("team/forecast", {"level": 90, "within_minutes": 30})
    assert api.status_code == 200
    data = api.json()
    assert data["enough_history"] and len(data["hours"]) == 168 and data["backtest_mape_percent"] is not None
    client.force_login(agent)
    assert client.get("/team/forecast/").status_code == 403
    assert api_client(agent).get("team/forecast").status_code == 403
    assert api_client(lead).get("team/forecast", {"level": 500}).status_code == 422


def test_planned_event_input_is_checked(make_user):
    lead = make_user(Role.LEAD)
    from supportloop.core.errors import ValidationFailed

    for bad in [dict(multiplier="x"), dict(multiplier="0"), dict(name=" "), dict(end=date(2026, 1, 1))]:
        kwargs = dict(name="Promo", start=date(2027, 1, 2), end=date(2027, 1, 3), multiplier="1.5", actor=lead) | bad
        with pytest.raises(ValidationFailed):
            services.planned_event_create(**kwargs)


def test_cached_forecast_is_reused_until_a_planned_event_changes(monkeypatch, make_user):
    lead = make_user(Role.LEAD)
    history = seeded_history(8, scale=5.0)
    calls = []

    def volume(*, start, hours):
        calls.append(hours)
        return history[-hours:]

    monkeypatch.setattr(selectors, "hourly_volume", volume)
    first = selectors.staffing_forecast_cached(history_weeks=8)
    again = selectors.staffing_forecast_cached(history_weeks=8)
    assert len(calls) == 1 and again.total_volume == first.total_volume
    today = selectors.forecast_start().date()
    services.planned_event_create(name="Promo", start=today, end=today + timedelta(days=6), multiplier="2", actor=lead)
    doubled = selectors.staffing_forecast_cached(history_weeks=8)
    assert len(calls) == 2 and doubled.total_volume == pytest.approx(2 * first.total_volume, rel=0.01)
