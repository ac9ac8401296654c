"""Routing rules: each criterion, the order (first match wins), the cache's invalidation, and the listener that
routes a ticket created through ticket_create or the API, with its audit events."""

from __future__ import annotations

import pytest

from supportloop.accounts.services import team_create
from supportloop.automation.models import RoutingRule
from supportloop.automation.services import routing
from supportloop.automation.services.assignment import team_assignment_update
from supportloop.automation.services.routing import (
    active_rules,
    routing_rule_create,
    routing_rule_update,
    routing_rules_reorder,
    ticket_route,
)
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.mail.models import Mailbox, TicketMailbox
from supportloop.tickets.services import contact_reason_create, product_area_create, product_feature_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(db):
    return {slug: team_create(name=slug.title(), slug=slug) for slug in ("passwords", "apac", "billing", "vip")}


def _routed_team(ticket) -> str | None:
    ticket.refresh_from_db()
    return ticket.team.slug if ticket.team else None


def test_keywords_match_subject_or_body_case_insensitively_in_any_script(teams, make_ticket):
    routing_rule_create(
        actor=None, name="Password resets", keywords=["Password", "пароль", "密码"], team=teams["passwords"]
    )
    english = make_ticket("Forgot my PASSWORD", body="Help")
    russian = make_ticket("Вход", body="Не могу сбросить ПАРОЛЬ, помогите")
    chinese = make_ticket("登录问题", body="我忘记了密码")
    other = make_ticket("Invoice", body="Wrong amount")
    for t in (english, russian, chinese, other):
        ticket_route(ticket_id=t.pk)
    assert [_routed_team(t) for t in (english, russian, chinese, other)] == ["passwords"] * 3 + [None]


@pytest.mark.parametrize(
    ("criterion", "matching", "other"),
    [
        ("channels", {"channel": "email"}, {"channel": "web"}),
        ("languages", {"language": "zh-Hans"}, {"language": "de"}),
    ],
)
def test_channel_and_language_criteria(teams, make_ticket, criterion, matching, other):
    value = ["email"] if criterion == "channels" else ["zh"]
    routing_rule_create(actor=None, name="rule", team=teams["apac"], **{criterion: value})
    yes, no = make_ticket(**matching), make_ticket(**other)
    ticket_route(ticket_id=yes.pk)
    ticket_route(ticket_id=no.pk)
    assert (_routed_team(yes), _routed_team(no)) == ("apac", None)


def test_language_falls_back_to_the_requesters(teams, make_ticket, make_contact):
    routing_rule_create(actor=None, name="Russian", languages=["ru"], team=teams["apac"])
    olga = make_contact("Olga", language="ru")
    ticket = make_ticket(requester=olga)
    ticket_route(ticket_id=ticket.pk)
    assert _routed_team(ticket) == "apac"


def test_taxonomy_criteria(teams, make_ticket):
    area = product_area_create(name="Billing")
    invoices = product_feature_create(area=area, name="Invoices")
    other_area = product_area_create(name="Reports")
    csv = product_feature_create(area=other_area, name="CSV")
    refund = contact_reason_create(name="Refund")
    routing_rule_create(actor=None, name="area", product_area_ids=[area.pk], team=teams["billing"])
    routing_rule_create(actor=None, name="feature", product_feature_ids=[csv.pk], team=teams["apac"])
    routing_rule_create(actor=None, name="reason", contact_reason_ids=[refund.pk], team=teams["vip"])
    by_area, by_feature, by_reason = (
        make_ticket(product_feature=invoices),
        make_ticket(product_feature=csv),
        make_ticket(contact_reason=refund),
    )
    for t in (by_area, by_feature, by_reason):
        ticket_route(ticket_id=t.pk)
    assert [_routed_team(t) for t in (by_area, by_feature, by_reason)] == ["billing", "apac", "vip"]


def test_plan_criterion_reads_the_company(teams, make_ticket, make_company, make_contact):
    routing_rule_create(actor=None, name="Enterprise", plans=["enterprise"], team=teams["vip"])
    big = make_contact("Ann", company=make_company("Big", plan="enterprise"))
    small = make_contact("Bob", company=make_company("Small", plan="free"))
    a, b = make_ticket(requester=big), make_ticket(requester=small)
    ticket_route(ticket_id=a.pk)
    ticket_route(ticket_id=b.pk)
    assert (_routed_team(a), _routed_team(b)) == ("vip", None)


def test_mailbox_criterion(teams, make_ticket):
    sales = Mailbox.objects.create(name="Sales", address="sales@desk.example")
    support = Mailbox.objects.create(name="Support", address="support@desk.example")
    routing_rule_create(actor=None, name="Sales mail", mailbox_ids=[sales.pk], team=teams["billing"])
    a, b = make_ticket(channel="email"), make_ticket(channel="email")
    TicketMailbox.objects.create(ticket=a, mailbox=sales)
    TicketMailbox.objects.create(ticket=b, mailbox=support)
    ticket_route(ticket_id=a.pk)
    ticket_route(ticket_id=b.pk)
    assert (_routed_team(a), _routed_team(b)) == ("billing", None)


def test_every_given_criterion_must_hold(teams, make_ticket):
    routing_rule_create(actor=None, name="zh mail", channels=["email"], languages=["zh"], team=teams["apac"])
    only_language = make_ticket(language="zh", channel="web")
    both = make_ticket(language="zh", channel="email")
    ticket_route(ticket_id=only_language.pk)
    ticket_route(ticket_id=both.pk)
    assert (_routed_team(only_language), _routed_team(both)) == (None, "apac")


def test_first_match_wins_and_reordering_changes_the_winner(teams, make_ticket):
    first = routing_rule_create(actor=None, name="Passwords", keywords=["password"], team=teams["passwords"])
    second = routing_rule_create(actor=None, name="Chinese", languages=["zh"], team=teams["apac"])
    a = make_ticket("password", language="zh")
    ticket_route(ticket_id=a.pk)
    assert _routed_team(a) == "passwords"
    routing_rules_reorder(rule_ids=[second.pk, first.pk], actor=None)
    b = make_ticket("password", language="zh")
    ticket_route(ticket_id=b.pk)
    assert _routed_team(b) == "apac"


def test_a_disabled_rule_is_skipped_and_the_cache_sees_it_at_once(teams, make_ticket):
    rule = routing_rule_create(actor=None, name="Passwords", keywords=["password"], team=teams["passwords"])
    assert [r.name for r in active_rules().rules] == ["Passwords"]
    routing_rule_update(rule=rule, actor=None, is_active=False)
    assert active_rules().rules == ()
    ticket = make_ticket("password")
    ticket_route(ticket_id=ticket.pk)
    assert _routed_team(ticket) is None


def test_the_cache_is_reused_while_the_version_stands(teams, django_assert_num_queries):
    routing_rule_create(actor=None, name="Passwords", keywords=["password"], team=teams["passwords"])
    cached = active_rules()
    with django_assert_num_queries(1):  # the version counter only
        assert active_rules() is cached


def test_a_ticket_created_with_a_team_is_not_rerouted(teams, make_ticket):
    routing_rule_create(actor=None, name="Passwords", keywords=["password"], team=teams["passwords"])
    ticket = make_ticket("password", team=teams["billing"])
    assert ticket_route(ticket_id=ticket.pk) is None
    assert _routed_team(ticket) == "billing"


def test_the_rule_adds_tags_and_priority_and_records_an_event_with_its_name(teams, make_ticket):
    routing_rule_create(
        actor=None,
        name="Password resets",
        keywords=["password"],
        team=teams["passwords"],
        add_tags=["Password-Reset"],
        priority="high",
    )
    ticket = make_ticket("password please", tags=["web"])
    ticket_route(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["password-reset", "web"]
    routed = Event.objects.get(verb="ticket.routed", target_id=str(ticket.pk))
    assert routed.changes["rule"] == [None, "Password resets"]
    assert routed.changes["team"] == [None, teams["passwords"].pk]
    assert routed.actor_label == "routing"


def test_the_listener_routes_and_assigns_a_ticket_created_through_ticket_create(
    teams, make_ticket, make_user, django_capture_on_commit_callbacks
):
    sam = make_user("agent")
    teams["passwords"].members.add(sam)
    team_assignment_update(team=teams["passwords"], actor=None, method="round_robin")
    routing_rule_create(actor=None, name="Password resets", keywords=["пароль"], team=teams["passwords"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket("Сброс", body="Забыл пароль")
    ticket.refresh_from_db()
    assert (ticket.team_id, ticket.assignee_id) == (teams["passwords"].pk, sam.pk)
    verbs = list(
        Event.objects.filter(target_id=str(ticket.pk), target_type="tickets.ticket").values_list("verb", flat=True)
    )
    assert {"ticket.created", "ticket.routed", "ticket.auto_assigned"} <= set(verbs)


def test_the_listener_routes_a_ticket_created_through_the_api(teams, api_client, django_capture_on_commit_callbacks):
    routing_rule_create(actor=None, name="Password resets", keywords=["密码"], team=teams["passwords"])
    client = api_client(role="agent")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "tickets", {"subject": "登录", "body": "我忘记了密码", "requester_email": "wang@example.cn"}
        )
    assert response.status_code == 201, response.content
    number = response.json()["number"]
    from supportloop.tickets.models import Ticket

    assert Ticket.objects.get(number=number).team_id == teams["passwords"].pk


def test_a_failing_route_does_not_fail_the_ticket_creation(
    teams, make_ticket, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(routing, "ticket_route", broken)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket("password")
    assert ticket.pk


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"channels": ["fax"]}, "channels"),
        ({"languages": ["not a code"]}, "languages"),
        ({"plans": ["gold"]}, "plans"),
        ({"product_area_ids": [999999]}, "product_area_ids"),
        ({"mailbox_ids": ["x"]}, "mailbox_ids"),
        ({"keywords": "password"}, "keywords"),
        ({"priority": "asap"}, "priority"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(teams, values, field):
    with pytest.raises(ValidationFailed) as caught:
        routing_rule_create(actor=None, name="bad", team=teams["vip"], **values)
    assert field in caught.value.errors
    assert not RoutingRule.objects.exists()


def test_a_rule_needs_an_outcome_and_a_free_name(teams):
    with pytest.raises(ValidationFailed) as caught:
        routing_rule_create(actor=None, name="nothing", keywords=["x"])
    assert "team" in caught.value.errors
    routing_rule_create(actor=None, name="Taken", team=teams["vip"])
    with pytest.raises(ValidationFailed) as caught:
        routing_rule_create(actor=None, name="taken", team=teams["vip"])
    assert "name" in caught.value.errors
