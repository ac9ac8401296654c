"""Calendar feeds: valid iCalendar that the library parses back, per person and for the team, at a secret URL
that stops working once rotated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.team import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def shifts(make_user):
    lead = make_user(Role.LEAD)
    a, b = make_user(Role.AGENT), make_user(Role.VIEWER)
    for p in (a, b):
        services.rotation_member_set(user=p, actor=lead, weekdays=list(range(7)), max_per_month=0)
    today = timezone.localdate()
    services.schedule_generate(start=today, end=today + timedelta(days=9), seed=4, actor=lead)
    return lead, a, b


def parse(response) -> Calendar:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def test_person_feed_has_exactly_their_shifts_and_parses_back(shifts):
    _lead, a, _b = shifts
    feed = services.calendar_feed_get_or_create(user=a, actor=a)
    cal = parse(Client().get(f"/team/calendar/{feed.token}.ics"))
    events = cal.walk("VEVENT")
    mine = services.Shift.objects.filter(user=a).order_by("date")
    assert len(events) == mine.count() == 5
    first = min(events, key=lambda e: e.decoded("dtstart"))
    assert first.decoded("dtstart") == mine[0].starts_at and first.decoded("dtend") == mine[0].ends_at
    assert str(first["uid"]).startswith(f"shift-{mine[0].pk}@")
    assert str(cal["version"]) == "2.0" and cal["prodid"]


def test_team_feed_has_every_shift(shifts):
    lead, _a, _b = shifts
    feed = services.calendar_feed_get_or_create(user=None, actor=lead)
    cal = parse(Client().get(f"/team/calendar/{feed.token}.ics"))
    assert len(cal.walk("VEVENT")) == 10


def test_rotating_the_token_kills_the_old_url(shifts):
    _lead, a, _b = shifts
    old = services.calendar_feed_get_or_create(user=a, actor=a).token
    new = services.calendar_feed_rotate(user=a, actor=a).token
    assert new != old
    assert Client().get(f"/team/calendar/{old}.ics").status_code == 404
    assert Client().get(f"/team/calendar/{new}.ics").status_code == 200
    assert Client().get("/team/calendar/guess.ics").status_code == 404
    event = Event.objects.get(verb="team.calendar_feed_rotated")
    assert old not in str(event.changes) and new not in str(event.changes)


def test_a_swap_bumps_the_sequence_so_clients_update_the_event(shifts):
    _lead, a, b = shifts
    shift = services.Shift.objects.filter(user=a).first()
    proposal = services.swap_propose(shift=shift, to_user=b, actor=a)
    services.swap_accept(request=proposal, actor=b)
    feed = services.calendar_feed_get_or_create(user=b, actor=b)
    cal = parse(Client().get(f"/team/calendar/{feed.token}.ics"))
    swapped = [e for e in cal.walk("VEVENT") if str(e["uid"]).startswith(f"shift-{shift.pk}@")]
    assert len(swapped) == 1 and int(swapped[0]["sequence"]) == 1
    assert date.fromisoformat(str(shift.date)) == swapped[0].decoded("dtstart").date()
