"""Time rules: pending 3 days reminds the customer, solved 4 days closes, unassigned 30 minutes notifies the
leads; each acts once per occurrence, run twice in a row or twice at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from supportloop.accounts.services import team_create
from supportloop.automation.models import Notification, TimeRuleMark
from supportloop.automation.services.time_rules import (
    PENDING_REMINDER,
    SOLVED_CLOSE,
    UNASSIGNED_NOTICE,
    time_rules_check,
)
from supportloop.core.models import Event
from supportloop.feedback.tests.concurrency import in_thread, separate_connections
from supportloop.tickets.models import Message, Ticket
from supportloop.tickets.services import ticket_update


def aged(ticket: Ticket, **ago: float) -> None:
    """Date the ticket's last change (and its creation) back, as if it had waited."""
    moment = timezone.now() - timedelta(**ago)
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=moment, created_at=moment, last_customer_message_at=moment)


@pytest.mark.django_db
def test_each_rule_acts_on_due_tickets_only_and_once(make_ticket, make_user):
    lead = make_user("lead")
    agent = make_user("agent")
    team = team_create(name="Tier 1", slug="tier-1", members=[lead])
    pending = make_ticket(status="pending", requester_email="ann@example.org", requester_name="Ann")
    pending_young = make_ticket(status="pending")
    solved = make_ticket(status="solved")
    unassigned = make_ticket(team=team)
    assigned = make_ticket(team=team, assignee=agent)
    aged(pending, days=3, hours=1)
    aged(pending_young, days=2)
    aged(solved, days=4, hours=1)
    aged(unassigned, minutes=45)
    aged(assigned, minutes=45)

    result = time_rules_check()
    assert result.acted == {PENDING_REMINDER: 1, SOLVED_CLOSE: 1, UNASSIGNED_NOTICE: 1}
    reminder = Message.objects.filter(ticket=pending, kind="reply", author_type="system").get()
    assert "Ann" in reminder.body_text and f"#{pending.number}" in reminder.body_text
    pending.refresh_from_db()
    assert pending.status == "pending"  # a reminder does not change the status
    solved.refresh_from_db()
    assert solved.status == "closed"
    assert list(Notification.objects.values_list("user_id", "ticket_id")) == [(lead.pk, unassigned.pk)]
    assert Event.objects.filter(verb="ticket.time_rule_applied").count() == 3

    again = time_rules_check()
    assert again.acted == {PENDING_REMINDER: 0, SOLVED_CLOSE: 0, UNASSIGNED_NOTICE: 0}
    # three days after the reminder the ticket is still pending, but the customer has not written since:
    # no second reminder for the same silence
    later = time_rules_check(now=timezone.now() + timedelta(days=3, hours=1))
    assert later.acted[PENDING_REMINDER] == 0
    assert TimeRuleMark.objects.count() == 3


@pytest.mark.django_db
def test_a_ticket_that_changed_since_is_not_due(make_ticket):
    ticket = make_ticket(status="solved")
    aged(ticket, days=4, hours=1)
    ticket_update(ticket=ticket, actor=None, tags=["still-talking"])  # a change restarts the wait
    assert time_rules_check().acted[SOLVED_CLOSE] == 0
    ticket.refresh_from_db()
    assert ticket.status == "solved"


@pytest.mark.django_db(transaction=True)
def test_two_passes_at_once_close_each_ticket_once(make_ticket, tmp_path):
    tickets = [make_ticket(status="solved") for _ in range(3)]
    for t in tickets:
        aged(t, days=4, hours=1)
    with separate_connections(tmp_path) as connect_here:
        start = threading.Barrier(2)

        def run() -> object:
            start.wait()
            return time_rules_check()

        threads = [in_thread(run, connect_here) for _ in range(2)]
        for thread in threads:
            thread.join(timeout=60)
        for thread in threads:
            assert thread.error is None, thread.error
        acted = sum(thread.result.acted[SOLVED_CLOSE] for thread in threads)  # type: ignore[union-attr]
        closes = Event.objects.filter(verb="ticket.time_rule_applied").count()
        statuses = set(Ticket.objects.values_list("status", flat=True))
        marks = TimeRuleMark.objects.count()
    assert acted == 3 and closes == 3 and marks == 3
    assert statuses == {"closed"}
    assert connection.vendor in ("sqlite", "postgresql")
