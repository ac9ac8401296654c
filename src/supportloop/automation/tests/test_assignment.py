"""Assignment per team: round-robin fairness (and under concurrency on PostgreSQL), least loaded within capacity
and skills, agents going away with each reassignment option, and the trigger action."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import close_old_connections, connection, transaction

from supportloop.accounts.services import team_create
from supportloop.automation.actions import ActionContext, action_spec
from supportloop.automation.models import AgentProfile, TeamAssignment
from supportloop.automation.routing import ASSIGN_BY_TEAM_METHOD
from supportloop.automation.services.assignment import (
    agent_profile_update,
    agent_set_away,
    assignment_choose,
    assignment_pick_in_transaction,
    team_assignment_update,
)
from supportloop.automation.services.routing import ticket_route
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.tickets.services import product_area_create, product_feature_create, ticket_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew(make_user):
    """A team of three agents, by id order a < b < c."""
    team = team_create(name="Support", slug="support")
    agents = [make_user("agent", username=name) for name in ("ann", "ben", "cat")]
    team.members.set(agents)
    return team, agents


def _assign(ticket) -> int | None:
    ticket_route(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    return ticket.assignee_id


def test_round_robin_gives_each_agent_a_turn_in_order(crew, make_ticket):
    team, (ann, ben, cat) = crew
    team_assignment_update(team=team, actor=None, method="round_robin")
    got = [_assign(make_ticket(team=team)) for _ in range(7)]
    assert got == [ann.pk, ben.pk, cat.pk, ann.pk, ben.pk, cat.pk, ann.pk]


def test_round_robin_skips_an_away_agent_without_losing_the_circle(crew, make_ticket):
    team, (ann, ben, cat) = crew
    team_assignment_update(team=team, actor=None, method="round_robin")
    assert _assign(make_ticket(team=team)) == ann.pk
    agent_set_away(user=ben, away=True, actor=ben)
    assert [_assign(make_ticket(team=team)) for _ in range(3)] == [cat.pk, ann.pk, cat.pk]
    agent_set_away(user=ben, away=False, actor=ben)
    assert _assign(make_ticket(team=team)) == ann.pk  # the circle goes on: after cat comes ann, then ben
    assert _assign(make_ticket(team=team)) == ben.pk


def test_a_manual_team_assigns_nobody(crew, make_ticket):
    team, _agents = crew
    team_assignment_update(team=team, actor=None, method="manual")
    ticket = make_ticket(team=team)
    assert ticket_route(ticket_id=ticket.pk) is None
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_least_loaded_picks_the_agent_with_fewest_open_tickets(crew, make_ticket):
    team, (ann, ben, cat) = crew
    # ann holds 2 open tickets, ben 1 open and 3 solved (solved ones do not count), cat 1.
    for agent, open_, solved in ((ann, 2, 0), (ben, 1, 3), (cat, 1, 0)):
        for _ in range(open_):
            make_ticket(team=team, assignee=agent, status="open")
        for _ in range(solved):
            make_ticket(team=team, assignee=agent, status="solved")
    team_assignment_update(team=team, actor=None, method="least_loaded")
    # ben and cat tie at 1: the tie goes round the circle (ben first), then cat, then all three are at 2.
    got = [_assign(make_ticket(team=team)) for _ in range(3)]
    assert got == [ben.pk, cat.pk, ann.pk]
    event = Event.objects.filter(verb="ticket.auto_assigned").order_by("id").first()
    assert event.changes["method"] == [None, "least_loaded"] and event.changes["load"] == [None, 1]


def test_capacity_caps_the_open_tickets_an_agent_gets(crew, make_ticket):
    team, (ann, ben, cat) = crew
    team_assignment_update(team=team, actor=None, method="least_loaded", default_capacity=1)
    agent_profile_update(user=cat, actor=None, capacity=2)  # cat's own capacity beats the team's
    got = [_assign(make_ticket(team=team)) for _ in range(5)]
    # ann 1, ben 1, cat 2; the fifth finds everyone full and stays unassigned.
    assert Counter(got) == Counter({ann.pk: 1, ben.pk: 1, cat.pk: 2, None: 1})


def test_required_skills_pick_only_agents_with_the_language_and_area(crew, make_ticket):
    team, (ann, ben, cat) = crew
    billing = product_area_create(name="Billing")
    invoices = product_feature_create(area=billing, name="Invoices")
    team_assignment_update(team=team, actor=None, method="round_robin", require_skills=True)
    agent_profile_update(user=ann, actor=None, languages=["en"], product_area_ids=[billing.pk])
    agent_profile_update(user=ben, actor=None, languages=["zh", "ru"], product_area_ids=[])
    agent_profile_update(user=cat, actor=None, languages=["zh-Hans"], product_area_ids=[billing.pk])
    assert _assign(make_ticket(team=team, language="zh")) == ben.pk
    assert _assign(make_ticket(team=team, language="zh", product_feature=invoices)) == cat.pk
    assert _assign(make_ticket(team=team, language="ru", product_feature=invoices)) is None  # nobody has both
    assert _assign(make_ticket(team=team, language="en", product_feature=invoices)) == ann.pk


def test_without_required_skills_anyone_takes_it(crew, make_ticket):
    team, (ann, _ben, _cat) = crew
    team_assignment_update(team=team, actor=None, method="round_robin", require_skills=False)
    assert _assign(make_ticket(team=team, language="ja")) == ann.pk


@pytest.mark.parametrize("option", ["leave", "unassign", "reassign"])
def test_going_away_hands_open_tickets_on_as_the_team_says(crew, make_ticket, option):
    team, (ann, ben, _cat) = crew
    team_assignment_update(team=team, actor=None, method="round_robin", on_agent_away=option)
    open_ticket = make_ticket(team=team, assignee=ann, status="open")
    solved = make_ticket(team=team, assignee=ann, status="solved")
    result = agent_set_away(user=ann, away=True, actor=ann)
    open_ticket.refresh_from_db()
    solved.refresh_from_db()
    assert solved.assignee_id == ann.pk  # only active tickets move
    expected = {"leave": ann.pk, "unassign": None, "reassign": ben.pk}[option]
    assert open_ticket.assignee_id == expected
    events = Event.objects.filter(verb="ticket.away_reassigned", target_id=str(open_ticket.pk))
    if option == "leave":
        assert result.left == 1 and not events.exists()
    else:
        (event,) = events
        assert event.changes["assignee"] == [ann.pk, expected] and event.changes["option"] == [None, option]
    assert Event.objects.filter(verb="agent.away_changed", target_id=str(ann.pk)).count() == 1
    assert AgentProfile.objects.get(user=ann).is_away


def test_setting_the_same_state_twice_records_once(crew):
    _team, (ann, _ben, _cat) = crew
    assert agent_set_away(user=ann, away=True, actor=ann).changed
    assert not agent_set_away(user=ann, away=True, actor=ann).changed
    assert agent_set_away(user=ann, away=False, actor=ann).changed
    assert Event.objects.filter(verb="agent.away_changed").count() == 2


def test_reassign_with_nobody_available_returns_the_ticket_to_the_team(crew, make_ticket):
    team, (ann, _ben, _cat) = crew
    team.members.set([ann])
    team_assignment_update(team=team, actor=None, method="round_robin", on_agent_away="reassign")
    ticket = make_ticket(team=team, assignee=ann, status="open")
    result = agent_set_away(user=ann, away=True, actor=ann)
    ticket.refresh_from_db()
    assert ticket.assignee_id is None and result.unassigned == 1


def test_the_assign_action_runs_and_previews(crew, make_ticket):
    team, (ann, _ben, _cat) = crew
    team_assignment_update(team=team, actor=None, method="round_robin")
    spec = action_spec(ASSIGN_BY_TEAM_METHOD)
    assert spec.validate({}) == {}
    with pytest.raises(ValidationFailed):
        spec.validate({"team": "x"})
    ticket = make_ticket()
    assert "no team" in spec.preview(ticket, {})
    ticket = ticket_update(ticket=ticket, actor=None, team=team)
    assert "Ann" in spec.preview(ticket, {}) or "ann" in spec.preview(ticket, {})
    assert TeamAssignment.objects.get(team=team).last_assigned_user_id is None  # a preview moves nothing
    line = spec.run(ticket, {}, ActionContext(event=None, rule_label="trigger: VIP"))
    ticket.refresh_from_db()
    assert ticket.assignee_id == ann.pk and "ann" in line.lower()
    event = Event.objects.get(verb="ticket.auto_assigned", target_id=str(ticket.pk))
    assert event.changes["reason"] == [None, "trigger: VIP"]


def test_settings_refuse_bad_values(crew, make_user):
    team, (ann, _ben, _cat) = crew
    with pytest.raises(ValidationFailed) as caught:
        team_assignment_update(team=team, actor=None, method="lottery")
    assert "method" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        team_assignment_update(team=team, actor=None, default_capacity=-1)
    assert "default_capacity" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        agent_profile_update(user=ann, actor=None, languages=["english please"])
    assert "languages" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        agent_profile_update(user=ann, actor=None, product_area_ids=[424242])
    assert "product_area_ids" in caught.value.errors


def test_choose_writes_nothing(crew, make_ticket, django_assert_max_num_queries):
    team, (ann, _ben, _cat) = crew
    settings = team_assignment_update(team=team, actor=None, method="least_loaded")
    ticket = make_ticket(team=team)
    with django_assert_max_num_queries(2):  # members with profiles, loads from the rollup
        choice = assignment_choose(team=team, ticket=ticket, settings=settings)
    assert choice.user == ann


@pytest.mark.django_db(transaction=True)
def test_round_robin_is_fair_under_concurrent_routing(crew, make_ticket):
    """Two threads route ten tickets each at once: the team's row lock serialises the pointer, so the three agents
    end with 7, 7 and 6 tickets and nobody is skipped or served twice in a row."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) need PostgreSQL; SQLite serialises writers anyway")
    team, agents = crew
    tickets = [make_ticket(team=team) for _ in range(20)]  # created while the team assigns by hand: unassigned
    team_assignment_update(team=team, actor=None, method="round_robin")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker(batch):
        try:
            barrier.wait()
            for t in batch:
                ticket_route(ticket_id=t.pk)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(tickets[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    order = list(
        Event.objects.filter(verb="ticket.auto_assigned").order_by("id").values_list("changes__assignee", flat=True)
    )
    assignees = [pair[1] for pair in order]
    assert len(assignees) == 20
    assert sorted(Counter(assignees).values()) == [6, 7, 7]
    # In commit order the assignees cycle ann, ben, cat, ann ... exactly.
    ids = [a.pk for a in agents]
    assert assignees == [ids[i % 3] for i in range(20)]


@pytest.mark.django_db(transaction=True)
def test_the_team_lock_alone_keeps_the_pointer_fair(crew, make_ticket):
    """The pointer's own lock, without the changes counter routing also takes (a trigger's action picks inside a
    transaction of its own): two threads pick at once, holding their transaction open a moment, and still no
    agent is served twice in a row."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks (SELECT ... FOR UPDATE) need PostgreSQL")
    team, agents = crew
    ticket = make_ticket(team=team)
    team_assignment_update(team=team, actor=None, method="round_robin")
    picked: list[int] = []
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait()
            for _ in range(6):
                with transaction.atomic():
                    choice = assignment_pick_in_transaction(team=team, ticket=ticket)
                    picked.append(choice.user.pk)  # under the lock: the list is in lock order
                    time.sleep(0.01)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    ids = [a.pk for a in agents]
    assert picked == [ids[i % 3] for i in range(12)]
