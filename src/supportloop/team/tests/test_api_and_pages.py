"""The rotation through the API and the page: members, time off, shift patterns, the lead's edits, swap requests
(propose, accept, decline), the calendar address made by a POST (never by a GET), with role refusals and
problem documents for hostile input."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import assert_problem
from django.core import mail
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.core.models import Event
from supportloop.team import services
from supportloop.team.models import CalendarFeed, RotationMember, Shift, ShiftPattern, SwapRequest, TimeOff

pytestmark = pytest.mark.django_db
DAY = date(2027, 1, 5)


@pytest.fixture
def team(make_user):
    lead = make_user(Role.LEAD)
    agent, pm = make_user(Role.AGENT), make_user(Role.PRODUCT)  # viewers' API tokens are read-only
    for p in (agent, pm):
        services.rotation_member_set(user=p, actor=lead, weekdays=list(range(7)), max_per_month=0)
    return lead, agent, pm


def test_api_members_lead_sets_constraints_a_person_only_their_morning_reminder(team, api_client, make_user):
    lead, agent, pm = team
    product = make_user(Role.VIEWER)  # any role may be in the rotation
    api = api_client(lead)
    made = api.put(f"team/members/{product.pk}", {"weekdays": [0, 2, 4], "max_per_month": 3})
    assert made.status_code == 200, made.content
    assert made.json() | {"user": ""} == {
        "user_id": product.pk,
        "user": "",
        "role": "viewer",
        "weekdays": [0, 2, 4],
        "max_per_month": 3,
        "active": True,
        "morning_reminder": False,
    }
    assert Event.objects.filter(verb="team.member_added").count() == 3
    assert sorted(m["user_id"] for m in api_client(pm).get("team/members").json()) == sorted(
        [agent.pk, pm.pk, product.pk]
    )
    mine = api_client(pm).put(f"team/members/{pm.pk}", {"morning_reminder": True})
    assert mine.status_code == 200 and mine.json()["morning_reminder"] is True
    assert_problem(api_client(pm).put(f"team/members/{pm.pk}", {"max_per_month": 9}), 403)
    assert_problem(api_client(pm).put(f"team/members/{agent.pk}", {"morning_reminder": True}), 403)
    assert_problem(api.put(f"team/members/{agent.pk}", {"weekdays": [8]}), 422, "weekdays")
    assert_problem(api.put(f"team/members/{agent.pk}", {"max_per_month": 99}), 422, "max_per_month")
    assert_problem(api.put(f"team/members/{agent.pk}", {"colour": "red"}), 422)
    assert RotationMember.objects.get(user=agent).weekdays == list(range(7))  # nothing changed by the refusals


def test_api_time_off_own_or_by_a_lead_and_checked(team, api_client):
    lead, agent, pm = team
    own = api_client(pm).post("team/time-off", {"start": "2027-02-01", "end": "2027-02-03", "note": "ski"})
    assert own.status_code == 201 and own.json()["user_id"] == pm.pk
    assert_problem(
        api_client(pm).post("team/time-off", {"user_id": agent.pk, "start": "2027-02-01", "end": "2027-02-02"}), 403
    )
    by_lead = api_client(lead).post("team/time-off", {"user_id": agent.pk, "start": "2027-03-01", "end": "2027-03-01"})
    assert by_lead.status_code == 201 and by_lead.json()["user_id"] == agent.pk
    assert_problem(api_client(pm).post("team/time-off", {"start": "2027-02-03", "end": "2027-02-01"}), 422, "end")
    assert [t["user_id"] for t in api_client(pm).get("team/time-off").json()] == [pm.pk]  # only mine
    assert len(api_client(lead).get("team/time-off").json()) == 2
    assert TimeOff.objects.count() == 2


def test_api_shift_patterns_and_the_leads_edit(team, api_client):
    lead, agent, pm = team
    api = api_client(lead)
    early = api.post("team/shift-patterns", {"name": "Early", "start_time": "06:00", "end_time": "14:00"})
    assert early.status_code == 201, early.content
    assert early.json()["start_time"] == "06:00" and early.json()["weekdays"] == list(range(7))
    late = api.post(
        "team/shift-patterns",
        {"name": "Late", "start_time": "14:00", "end_time": "22:00", "time_zone": "Asia/Tokyo", "position": 1},
    )
    assert late.status_code == 201
    assert_problem(
        api.post("team/shift-patterns", {"name": "X", "start_time": "09:00", "end_time": "09:00"}), 422, "end_time"
    )
    assert_problem(
        api.post(
            "team/shift-patterns",
            {"name": "Y", "start_time": "09:00", "end_time": "10:00", "time_zone": "Nowhere/City"},
        ),
        422,
        "time_zone",
    )
    assert_problem(
        api_client(agent).post("team/shift-patterns", {"name": "Z", "start_time": "09:00", "end_time": "10:00"}), 403
    )
    changed = api.put(
        f"team/shift-patterns/{early.json()['id']}", {"name": "Early", "start_time": "07:00", "end_time": "15:00"}
    )
    assert changed.json()["start_time"] == "07:00"
    assert [p["name"] for p in api_client(pm).get("team/shift-patterns").json()] == ["Early", "Late"]
    put = api.post("team/shifts", {"date": "2027-01-05", "user_id": agent.pk, "pattern_id": late.json()["id"]})
    assert put.status_code == 200, put.content
    body = put.json()
    assert body["pattern"] == "Late" and body["starts_at"].startswith("2027-01-05T05:00")  # 14:00 in Tokyo
    assert_problem(api.post("team/shifts", {"date": "2027-01-05", "user_id": agent.pk}), 422, "user")  # twice a day
    assert_problem(api.post("team/shifts", {"date": "2027-01-05", "user_id": 999999}), 422, "user_id")
    assert_problem(api_client(agent).post("team/shifts", {"date": "2027-01-06", "user_id": agent.pk}), 403)
    assert Shift.objects.count() == 1


def test_api_swap_propose_accept_decline(team, api_client, django_capture_on_commit_callbacks):
    lead, agent, pm = team
    a = services.shift_set(day=DAY, user=agent, actor=lead)
    b = services.shift_set(day=DAY + timedelta(days=1), user=pm, actor=lead)
    assert_problem(api_client(pm).post("team/swaps", {"shift_id": a.pk, "to_user": pm.pk}), 403)
    assert_problem(api_client(agent).post("team/swaps", {"shift_id": 999999, "to_user": pm.pk}), 422, "shift_id")
    with django_capture_on_commit_callbacks(execute=True):
        made = api_client(agent).post("team/swaps", {"shift_id": a.pk, "to_user": pm.pk, "other_shift": b.pk})
    assert made.status_code == 201, made.content
    swap = made.json()
    assert (swap["status"], swap["other_shift_id"]) == ("proposed", b.pk)
    assert [m.to for m in mail.outbox] == [[pm.email]]
    assert [s["id"] for s in api_client(pm).get("team/swaps", {"open_only": True}).json()] == [swap["id"]]
    assert_problem(api_client(agent).post(f"team/swaps/{swap['id']}/accept"), 403)  # not the proposer's to accept
    accepted = api_client(pm).post(f"team/swaps/{swap['id']}/accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.user, b.user) == (pm, agent)
    assert_problem(api_client(pm).post(f"team/swaps/{swap['id']}/decline"), 422, "status")  # answered already
    again = api_client(pm).post("team/swaps", {"shift_id": a.pk, "to_user": agent.pk}).json()
    declined = api_client(agent).post(f"team/swaps/{again['id']}/decline")
    assert declined.json()["status"] == "declined"
    assert_problem(api_client(agent).post("team/swaps/999999/accept"), 404)
    # The lead's direct move, and nobody else's.
    assert_problem(api_client(agent).post(f"team/shifts/{b.pk}/swap", {"to_user": pm.pk}), 403)
    moved = api_client(lead).post(f"team/shifts/{b.pk}/swap", {"to_user": pm.pk})
    assert moved.status_code == 200 and moved.json()["user_id"] == pm.pk


def test_api_calendar_feed_is_made_by_post_and_rotated(team, api_client):
    _lead, agent, _viewer = team
    api = api_client(agent)
    first = api.post("team/calendar-feed", {}).json()["url"]
    assert api.post("team/calendar-feed", {}).json()["url"] == first  # made once
    assert Client().get(first.split("testserver")[-1]).status_code == 200
    rotated = api.post("team/calendar-feed", {"rotate": True}).json()["url"]
    assert rotated != first
    assert Client().get(first.split("testserver")[-1]).status_code == 404


def test_rotation_page_get_writes_nothing_and_a_post_makes_the_address(team):
    lead, agent, _viewer = team
    client = Client()
    client.force_login(lead)
    before = Event.objects.count()
    body = client.get("/team/").content.decode()
    assert CalendarFeed.objects.count() == 0 and Event.objects.count() == before  # a GET wrote nothing
    assert "Make my calendar address" in body and "/team/calendar/" not in body.replace("/team/calendar/rotate/", "")
    client.post("/team/calendar/rotate/", {"make": "1"})
    client.post("/team/calendar/rotate/", {"make": "1", "scope": "team"})
    assert set(CalendarFeed.objects.values_list("scope", flat=True)) == {"team", f"user:{lead.pk}"}
    body = client.get("/team/").content.decode()
    feed = CalendarFeed.objects.get(scope=f"user:{lead.pk}")
    assert f"/team/calendar/{feed.token}.ics" in body
    other = Client()
    other.force_login(agent)
    other.post("/team/calendar/rotate/", {"make": "1", "scope": "team"})  # not a lead: refused
    assert CalendarFeed.objects.get(scope="team").token != feed.token
    assert CalendarFeed.objects.filter(scope="team").count() == 1
    assert Event.objects.filter(verb="team.calendar_feed_created").count() == 2


def test_rotation_page_propose_and_accept_a_swap(team):
    lead, agent, pm = team
    today = timezone.localdate()
    shift = services.shift_set(day=today + timedelta(days=2), user=agent, actor=lead)
    client = Client()
    client.force_login(agent)
    body = client.get("/team/").content.decode()
    assert f"/team/shifts/{shift.pk}/propose/" in body  # their own shift: propose
    client.post(f"/team/shifts/{shift.pk}/propose/", {"to_user": str(pm.pk)})
    proposal = SwapRequest.objects.get()
    taker = Client()
    taker.force_login(pm)
    body = taker.get("/team/").content.decode()
    assert 'id="swap-requests"' in body and f"/team/swaps/{proposal.pk}/answer/" in body
    assert taker.post(f"/team/shifts/{shift.pk}/swap/", {"to_user": str(pm.pk)}).status_code == 403
    taker.post(f"/team/swaps/{proposal.pk}/answer/", {"answer": "accept"})
    shift.refresh_from_db()
    assert shift.user == pm
    lead_client = Client()
    lead_client.force_login(lead)
    lead_client.post(
        "/team/patterns/", {"name": "Late", "start_time": "14:00", "end_time": "22:00", "weekdays": ["0", "1"]}
    )
    assert ShiftPattern.objects.filter(name="Late", weekdays=[0, 1]).exists()
    lead_client.post("/team/patterns/", {"name": "Bad", "start_time": "nine", "end_time": "22:00"})
    assert not ShiftPattern.objects.filter(name="Bad").exists()


def test_person_chooses_the_morning_reminder_on_the_page(team, make_user):
    _lead, _agent, pm = team
    client = Client()
    client.force_login(pm)
    client.post("/team/my-reminders/", {"morning_reminder": "1"})
    assert RotationMember.objects.get(user=pm).morning_reminder is True
    outsider = make_user(Role.AGENT)
    client.force_login(outsider)
    client.post("/team/my-reminders/", {"morning_reminder": "1"})
    assert not RotationMember.objects.filter(user=outsider).exists()  # not in the rotation: nothing made
