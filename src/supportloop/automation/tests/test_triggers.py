"""Triggers: conditions (all/any) over the ticket, its company and its thread; rules run in their order; each
action writes through the ticket services with its audit event; a loop between rules stops at the cap and the
stop is on the timeline; the dry run writes nothing; bad rules are refused with the field named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from supportloop.accounts.services import team_create
from supportloop.automation.choices import FiringOutcome
from supportloop.automation.models import Notification, Trigger, TriggerFiring
from supportloop.automation.seeding_triggers import LONG_CONVERSATION, seed_triggers
from supportloop.automation.services.triggers import (
    FIRING_CAP,
    trigger_create,
    trigger_dry_run,
    trigger_update,
    triggers_reorder,
    triggers_run,
)
from supportloop.automation.trigger_conditions import TicketFacts, conditions_clean, conditions_compile
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.tickets import hooks
from supportloop.tickets.hooks import TicketEvent
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import (
    contact_reason_create,
    product_area_create,
    product_feature_create,
    ticket_reply,
    ticket_update,
)
from supportloop.web.timeline import timeline_entries

pytestmark = pytest.mark.django_db


def holds(ticket: Ticket, conditions: dict, now: datetime | None = None) -> bool:
    ticket = Ticket.objects.select_related("requester", "company").get(pk=ticket.pk)
    return conditions_compile(conditions_clean(conditions))(TicketFacts(ticket, now=now or timezone.now()))


def rule(name: str, *, events=("updated",), conditions=None, actions, **kw) -> Trigger:
    return trigger_create(
        actor=None, name=name, events=list(events), conditions=conditions or {}, actions=actions, **kw
    )


def events_of(ticket: Ticket, verb: str) -> list[Event]:
    return list(Event.objects.filter(target_type="tickets.ticket", target_id=str(ticket.pk), verb=verb).order_by("id"))


# -- conditions ---------------------------------------------------------------------------------------------------
def test_all_needs_every_condition_and_any_needs_one(make_ticket, make_company, make_contact):
    company = make_company("Big", plan="enterprise", mrr=Decimal("12000"))
    ticket = make_ticket(
        "Invoice wrong",
        body="Our Rechnung shows the wrong VAT",
        requester=make_contact("Ann", company=company),
        priority="high",
        tags=["billing"],
    )
    high_and_enterprise = {
        "all": [
            {"field": "priority", "op": "in", "value": ["high", "urgent"]},
            {"field": "plan", "op": "is", "value": "enterprise"},
            {"field": "mrr", "op": "gte", "value": 10000},
        ]
    }
    assert holds(ticket, high_and_enterprise)
    assert not holds(
        ticket, {"all": [*high_and_enterprise["all"], {"field": "mrr", "op": "gt", "value": "12000"}]}
    )  # 12000 > 12000 is false
    any_of = {
        "any": [
            {"field": "tags", "op": "contains", "value": "refund"},
            {"field": "latest_message", "op": "contains", "value": "RECHNUNG"},  # case-insensitive
        ]
    }
    assert holds(ticket, any_of)
    assert not holds(ticket, {"any": [{"field": "tags", "op": "contains", "value": "refund"}]})
    # all and any together: every "all" and one "any"
    assert holds(ticket, {**high_and_enterprise, **any_of})
    assert not holds(ticket, {"all": [{"field": "status", "op": "is", "value": "solved"}], **any_of})
    assert holds(
        ticket, {"all": [{"field": "assignee", "op": "is_empty"}, {"field": "public_replies", "op": "eq", "value": 0}]}
    )
    assert holds(ticket, {"all": [{"field": "tags", "op": "contains_none", "value": ["spam", "test"]}]})


def test_reopen_count_reads_the_tickets_history(make_ticket):
    ticket = make_ticket()
    assert holds(ticket, {"all": [{"field": "reopen_count", "op": "eq", "value": 0}]})
    for _ in range(2):
        ticket_update(ticket=ticket, actor=None, status="solved")
        ticket_update(ticket=ticket, actor=None, status="open")
    assert holds(ticket, {"all": [{"field": "reopen_count", "op": "eq", "value": 2}]})


def test_business_hours_follow_the_default_calendar(make_ticket):
    from supportloop.automation.services.sla_config import business_calendar_create

    ticket = make_ticket()
    open_now = {"all": [{"field": "in_business_hours", "op": "is", "value": True}]}
    monday_10, sunday_10 = datetime(2026, 2, 9, 10, tzinfo=UTC), datetime(2026, 2, 8, 10, tzinfo=UTC)
    assert holds(ticket, open_now, sunday_10)  # no calendar: every moment is business time
    hours = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]
    business_calendar_create(actor=None, name="Nine to five", time_zone="UTC", hours=hours, is_default=True)
    assert holds(ticket, open_now, monday_10)
    assert not holds(ticket, open_now, sunday_10)


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({"all": [{"field": "colour", "op": "is", "value": "red"}]}, "conditions.all[0].field"),
        ({"all": [{"field": "priority", "op": "gt", "value": "high"}]}, "conditions.all[0].op"),
        ({"all": [{"field": "priority", "op": "is", "value": "huge"}]}, "conditions.all[0].value"),
        ({"any": [{"field": "team", "op": "is", "value": 999999}]}, "conditions.any[0].value"),
        ({"all": [{"field": "mrr", "op": "gt", "value": "lots"}]}, "conditions.all[0].value"),
        ({"all": "priority is high"}, "conditions.all"),
        ({"none": []}, "conditions"),
    ],
)
def test_bad_conditions_are_refused_naming_the_part(conditions, field):
    with pytest.raises(ValidationFailed) as caught:
        rule("bad", conditions=conditions, actions=[{"action": "raise_priority"}])
    assert field in caught.value.errors
    assert not Trigger.objects.exists()


@pytest.mark.parametrize(
    ("actions", "field"),
    [
        ([{"action": "launch_rocket"}], "actions[0].action"),
        ([{"action": "set_priority", "priority": "huge"}], "actions[0].priority"),
        ([{"action": "set_priority"}], "actions[0].priority"),
        ([{"action": "set_team", "team_id": 999999}], "actions[0].team_id"),
        ([{"action": "notify"}], "actions[0].user_ids"),
        ([{"action": "send_reply", "body": "  "}], "actions[0].body"),
        ([], "actions"),
    ],
)
def test_bad_actions_are_refused_naming_the_part(actions, field):
    with pytest.raises(ValidationFailed) as caught:
        rule("bad", actions=actions)
    assert field in caught.value.errors


def test_unknown_events_are_refused():
    with pytest.raises(ValidationFailed) as caught:
        rule("bad", events=["deleted"], actions=[{"action": "raise_priority"}])
    assert "events" in caught.value.errors


# -- order, actions, timeline -------------------------------------------------------------------------------------
def test_rules_run_in_their_order_and_a_later_one_sees_the_earlier_ones_changes(make_ticket):
    raise_it = rule("Raise", actions=[{"action": "set_priority", "priority": "urgent"}])
    tag_urgent = rule(
        "Tag urgent",
        conditions={"all": [{"field": "priority", "op": "is", "value": "urgent"}]},
        actions=[{"action": "add_tags", "tags": ["hot"]}],
    )
    ticket = make_ticket()
    results = triggers_run(TicketEvent(kind="updated", ticket_id=ticket.pk))
    assert [r.trigger_id for r in results] == [raise_it.pk, tag_urgent.pk]
    assert list(ticket.tags.values_list("name", flat=True)) == ["hot"]

    other = make_ticket()
    triggers_reorder(trigger_ids=[tag_urgent.pk, raise_it.pk], actor=None)
    results = triggers_run(TicketEvent(kind="updated", ticket_id=other.pk))
    assert [r.trigger_id for r in results] == [raise_it.pk]  # "Tag urgent" ran first, while it was normal
    assert not other.tags.exists()


def test_disabled_rules_and_other_events_do_not_fire(make_ticket):
    off = rule("Off", actions=[{"action": "raise_priority"}])
    trigger_update(trigger=off, actor=None, is_active=False)
    rule("On replies", events=["replied"], actions=[{"action": "raise_priority"}])
    ticket = make_ticket()
    assert triggers_run(TicketEvent(kind="updated", ticket_id=ticket.pk)) == []
    ticket.refresh_from_db()
    assert ticket.priority == "normal"


def test_each_action_writes_through_the_ticket_services(
    make_ticket, make_user, monkeypatch, django_capture_on_commit_callbacks
):
    lead = make_user("lead")
    agent = make_user("agent")
    team = team_create(name="Billing", slug="billing", members=[lead, agent])
    area = product_area_create(name="Billing", actor=None)
    feature = product_feature_create(area=area, name="Invoices", actor=None)
    reason = contact_reason_create(name="Question", actor=None)
    heard: list[TicketEvent] = []
    monkeypatch.setattr(hooks, "ticket_event_listeners", [heard.append])
    everything = rule(
        "Everything",
        actions=[
            {"action": "set_status", "status": "pending"},
            {"action": "set_priority", "priority": "low"},
            {"action": "raise_priority"},
            {"action": "set_team", "team_id": team.pk},
            {"action": "set_assignee", "user_id": agent.pk},
            {"action": "add_tags", "tags": ["Billing", "vat"]},
            {"action": "remove_tags", "tags": ["old"]},
            {"action": "set_product_feature", "feature_id": feature.pk},
            {"action": "set_contact_reason", "reason_id": reason.pk},
            {"action": "add_note", "body": "Checked by rule for #{{ ticket.number }}"},
            {"action": "notify", "team_leads": True, "text": "Look at #{{ ticket.number }}"},
            {"action": "send_reply", "body": "Hello {{ contact.first_name }}, we are on it."},
        ],
    )
    ticket = make_ticket(tags=["old"], requester_email="ann@example.org", requester_name="Ann Lee")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the notification mail leaves after commit
        [result] = triggers_run(TicketEvent(kind="updated", ticket_id=ticket.pk))
    ticket.refresh_from_db()
    assert ticket.status == "pending"
    assert ticket.priority == "normal"  # low, raised one step
    assert (ticket.team_id, ticket.assignee_id) == (team.pk, agent.pk)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "vat"]
    assert (ticket.product_feature_id, ticket.product_area_id, ticket.contact_reason_id) == (
        feature.pk,
        area.pk,
        reason.pk,
    )
    note = Message.objects.get(ticket=ticket, kind="note")
    assert note.body_text == f"Checked by rule for #{ticket.number}" and note.author_type == "system"
    reply = Message.objects.filter(ticket=ticket, kind="reply").latest("id")
    assert reply.body_text == "Hello Ann, we are on it." and reply.author_user_id is None
    assert ticket.public_reply_count == 1
    [notice] = Notification.objects.filter(ticket=ticket)
    assert notice.user_id == lead.pk and notice.text == f"Look at #{ticket.number}"
    assert [m.to for m in mail.outbox] == [[lead.email]]
    # every change has its audit event, and every ticket event says the trigger made it
    changed = events_of(ticket, "ticket.updated")
    assert changed and {e.actor_label for e in changed} == {"Trigger “Everything”"}
    assert [e.actor_label for e in events_of(ticket, "ticket.replied")] == ["Trigger “Everything”"]
    assert "Trigger “Everything” changed status from New to Pending" in [e.text for e in timeline_entries(changed)]
    assert heard and {e.source for e in heard} == {f"trigger:{everything.pk}"}
    [fired] = events_of(ticket, "ticket.trigger_fired")
    assert fired.changes["trigger"] == [None, "Everything"]
    assert len(fired.changes["actions"][1]) == 12 and result.outcome == FiringOutcome.FIRED
    texts = [e.text for e in timeline_entries([fired])]
    assert texts[0].startswith("Trigger “Everything” fired: Status set to Pending; Priority set to Low")


def test_a_rule_ignores_its_own_changes_but_the_next_event_by_a_person_fires_it(
    make_ticket, django_capture_on_commit_callbacks
):
    rule("Tag updates", actions=[{"action": "add_tags", "tags": ["touched"]}])
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=None, priority="high")
    assert TriggerFiring.objects.filter(outcome=FiringOutcome.FIRED).count() == 1  # not again on its own tag change


def test_a_loop_between_two_rules_stops_at_the_cap_and_the_stop_is_on_the_timeline(
    make_ticket, django_capture_on_commit_callbacks
):
    ping = rule(
        "Ping",
        conditions={"all": [{"field": "tags", "op": "not_contains", "value": "ping"}]},
        actions=[{"action": "add_tags", "tags": ["ping"]}],
    )
    pong = rule(
        "Pong",
        conditions={"all": [{"field": "tags", "op": "contains", "value": "ping"}]},
        actions=[{"action": "remove_tags", "tags": ["ping"]}],
    )
    ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, actor=None, priority="high")
    fired = TriggerFiring.objects.filter(ticket=ticket, outcome=FiringOutcome.FIRED)
    assert fired.filter(trigger=ping).count() == FIRING_CAP
    assert fired.filter(trigger=pong).count() == FIRING_CAP
    capped = TriggerFiring.objects.filter(ticket=ticket, outcome=FiringOutcome.CAPPED)
    assert capped.count() == 1  # the one that knocked next, recorded once
    [stop] = events_of(ticket, "ticket.trigger_capped")
    [text] = [e.text for e in timeline_entries([stop])]
    assert "was stopped" in text and str(FIRING_CAP) in text

    # an hour later the window has passed: the rule may fire again
    TriggerFiring.objects.update(at=timezone.now() - timedelta(hours=2))
    results = triggers_run(TicketEvent(kind="updated", ticket_id=ticket.pk))
    assert results and results[0].outcome == FiringOutcome.FIRED


def test_the_dry_run_says_what_would_happen_and_changes_nothing(make_ticket, make_user):
    lead = make_user("lead")
    trigger = rule(
        "VIP",
        conditions={"all": [{"field": "subject", "op": "contains", "value": "urgent"}]},
        actions=[
            {"action": "set_priority", "priority": "urgent"},
            {"action": "notify", "user_ids": [lead.pk]},
            {"action": "send_reply", "body": "Hi {{ contact.first_name }}"},
        ],
    )
    ticket = make_ticket("URGENT: site down", requester_email="bo@example.org", requester_name="Bo Chen")
    before = (
        Event.objects.count(),
        Message.objects.count(),
        Notification.objects.count(),
        Ticket.objects.get().priority,
    )
    result = trigger_dry_run(trigger=trigger, ticket=ticket)
    assert result.matches and not result.capped
    assert result.lines == [
        "Priority set to Urgent",
        f"Notified {lead.display_name}",
        "Reply sent to the customer: “Hi Bo”",
    ]
    after = (
        Event.objects.count(),
        Message.objects.count(),
        Notification.objects.count(),
        Ticket.objects.get().priority,
    )
    assert after == before
    assert not TriggerFiring.objects.exists()
    other = make_ticket("Question")
    assert trigger_dry_run(trigger=trigger, ticket=other).lines == []


def test_the_seeds_rule_raises_priority_and_tells_the_lead_on_the_sixth_public_reply(
    make_ticket, make_user, django_capture_on_commit_callbacks
):
    import random

    seed_triggers(rng=random.Random(1), size=10)
    assert Trigger.objects.get(name=LONG_CONVERSATION).is_active
    lead = make_user("lead")
    agent = make_user("agent")
    team = team_create(name="Tier 1", slug="tier-1", members=[lead, agent])
    ticket = make_ticket(team=team, assignee=agent)
    for i in range(8):
        with django_capture_on_commit_callbacks(execute=True):  # each reply commits, then the listeners run
            ticket_reply(ticket=ticket, actor=agent, body=f"reply {i}")
        ticket.refresh_from_db()
        assert ticket.priority == ("high" if i >= 5 else "normal")  # raised once, on the 6th, not on the 7th or 8th
    assert "long-conversation" in ticket.tags.values_list("name", flat=True)
    assert Notification.objects.filter(user=lead, ticket=ticket).count() == 1
    assert TriggerFiring.objects.filter(ticket=ticket, outcome=FiringOutcome.FIRED).count() == 1
