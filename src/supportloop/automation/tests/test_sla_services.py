"""SLA state kept from ticket events, policy selection in order, and the periodic check recording each warning
and breach exactly once (twice in a row, and two passes at once on PostgreSQL).

Calendar: Mon-Fri 09:00-17:00 Europe/Berlin with Berlin's public holidays; February 2026 is CET (UTC+1).
Policy "Everyone": normal priority, first response 4 h, next response 2 h, resolution 16 h, warning 1 h before.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, connections

from supportloop.automation.models import TicketSla
from supportloop.automation.services.sla import sla_check_due, ticket_sla_apply
from supportloop.automation.services.sla_config import (
    business_calendar_create,
    business_calendar_update,
    sla_policy_create,
    sla_policy_update,
)
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.tickets import hooks
from supportloop.tickets.hooks import TicketEventKind
from supportloop.tickets.services import message_add_from_contact, ticket_reply, ticket_update

NINE_TO_FIVE = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]
MON_15_CET = datetime(2026, 2, 9, 14, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def heard(monkeypatch):
    """Ticket events raised by the check, in place of the real listeners (triggers would act on them)."""
    events = []
    monkeypatch.setattr(hooks, "ticket_event_listeners", [events.append])
    return events


@pytest.fixture
def calendar(db):
    return business_calendar_create(
        name="Berlin office",
        time_zone="Europe/Berlin",
        hours=NINE_TO_FIVE,
        holidays_country="DE",
        holidays_subdivision="BE",
        is_default=True,
        actor=None,
    )


@pytest.fixture
def everyone(calendar):
    return sla_policy_create(
        name="Everyone",
        targets={"normal": {"first_response": 240, "next_response": 120, "resolution": 960}},
        warn_before_minutes=60,
        actor=None,
    )


def _created(make_ticket, **fields):
    ticket = make_ticket(created_at=MON_15_CET, **fields)
    return ticket, ticket_sla_apply(ticket_id=ticket.pk, kind="created", changes={"status": [None, "new"]})


def test_a_new_ticket_gets_its_policys_due_times_from_its_creation_time(everyone, make_ticket):
    _ticket, sla = _created(make_ticket)
    assert sla.policy == everyone
    # Mon 15:00 CET + 4 h: 2 h Monday, Tue 09:00 + 2 h = Tue 11:00 CET = 10:00 UTC; warning 1 h earlier
    assert sla.first_response_due_at == utc(2026, 2, 10, 10)
    assert sla.first_response_warn_at == utc(2026, 2, 10, 9)
    # 16 h: Mon 2, Tue 8, Wed 6 -> Wed 11 Feb 15:00 CET = 14:00 UTC
    assert sla.resolution_due_at == utc(2026, 2, 11, 14)
    assert sla.next_check_at == utc(2026, 2, 10, 9)


def test_the_first_matching_policy_in_order_applies(everyone, make_ticket, make_company, make_contact):
    big = make_company("Bigco", plan="enterprise")
    enterprise = sla_policy_create(
        name="Enterprise",
        plans=["enterprise"],
        targets={"normal": {"first_response": 60}, "urgent": {"first_response": 30}},
        actor=None,
    )
    ticket, sla = _created(make_ticket, requester=make_contact("Eve", company=big))
    assert sla.policy == everyone  # "Everyone" comes first and matches too
    sla_policy_update(policy=enterprise, position=1, actor=None)
    sla = ticket_sla_apply(
        ticket_id=ticket.pk, kind="updated", changes={"priority": ["normal", "normal"]}, at=MON_15_CET
    )
    assert sla.policy == enterprise
    assert sla.first_response_due_at == utc(2026, 2, 9, 15)  # one business hour: Mon 16:00 CET
    # A pro customer's ticket does not match the enterprise plan; a low-priority one matches no target at all.
    _t, pro_sla = _created(make_ticket)
    assert pro_sla.policy == everyone
    _t, low_sla = _created(make_ticket, priority="low")
    assert low_sla.policy is None and low_sla.first_response_due_at is None and low_sla.next_check_at is None


def test_the_check_warns_then_breaches_once_each_and_raises_ticket_events(
    everyone, make_ticket, heard, django_capture_on_commit_callbacks
):
    ticket, _sla = _created(make_ticket)
    assert sla_check_due(now=utc(2026, 2, 10, 8, 59)).warnings == 0
    with django_capture_on_commit_callbacks(execute=True):
        first = sla_check_due(now=utc(2026, 2, 10, 9))
        again = sla_check_due(now=utc(2026, 2, 10, 9, 30))
    assert (first.warnings, again.warnings) == (1, 0)
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_warned_at == utc(2026, 2, 10, 9)
    assert sla.next_check_at == utc(2026, 2, 10, 10)  # now the breach
    with django_capture_on_commit_callbacks(execute=True):
        late = sla_check_due(now=utc(2026, 2, 10, 12))  # the check ran late: the breach is dated at the due time
        assert (late.breaches, sla_check_due(now=utc(2026, 2, 10, 12)).breaches) == (1, 0)
    sla.refresh_from_db()
    assert sla.first_response_breached_at == utc(2026, 2, 10, 10)
    assert [(e.kind, e.changes["target"][1]) for e in heard] == [
        (TicketEventKind.SLA_WARNING, "first_response"),
        (TicketEventKind.SLA_BREACH, "first_response"),
    ]
    verbs = list(
        Event.objects.filter(target_id=str(ticket.pk), verb__startswith="ticket.sla").values_list("verb", flat=True)
    )
    assert sorted(verbs) == ["ticket.sla_breached", "ticket.sla_warning"]


def test_an_answer_after_the_due_time_records_the_breach_at_the_due_time(
    everyone, make_ticket, heard, django_capture_on_commit_callbacks
):
    ticket, _sla = _created(make_ticket)
    with django_capture_on_commit_callbacks(execute=True):
        sla = ticket_sla_apply(
            ticket_id=ticket.pk, kind="replied", changes={"status": ["new", "open"]}, at=utc(2026, 2, 10, 11)
        )
    assert sla.first_response_fulfilled_at == utc(2026, 2, 10, 11)
    assert sla.first_response_breached_at == utc(2026, 2, 10, 10)
    assert sla_check_due(now=utc(2026, 2, 10, 12)).breaches == 0  # already recorded
    assert [e.kind for e in heard] == [TicketEventKind.SLA_BREACH]


def test_pending_pauses_the_clocks_and_the_history_is_kept(everyone, make_ticket):
    ticket, _sla = _created(make_ticket)
    # answered Mon 16:00 CET and set pending; the customer answers Tue 10:30 CET
    ticket_sla_apply(
        ticket_id=ticket.pk, kind="replied", changes={"status": ["new", "pending"]}, at=utc(2026, 2, 9, 15)
    )
    paused = TicketSla.objects.get(ticket=ticket)
    assert (
        paused.paused_since == utc(2026, 2, 9, 15) and paused.resolution_due_at is None and paused.next_check_at is None
    )
    sla = ticket_sla_apply(
        ticket_id=ticket.pk,
        kind="customer_replied",
        changes={"status": ["pending", "open"]},
        at=utc(2026, 2, 10, 9, 30),
    )
    assert sla.paused_since is None and sla.paused_seconds == 9000  # Mon 1 h + Tue 1.5 h
    # resolution 16 h + 2.5 h from Mon 15:00 CET: Mon 2, Tue 8, Wed 8 (18), Thu 0.5 -> Thu 09:30 CET = 08:30 UTC
    assert sla.resolution_due_at == utc(2026, 2, 12, 8, 30)
    assert sla.next_response_due_at == utc(2026, 2, 10, 11, 30)  # Tue 10:30 CET + 2 h
    assert list(sla.pauses.values_list("status", "started_at", "ended_at", "business_seconds")) == [
        ("pending", utc(2026, 2, 9, 15), utc(2026, 2, 10, 9, 30), 9000)
    ]
    # answered in time: the cycle counts as met
    sla = ticket_sla_apply(ticket_id=ticket.pk, kind="replied", changes={}, at=utc(2026, 2, 10, 10))
    assert (sla.next_response_met_count, sla.next_response_breached_count) == (1, 0)


def test_the_listener_follows_the_ticket_services(everyone, make_ticket, make_user, django_capture_on_commit_callbacks):
    agent = make_user("agent")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.started_at == ticket.created_at and sla.first_response_due_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(ticket=ticket, actor=agent, body="On it.", status="pending")
    sla.refresh_from_db()
    assert sla.first_response_fulfilled_at == reply.created_at
    assert sla.paused_since == reply.created_at
    with django_capture_on_commit_callbacks(execute=True):
        answer = message_add_from_contact(ticket=ticket, contact=ticket.requester, body="Still broken.")
    sla.refresh_from_db()
    assert sla.paused_since is None and sla.next_response_started_at == answer.created_at
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=agent, status="solved")
    sla.refresh_from_db()
    assert sla.resolution_fulfilled_at is not None and sla.paused_since == sla.resolution_fulfilled_at
    assert Event.objects.filter(verb="sla.clock_updated", target_id=str(ticket.pk)).count() == 4


def test_a_reply_with_nobody_waiting_skips_the_clock_and_one_after_a_customer_message_fulfils_it(
    everyone, make_ticket, make_user, django_capture_on_commit_callbacks, monkeypatch
):
    from supportloop.automation.services import sla as sla_services

    applied = []
    real_apply = sla_services.ticket_sla_apply
    monkeypatch.setattr(sla_services, "ticket_sla_apply", lambda **kw: applied.append(kw["kind"]) or real_apply(**kw))
    agent = make_user("agent")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        first = ticket_reply(ticket=ticket, actor=agent, body="On it.")
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(ticket=ticket, actor=agent, body="And one more thing.")
    assert applied == ["created", "replied"]  # the second reply answers nobody: no clock work
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_fulfilled_at == first.created_at and sla.next_response_started_at is None

    with django_capture_on_commit_callbacks(execute=True):
        question = message_add_from_contact(ticket=ticket, contact=ticket.requester, body="Any news?")
    with django_capture_on_commit_callbacks(execute=True):
        answer = ticket_reply(ticket=ticket, actor=agent, body="Yes: fixed.")
    assert applied == ["created", "replied", "customer_replied", "replied"]
    sla.refresh_from_db()
    assert sla.next_response_started_at == question.created_at
    assert sla.next_response_fulfilled_at == answer.created_at
    assert (sla.next_response_met_count, sla.next_response_breached_count) == (1, 0)


def test_a_team_calendar_replaces_the_default(everyone, calendar, make_ticket, make_user):
    from supportloop.accounts.services import team_create

    team = team_create(name="Tokyo", slug="tokyo", members=[], actor=None)
    business_calendar_create(
        name="Tokyo office",
        time_zone="Asia/Tokyo",
        hours=[{"day": d, "start": "09:00", "end": "18:00"} for d in range(5)],
        teams=[team],
        actor=None,
    )
    _t, sla = _created(make_ticket, team=team)
    # Mon 9 Feb 14:00 UTC = 23:00 JST, closed; Tue 09:00 JST + 4 h = 13:00 JST = 04:00 UTC
    assert sla.first_response_due_at == utc(2026, 2, 10, 4)
    assert sla.calendar.name == "Tokyo office"


def test_bad_calendars_and_policies_are_refused_with_field_errors(calendar):
    cases = [
        (lambda: business_calendar_update(calendar=calendar, time_zone="Mars/Olympus", actor=None), "time_zone"),
        (lambda: business_calendar_update(calendar=calendar, holidays_country="XX", actor=None), "holidays_country"),
        (
            lambda: business_calendar_update(calendar=calendar, holidays_subdivision="ZZ", actor=None),
            "holidays_subdivision",
        ),
        (
            lambda: business_calendar_update(
                calendar=calendar, hours=[{"day": 9, "start": "09:00", "end": "10:00"}], actor=None
            ),
            "hours",
        ),
        (
            lambda: business_calendar_update(
                calendar=calendar, custom_closed_dates=[{"date": "2026-13-01"}], actor=None
            ),
            "custom_closed_dates",
        ),
        (
            lambda: sla_policy_create(name="P", targets={"normal": {"first_response": 0}}, actor=None),
            "targets.normal.first_response",
        ),
        (lambda: sla_policy_create(name="P", targets={"someday": {"first_response": 5}}, actor=None), "targets"),
        (lambda: sla_policy_create(name="P", targets={}, actor=None), "targets"),
        (
            lambda: sla_policy_create(name="P", plans=["gold"], targets={"normal": {"resolution": 5}}, actor=None),
            "plans",
        ),
    ]
    for call, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            call()
        assert field in caught.value.errors, (field, caught.value.errors)


def _one_breach_due(make_ticket):
    ticket = make_ticket(created_at=MON_15_CET)
    ticket_sla_apply(ticket_id=ticket.pk, kind="created", changes={"status": [None, "new"]})
    return ticket


@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_record_each_breach_once(make_ticket, heard):
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SKIP LOCKED) and two connections at once: PostgreSQL")
    business_calendar_create(name="Berlin", time_zone="Europe/Berlin", hours=NINE_TO_FIVE, is_default=True, actor=None)
    sla_policy_create(name="Everyone", targets={"normal": {"first_response": 240}}, warn_before_minutes=0, actor=None)
    tickets = [_one_breach_due(make_ticket) for _ in range(30)]
    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(sla_check_due(now=utc(2026, 2, 11, 12), batch_size=7))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(r.breaches for r in results) == len(tickets)
    assert Event.objects.filter(verb="ticket.sla_breached").count() == len(tickets)
    assert len([e for e in heard if e.kind == TicketEventKind.SLA_BREACH]) == len(tickets)


def test_the_cached_policies_follow_every_policy_write(everyone):
    """The listener reads the policies from a per-process cache: creating, changing or switching off a policy
    bumps its version, so the next ticket event sees the change."""
    from supportloop.automation.services.sla import active_policies
    from supportloop.automation.services.sla_config import sla_policy_update

    before = active_policies()
    policy = sla_policy_create(
        name="Cached", targets={"normal": {"first_response": 60}}, actor=None, business_hours=False
    )
    assert [p.pk for p in active_policies()] == [*(p.pk for p in before), policy.pk]
    sla_policy_update(policy=policy, actor=None, warn_before_minutes=5)
    assert next(p for p in active_policies() if p.pk == policy.pk).warn_before_minutes == 5
    sla_policy_update(policy=policy, actor=None, is_active=False)
    assert policy.pk not in [p.pk for p in active_policies()]


def test_the_cached_calendars_follow_every_calendar_write(calendar, django_assert_num_queries):
    """The SLA listener and the analytics refresh read the calendars from a per-process cache: a new calendar, a
    changed one and a team moved between calendars bump its version, and an unchanged version costs one query."""
    from supportloop.accounts.services import team_create
    from supportloop.automation.services.sla import business_calendars
    from supportloop.automation.services.sla_config import business_calendar_update

    assert business_calendars().default == calendar and not business_calendars().by_team
    team = team_create(name="Night shift", slug="night", actor=None)
    night = business_calendar_create(
        name="Night", time_zone="UTC", hours=NINE_TO_FIVE, actor=None, teams=[team], holidays_country=""
    )
    assert business_calendars().for_team(team.pk) == night
    business_calendar_update(calendar=calendar, actor=None, time_zone="Asia/Shanghai")
    assert business_calendars().default.time_zone == "Asia/Shanghai"
    business_calendar_update(calendar=calendar, actor=None, teams=[team])
    assert business_calendars().for_team(team.pk) == calendar
    with django_assert_num_queries(1):  # the version probe only
        assert business_calendars().for_team(None) == calendar


def test_undo_send_rearms_the_targets_the_withdrawn_reply_answered(
    everyone, make_ticket, make_user, django_capture_on_commit_callbacks
):
    from supportloop.tickets.services import reply_withdraw, ticket_compose

    agent = make_user("agent")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        held = ticket_compose(ticket=ticket, actor=agent, kind="reply", body="On it.", hold_seconds=10)
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_fulfilled_at == held.created_at
    assert sla.next_check_at == sla.resolution_warn_at  # the only target still running

    with django_capture_on_commit_callbacks(execute=True):
        reply_withdraw(message=held, actor=agent)
    sla.refresh_from_db()
    assert sla.first_response_fulfilled_at is None
    assert sla.next_check_at == sla.first_response_warn_at < sla.resolution_warn_at  # the check watches it again
    assert Event.objects.filter(verb="sla.clock_updated", changes__reopened=[None, ["first_response"]]).exists()

    with django_capture_on_commit_callbacks(execute=True):
        answer = ticket_reply(ticket=ticket, actor=agent, body="Fixed.")
    with django_capture_on_commit_callbacks(execute=True):
        question = message_add_from_contact(ticket=ticket, contact=ticket.requester, body="Not for me.")
    with django_capture_on_commit_callbacks(execute=True):
        held = ticket_compose(ticket=ticket, actor=agent, kind="reply", body="Try again?", hold_seconds=10)
    sla.refresh_from_db()
    assert sla.first_response_fulfilled_at == answer.created_at
    assert sla.next_response_fulfilled_at == held.created_at and sla.next_response_met_count == 1

    with django_capture_on_commit_callbacks(execute=True):
        reply_withdraw(message=held, actor=agent)
    sla.refresh_from_db()
    assert sla.first_response_fulfilled_at == answer.created_at  # answered by a reply that did leave
    assert sla.next_response_started_at == question.created_at and sla.next_response_fulfilled_at is None
    assert (sla.next_response_met_count, sla.next_response_breached_count) == (0, 0)
    assert sla.next_check_at == sla.next_response_warn_at

    with django_capture_on_commit_callbacks(execute=True):
        final = ticket_reply(ticket=ticket, actor=agent, body="Try again now.")
    sla.refresh_from_db()
    assert sla.next_response_fulfilled_at == final.created_at and sla.next_response_met_count == 1
