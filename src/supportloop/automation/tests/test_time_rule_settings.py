"""Time rule settings: a disabled rule acts on nothing, a changed wait moves which tickets are due, the reminder's
text can be replaced; the service refuses bad input with field errors and records before/after; the API is for
admins and leads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import assert_problem
from django.utils import timezone

from supportloop.automation.models import TimeRuleSetting
from supportloop.automation.services.time_rules import (
    PENDING_REMINDER,
    SOLVED_CLOSE,
    UNASSIGNED_NOTICE,
    time_rule_update,
    time_rules_check,
)
from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.core.models import Event
from supportloop.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db


def at(ticket: Ticket, moment) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=moment, created_at=moment, last_customer_message_at=moment)


def test_without_settings_the_defaults_run_and_no_row_is_written(make_ticket):
    now = timezone.now()
    solved = make_ticket(status="solved")
    at(solved, now - timedelta(days=4, minutes=1))
    assert time_rules_check(now=now).acted[SOLVED_CLOSE] == 1
    assert not TimeRuleSetting.objects.exists()


def test_a_disabled_rule_acts_on_nothing(make_ticket, make_user):
    lead = make_user("lead")
    now = timezone.now()
    solved = make_ticket(status="solved")
    at(solved, now - timedelta(days=4, minutes=1))
    time_rule_update(rule=SOLVED_CLOSE, enabled=False, actor=lead)
    result = time_rules_check(now=now)
    assert SOLVED_CLOSE not in result.acted
    solved.refresh_from_db()
    assert solved.status == "solved"
    time_rule_update(rule=SOLVED_CLOSE, enabled=True, actor=lead)  # back on: the next pass closes it
    assert time_rules_check(now=now).acted[SOLVED_CLOSE] == 1


def test_a_changed_wait_moves_which_tickets_are_due(make_ticket, make_user):
    lead = make_user("lead")
    now = timezone.now()
    just_due = make_ticket(status="solved")
    not_yet = make_ticket(status="solved")
    four_days = make_ticket(status="solved")  # due under the default, past the new window's day
    at(just_due, now - timedelta(minutes=120))
    at(not_yet, now - timedelta(minutes=119))
    at(four_days, now - timedelta(days=4, minutes=1))
    time_rule_update(rule=SOLVED_CLOSE, after_minutes=120, actor=lead)
    assert time_rules_check(now=now).acted[SOLVED_CLOSE] == 1
    assert {t.pk: t.status for t in Ticket.objects.filter(status__in=["solved", "closed"])} == {
        just_due.pk: "closed",
        not_yet.pk: "solved",
        four_days.pk: "solved",  # the window is one day before now - wait, as before
    }

    unassigned = make_ticket()
    at(unassigned, now - timedelta(minutes=45))
    time_rule_update(rule=UNASSIGNED_NOTICE, after_minutes=60, actor=lead)
    assert time_rules_check(now=now).acted[UNASSIGNED_NOTICE] == 0
    assert time_rules_check(now=now + timedelta(minutes=15)).acted[UNASSIGNED_NOTICE] == 1


def test_the_reminder_text_override_is_used(make_ticket, make_user):
    lead = make_user("lead")
    now = timezone.now()
    ticket = make_ticket("Printer", status="pending", requester_email="bo@example.org", requester_name="Bo Lind")
    at(ticket, now - timedelta(days=1, minutes=5))
    time_rule_update(
        rule=PENDING_REMINDER,
        after_minutes=24 * 60,
        reminder_text="Hi {{ contact.first_name }}, still stuck with {{ ticket.subject }} (#{{ ticket.number }})?",
        actor=lead,
    )
    assert time_rules_check(now=now).acted[PENDING_REMINDER] == 1
    reminder = Message.objects.get(ticket=ticket, kind="reply", author_type="system")
    assert reminder.body_text.strip() == f"Hi Bo, still stuck with Printer (#{ticket.number})?"
    applied = Event.objects.get(verb="ticket.time_rule_applied")
    assert "1 day" in applied.changes["action"][1]


def test_an_empty_text_goes_back_to_the_built_in_one(make_user):
    lead = make_user("lead")
    assert time_rule_update(rule=PENDING_REMINDER, reminder_text="Hello?", actor=lead).reminder_text == "Hello?"
    assert time_rule_update(rule=PENDING_REMINDER, reminder_text="  ", actor=lead).reminder_text == ""


def test_update_records_before_and_after(make_user):
    lead = make_user("lead")
    config = time_rule_update(rule=UNASSIGNED_NOTICE, enabled=False, after_minutes=90, actor=lead)
    assert (config.enabled, config.after_minutes) == (False, 90)
    event = Event.objects.get(verb="time_rule.updated")
    assert event.changes == {"is_enabled": [True, False], "after_minutes": [30, 90]}
    before = Event.objects.count()
    time_rule_update(rule=UNASSIGNED_NOTICE, after_minutes=90, actor=lead)  # no change, no event
    assert Event.objects.count() == before


@pytest.mark.parametrize(
    ("rule", "values", "field"),
    [
        (SOLVED_CLOSE, {"after_minutes": 0}, "after_minutes"),
        (SOLVED_CLOSE, {"after_minutes": -5}, "after_minutes"),
        (SOLVED_CLOSE, {"after_minutes": 10**9}, "after_minutes"),
        (SOLVED_CLOSE, {"after_minutes": True}, "after_minutes"),
        (SOLVED_CLOSE, {"reminder_text": "hello"}, "reminder_text"),
        (PENDING_REMINDER, {"reminder_text": "Hi {{ agent.name }}"}, "reminder_text"),
        (PENDING_REMINDER, {"reminder_text": "bad \x00"}, "reminder_text"),
        (PENDING_REMINDER, {"reminder_text": "x" * 10_001}, "reminder_text"),
    ],
)
def test_bad_input_is_refused_on_its_field(make_user, rule, values, field):
    with pytest.raises(ValidationFailed) as exc:
        time_rule_update(rule=rule, actor=make_user("lead"), **values)
    assert field in exc.value.errors
    assert not Event.objects.filter(verb="time_rule.updated").exists()


def test_an_unknown_rule_is_not_found(make_user):
    with pytest.raises(NotFound):
        time_rule_update(rule="nope", enabled=False, actor=make_user("lead"))


# -- API ------------------------------------------------------------------------------------------------------------
def test_a_lead_lists_and_changes_time_rules(api_client):
    lead = api_client(role="lead")
    listed = lead.get("triggers/time-rules")
    assert listed.status_code == 200, listed.content
    assert [(r["rule"], r["enabled"], r["after_minutes"]) for r in listed.json()] == [
        (PENDING_REMINDER, True, 3 * 24 * 60),
        (SOLVED_CLOSE, True, 4 * 24 * 60),
        (UNASSIGNED_NOTICE, True, 30),
    ]
    assert listed.json()[0]["reminder_text"] == "" and listed.json()[1]["reminder_text"] is None
    changed = lead.patch(f"triggers/time-rules/{PENDING_REMINDER}", {"enabled": False, "reminder_text": "Hi?"})
    assert changed.status_code == 200, changed.content
    assert changed.json()["enabled"] is False and changed.json()["reminder_text"] == "Hi?"
    assert TimeRuleSetting.objects.get(rule=PENDING_REMINDER).is_enabled is False


def test_agents_are_refused(api_client):
    agent = api_client(role="agent")
    assert_problem(agent.get("triggers/time-rules"), 403)
    assert_problem(agent.patch(f"triggers/time-rules/{SOLVED_CLOSE}", {"enabled": False}), 403)
    assert not TimeRuleSetting.objects.exists()


def test_bad_input_is_a_problem(api_client):
    lead = api_client(role="lead")
    assert_problem(lead.patch(f"triggers/time-rules/{SOLVED_CLOSE}", {"after_minutes": 0}), 422, "after_minutes")
    assert_problem(lead.patch(f"triggers/time-rules/{SOLVED_CLOSE}", {"after_minutes": "soon"}), 422)
    assert_problem(lead.patch(f"triggers/time-rules/{SOLVED_CLOSE}", {"reminder_text": "x"}), 422, "reminder_text")
    assert_problem(lead.patch(f"triggers/time-rules/{SOLVED_CLOSE}", {"wait": 5}), 422)
    assert_problem(
        lead.patch(f"triggers/time-rules/{PENDING_REMINDER}", {"reminder_text": "{{ agent.signature }}"}),
        422,
        "reminder_text",
    )
    assert_problem(lead.patch("triggers/time-rules/nope", {"enabled": False}), 404)
    assert not TimeRuleSetting.objects.exists()
