"""Rotation services against the database: generating, the lead's edits, swaps (recorded, both told), and the
duty role (agent rights during the shift only)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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
from supportloop.team.models import Shift, ShiftPattern, ShiftSwap, SwapRequest
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


def test_swap_is_proposed_then_accepted_recorded_and_both_told_in_their_language(
    team, django_capture_on_commit_callbacks
):
    lead, (agent, product, _viewer) = team
    product.language = "ru"
    product.save(update_fields=["language"])
    shift = services.shift_set(day=date(2027, 1, 5), user=agent, actor=lead)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        proposal = services.swap_propose(shift=shift, to_user=product, actor=agent, note="dentist")
    shift.refresh_from_db()
    assert shift.user == agent  # nothing moves before the answer
    assert [m.to for m in mail.outbox] == [[product.email]] and "/team/" in mail.outbox[0].body
    assert Event.objects.get(verb="team.swap_proposed").actor == agent
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.swap_accept(request=proposal, actor=product)
    shift.refresh_from_db()
    proposal.refresh_from_db()
    assert (shift.user, shift.swapped_from, proposal.status) == (product, agent, "accepted")
    assert ShiftSwap.objects.get(shift=shift).to_user == product
    event = Event.objects.get(verb="team.shift_swapped")
    assert event.changes["user"] == [agent.pk, product.pk] and event.actor == product
    assert Event.objects.filter(verb="team.swap_accepted", actor=product).count() == 1
    # Both told: the shift-change notice to each, and the accepted notice to each.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email, product.email] * 2)
    russian = [m for m in mail.outbox if m.to == [product.email]]
    assert any("/team/duty/" in m.body and str(product) in m.subject for m in russian)


def test_swap_declined_or_withdrawn_moves_nothing_and_only_the_two_may_answer(team, django_capture_on_commit_callbacks):
    lead, (agent, product, viewer) = team
    shift = services.shift_set(day=date(2027, 1, 5), user=agent, actor=lead)
    proposal = services.swap_propose(shift=shift, to_user=product, actor=agent)
    with pytest.raises(ValidationFailed):  # one open request per shift
        services.swap_propose(shift=shift, to_user=viewer, actor=agent)
    with pytest.raises(PermissionDenied):  # a third person cannot accept or decline
        services.swap_accept(request=proposal, actor=viewer)
    with pytest.raises(PermissionDenied):
        services.swap_decline(request=proposal, actor=viewer)
    with pytest.raises(PermissionDenied):  # the proposer cannot accept their own
        services.swap_accept(request=proposal, actor=agent)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.swap_decline(request=proposal, actor=product)
    proposal.refresh_from_db()
    shift.refresh_from_db()
    assert (proposal.status, shift.user) == ("declined", agent)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([agent.email, product.email])
    with pytest.raises(ValidationFailed):  # answered already
        services.swap_accept(request=proposal, actor=product)
    again = services.swap_propose(shift=shift, to_user=viewer, actor=agent)
    services.swap_decline(request=again, actor=agent)
    assert SwapRequest.objects.get(pk=again.pk).status == "withdrawn"
    assert not ShiftSwap.objects.exists()
    assert Event.objects.filter(verb__in=["team.swap_declined", "team.swap_withdrawn"]).count() == 2


def test_only_the_person_on_the_shift_proposes_and_a_changed_shift_cannot_be_accepted(team):
    lead, (agent, product, viewer) = team
    shift = services.shift_set(day=date(2027, 1, 5), user=agent, actor=lead)
    with pytest.raises(PermissionDenied):
        services.swap_propose(shift=shift, to_user=viewer, actor=product)
    with pytest.raises(ValidationFailed):  # taker not in the rotation
        services.swap_propose(shift=shift, to_user=lead, actor=agent)
    proposal = services.swap_propose(shift=shift, to_user=product, actor=agent)
    services.shift_swap(shift=shift, to_user=viewer, actor=lead)  # the lead moves it meanwhile
    proposal.refresh_from_db()
    assert proposal.status == "withdrawn"  # the lead's move closes the open request
    past = services.shift_set(day=date(2020, 1, 6), user=agent, actor=lead)
    with pytest.raises(ValidationFailed):
        services.swap_propose(shift=past, to_user=product, actor=agent)


def test_accept_refuses_when_the_shift_changed_hands_since(team):
    lead, (agent, product, viewer) = team
    shift = services.shift_set(day=date(2027, 1, 5), user=agent, actor=lead)
    proposal = services.swap_propose(shift=shift, to_user=product, actor=agent)
    Shift.objects.filter(pk=shift.pk).update(user=viewer)  # changed behind the request's back
    with pytest.raises(ValidationFailed):
        services.swap_accept(request=proposal, actor=product)
    assert SwapRequest.objects.get(pk=proposal.pk).status == "proposed"


def test_exchange_of_two_shifts_by_proposal_and_the_leads_direct_edit(team):
    lead, (agent, product, viewer) = team
    a = services.shift_set(day=date(2027, 1, 5), user=agent, actor=lead)
    b = services.shift_set(day=date(2027, 1, 6), user=product, actor=lead)
    with pytest.raises(PermissionDenied):  # moving a shift directly is the lead's
        services.shift_swap(shift=a, to_user=viewer, actor=agent)
    with pytest.raises(ValidationFailed):  # the other shift must belong to the person taking over
        services.swap_propose(shift=a, to_user=viewer, other_shift=b, actor=agent)
    proposal = services.swap_propose(shift=a, to_user=product, other_shift=b, actor=agent)
    services.swap_accept(request=proposal, actor=product)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.user, b.user) == (product, agent)
    assert ShiftSwap.objects.count() == 2
    services.shift_swap(shift=a, to_user=viewer, actor=lead)  # a lead may move anyone's
    a.refresh_from_db()
    assert a.user == viewer


def test_several_shifts_a_day_at_their_local_hours_filled_fairly_and_never_two_for_one_person(team, settings):
    lead, people = team
    settings.TIME_ZONE = "Europe/Berlin"
    early = services.shift_pattern_save(actor=lead, name="Early", start_time=time(6), end_time=time(14))
    late = services.shift_pattern_save(actor=lead, name="Late", start_time=time(14), end_time=time(22))
    night = services.shift_pattern_save(
        actor=lead, name="Night", start_time=time(22), end_time=time(6), time_zone="America/New_York", weekdays=[4]
    )
    plan = services.schedule_generate(start=date(2027, 1, 4), end=date(2027, 1, 10), seed=3, actor=lead)
    assert not plan.gaps and len(plan.assignments) == 7 * 2 + 1  # early + late every day, night on Friday
    shifts = list(Shift.objects.select_related("pattern"))
    per_day = {}
    for s in shifts:
        per_day.setdefault(s.date, []).append(s.user_id)
    assert all(len(users) == len(set(users)) for users in per_day.values())  # nobody twice on a day
    # 15 shifts of 8 hours over 3 people: 5 each (hours are equal, so counts are).
    assert sorted([sum(1 for s in shifts if s.user_id == p.pk) for p in people]) == [5, 5, 5]
    monday_early = next(s for s in shifts if s.pattern == early and s.date == date(2027, 1, 4))
    assert monday_early.starts_at == datetime(2027, 1, 4, 5, 0, tzinfo=UTC)  # 06:00 in Berlin (UTC+1)
    friday_night = next(s for s in shifts if s.pattern == night)
    assert friday_night.starts_at == datetime(2027, 1, 9, 3, 0, tzinfo=UTC)  # 22:00 in New York (UTC-5)
    assert friday_night.ends_at == datetime(2027, 1, 9, 11, 0, tzinfo=UTC)  # 06:00 the next morning
    assert late.shifts.count() == 7
    with pytest.raises(ValidationFailed):  # someone already on the early shift cannot take the late one too
        services.shift_set(day=monday_early.date, user=monday_early.user, pattern=late, actor=lead)
    with pytest.raises(ValidationFailed):
        services.shift_pattern_save(actor=lead, name="Bad", start_time=time(9), end_time=time(17), time_zone="Mars/X")
    with pytest.raises(ValidationFailed):
        services.shift_pattern_save(actor=lead, name="early", start_time=time(9), end_time=time(17))


def test_duty_gives_agent_rights_during_the_shift_only(team):
    _lead, (_agent, product, viewer) = team
    now = timezone.now()
    day = ShiftPattern.objects.create(name="Day", start_time=time(9), end_time=time(17))
    Shift.objects.create(
        date=now.date(), pattern=day, user=viewer, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    Shift.objects.create(
        date=now.date() + timedelta(days=3),
        pattern=day,
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
    assert response.json() == {"planned": 7, "gaps": []}
    gap = api.post("team/schedule/generate", {"start": "2027-02-01", "end": "2027-02-01", "seed": 3})
    assert gap.json()["planned"] == 1
    listed = api.get("team/shifts", {"start": "2027-01-04", "end": "2027-01-10"}).json()
    assert [s["date"] for s in listed] == [f"2027-01-{d:02d}" for d in range(4, 11)]
    assert (
        api_client(agent).post("team/schedule/generate", {"start": "2027-01-04", "end": "2027-01-10"}).status_code
        == 403
    )
    bad = api.post("team/schedule/generate", {"start": "2027-01-04", "end": "2027-01-10", "extra": 1})
    assert bad.status_code == 422


def test_a_product_manager_on_duty_has_agent_rights_only_while_the_shift_runs(team):
    _lead, (_agent, product, _viewer) = team
    now = timezone.now()
    day = ShiftPattern.objects.create(name="Day", start_time=time(9), end_time=time(17))
    shift = Shift.objects.create(
        date=now.date(),
        pattern=day,
        user=product,
        starts_at=now - timedelta(hours=8),
        ends_at=now - timedelta(minutes=1),
    )
    fresh = type(product).objects.get(pk=product.pk)
    assert not can(fresh, "ticket.reply")  # the shift ended a minute ago
    Shift.objects.filter(pk=shift.pk).update(ends_at=now + timedelta(minutes=30))
    fresh = type(product).objects.get(pk=product.pk)
    assert can(fresh, "ticket.reply") and can(fresh, "ticket.update")  # running now: agent rights
    assert not can(fresh, "rotation.manage") and not can(fresh, "forecast.view")  # never a lead's
