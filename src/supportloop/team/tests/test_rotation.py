"""Rotation services against the database: generating, the lead's edits, swaps (recorded, both told), and the
duty role (agent rights during the shift only)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.permissions import can
from supportloop.core.errors import PermissionDenied, ValidationFailed
from supportloop.core.models import Event
from supportloop.team import services
from supportloop.team.models import Shift, ShiftSwap
from supportloop.team.selectors import duty_role, on_duty

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(make_user):
    lead = make_user(Role.LEAD)
    people = [make_user(Role.AGENT), make_user(Role.PRODUCT), make_user(Role.VIEWER)]
    for p in people:
        services.rotation_member_set(user=p, actor=lead, weekdays=list(range(7)), max_per_month=10)
    return lead, people


def test_generate_fills_empty_days_fairly_and_records_an_event_per_shift(team):
    lead, people = team
    plan = services.schedule_generate(start=date(2027, 1, 4), end=date(2027, 1, 24), seed=1, actor=lead)
    assert len(plan.assignments) == 21 and not plan.gaps
    counts = sorted(Shift.objects.filter(user__in=people).values_list("user", flat=True).order_by())
    assert sorted([counts.count(p.pk) for p in people]) == [7, 7, 7]
    assert Event.objects.filter(verb="team.shift_planned").count() == 21
    shift = Shift.objects.get(date=date(2027, 1, 4))
    local = shift.starts_at.astimezone(ZoneInfo("UTC"))
    assert (local.hour, shift.ends_at - shift.starts_at) == (9, timedelta(hours=8))  # TIME_ZONE is UTC in tests


def test_generate_keeps_the_leads_edits_unless_asked_to_replace(team):
    lead, people = team
    services.shift_set(day=date(2027, 1, 4), user=people[2], actor=lead)
    services.schedule_generate(start=date(2027, 1, 4), end=date(2027, 1, 10), seed=1, actor=lead)
    assert Shift.objects.get(date=date(2027, 1, 4)).user == people[2]
    assert Shift.objects.filter(date__range=(date(2027, 1, 4), date(2027, 1, 10))).count() == 7
    services.schedule_generate(start=date(2027, 1, 4), end=date(2027, 1, 10), seed=9, actor=lead, replace=True)
    assert Shift.objects.filter(date__range=(date(2027, 1, 4), date(2027, 1, 10))).count() == 7
    assert Event.objects.filter(verb="team.shift_removed").count() == 7


def test_generate_respects_time_off_stored_in_the_database(team):
    lead, people = team
    services.time_off_add(user=people[0], start=date(2027, 1, 4), end=date(2027, 1, 17), actor=people[0])
    services.schedule_generate(start=date(2027, 1, 4), end=date(2027, 1, 17), seed=2, actor=lead)
    assert not Shift.objects.filter(user=people[0]).exists()


def test_hostile_input_is_refused_with_a_clear_error(team):
    lead, people = team
    with pytest.raises(ValidationFailed):
        services.schedule_generate(start=date(2027, 2, 1), end=date(2027, 1, 1), seed=0, actor=lead)
    with pytest.raises(ValidationFailed):
        services.schedule_generate(start=date(2027, 1, 1), end=date(2029, 1, 1), seed=0, actor=lead)
    with pytest.raises(ValidationFailed):
        services.rotation_member_set(user=people[0], actor=lead, weekdays=[7])
    with pytest.raises(ValidationFailed):
        services.rotation_member_set(user=people[0], actor=lead, max_per_month=99)


def test_swap_hands_over_records_it_and_tells_both_in_their_language(team, django_capture_on_commit_callbacks):
    lead, (agent, product, _viewer) = team
    product.language = "ru"
    product.save(update_fields=["language"])
    shift = services.shift_set(day=date(2027, 1, 5), user=agent, actor=lead)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.shift_swap(shift=shift, to_user=product, actor=agent)
    shift.refresh_from_db()
    assert (shift.user, shift.swapped_from) == (product, agent)
    assert ShiftSwap.objects.get(shift=shift).to_user == product
    event = Event.objects.get(verb="team.shift_swapped")
    assert event.changes["user"] == [agent.pk, product.pk] and event.actor == agent
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email, product.email])
    russian = next(m for m in mail.outbox if m.to == [product.email])
    assert "/team/duty/" in russian.body and str(product) in russian.subject


def test_exchange_of_two_shifts_and_who_may_swap(team):
    lead, (agent, product, viewer) = team
    a = services.shift_set(day=date(2027, 1, 5), user=agent, actor=lead)
    b = services.shift_set(day=date(2027, 1, 6), user=product, actor=lead)
    with pytest.raises(PermissionDenied):  # not their shift, not a lead
        services.shift_swap(shift=a, to_user=viewer, actor=viewer)
    with pytest.raises(ValidationFailed):  # the other shift must belong to the person taking over
        services.shift_swap(shift=a, to_user=viewer, other_shift=b, actor=agent)
    services.shift_swap(shift=a, to_user=product, other_shift=b, actor=agent)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.user, b.user) == (product, agent)
    assert ShiftSwap.objects.count() == 2
    services.shift_swap(shift=a, to_user=viewer, actor=lead)  # a lead may move anyone's
    a.refresh_from_db()
    assert a.user == viewer


def test_duty_gives_agent_rights_during_the_shift_only(team):
    _lead, (_agent, product, viewer) = team
    now = timezone.now()
    Shift.objects.create(
        date=now.date(), user=viewer, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    Shift.objects.create(
        date=now.date() + timedelta(days=3),
        user=product,
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=8),
    )
    assert on_duty(user=viewer) and not on_duty(user=product)
    assert can(viewer, "ticket.reply") and can(viewer, "ticket.update")  # a viewer on duty answers tickets
    assert not can(viewer, "macro.write")  # ... with agent rights, not a lead's
    assert not can(viewer, "rotation.manage")
    assert not can(product, "ticket.reply")  # not on duty now
    later = timezone.now() + timedelta(hours=2)
    fresh = type(viewer).objects.get(pk=viewer.pk)
    assert not on_duty(user=fresh, at=later)


def test_duty_role_is_cached_per_minute_on_the_user(team, django_assert_num_queries):
    _lead, (_agent, _product, viewer) = team
    fresh = type(viewer).objects.get(pk=viewer.pk)
    with django_assert_num_queries(1):
        duty_role(fresh)
        duty_role(fresh)
        can(fresh, "ticket.reply")


def test_duty_view_takes_a_person_on_duty_to_new_tickets(team):
    _lead, (_agent, _product, viewer) = team
    client = Client()
    client.force_login(viewer)
    response = client.get("/team/duty/")
    assert response.status_code == 302 and response["Location"] == "/?status=new"


def test_rotation_page_shows_the_schedule_and_the_leads_tools(team):
    lead, (_agent, _product, viewer) = team
    services.schedule_generate(
        start=timezone.localdate(), end=timezone.localdate() + timedelta(days=6), seed=1, actor=lead
    )
    client = Client()
    client.force_login(lead)
    body = client.get("/team/").content.decode()
    assert 'id="schedule"' in body and 'id="members"' in body and "/team/calendar/" in body
    client.force_login(viewer)
    body = client.get("/team/").content.decode()
    assert 'id="schedule"' in body and 'id="members"' not in body
    assert client.post("/team/generate/", {"start": "2027-01-01", "end": "2027-01-02"}).status_code == 403


def test_api_lists_generates_and_refuses_non_leads(team, api_client):
    lead, (agent, _product, _viewer) = team
    api = api_client(lead)
    response = api.post("team/schedule/generate", {"start": "2027-01-04", "end": "2027-01-10", "seed": 3})
    assert response.status_code == 200, response.content
    assert response.json()["planned"] == 7
    listed = api.get("team/shifts", {"start": "2027-01-04", "end": "2027-01-10"}).json()
    assert [s["date"] for s in listed] == [f"2027-01-{d:02d}" for d in range(4, 11)]
    assert (
        api_client(agent).post("team/schedule/generate", {"start": "2027-01-04", "end": "2027-01-10"}).status_code
        == 403
    )
    bad = api.post("team/schedule/generate", {"start": "2027-01-04", "end": "2027-01-10", "extra": 1})
    assert bad.status_code == 422
