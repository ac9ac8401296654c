"""Retention: closed tickets past the period are anonymised or deleted in batches, idempotently, audited, and
legal holds are respected; the scheduler runs it daily."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.core.schedule import jobs
from supportloop.privacy.services import (
    legal_hold_set,
    retention_run,
    retention_settings_get,
    retention_settings_update,
)
from supportloop.tickets.models import Message, Ticket, TicketStatusCount
from supportloop.tickets.services import ticket_update


@pytest.fixture
def old_and_new(db, make_ticket, make_contact, make_user):
    agent = make_user(Role.AGENT)
    held = make_contact("Held Person")
    tickets = {
        "old": make_ticket(subject="Old secret", body="old body"),
        "old2": make_ticket(subject="Old secret 2", body="old body"),
        "held": make_ticket(subject="Held secret", body="held body", requester=held),
        "recent": make_ticket(subject="Recent", body="recent body"),
        "open_old": make_ticket(subject="Open old", body="open body"),
    }
    for key in ("old", "old2", "held", "recent"):
        ticket_update(ticket=tickets[key], actor=agent, status="closed")
    long_ago = timezone.now() - timedelta(days=400)
    Ticket.objects.filter(pk__in=[tickets[k].pk for k in ("old", "old2", "held", "open_old")]).update(
        updated_at=long_ago
    )
    return {"tickets": tickets, "held": held, "agent": agent}


def test_settings_are_checked_and_audited(db, make_user):
    admin = make_user(Role.ADMIN)
    with pytest.raises(ValidationFailed) as exc:
        retention_settings_update(data={"days": 3, "action": "shred"}, actor=admin)
    assert set(exc.value.errors) == {"days", "action"}
    assert retention_settings_get().enabled is False
    retention_settings_update(data={"enabled": True, "days": 365, "action": "delete"}, actor=admin)
    event = Event.objects.get(verb="privacy.retention_updated")
    assert event.changes["days"] == [730, 365]


def test_off_by_default_does_nothing(old_and_new):
    assert retention_run() == {"tickets": 0}
    assert Ticket.objects.get(pk=old_and_new["tickets"]["old"].pk).subject == "Old secret"


def test_anonymise_in_batches_skips_holds_and_is_idempotent(old_and_new, make_user):
    admin = make_user(Role.ADMIN)
    t = old_and_new["tickets"]
    legal_hold_set(contact=old_and_new["held"], reason="Court order", actor=admin)
    retention_settings_update(data={"enabled": True, "days": 365}, actor=admin)
    assert retention_run(batch=1) == {"tickets": 2}
    for key in ("old", "old2"):
        ticket = Ticket.objects.get(pk=t[key].pk)
        assert ticket.subject == "[erased]"
        assert set(Message.objects.filter(ticket=ticket).values_list("body_text", flat=True)) == {"[erased]"}
    for key, subject in (("held", "Held secret"), ("recent", "Recent"), ("open_old", "Open old")):
        assert Ticket.objects.get(pk=t[key].pk).subject == subject
    events = Event.objects.filter(verb="privacy.retention_applied")
    assert [e.changes["tickets"] for e in events] == [1, 1]  # two batches of one
    assert retention_run() == {"tickets": 0}  # nothing left to do


def test_delete_removes_tickets_and_keeps_the_status_counts(old_and_new, make_user):
    admin = make_user(Role.ADMIN)
    retention_settings_update(data={"enabled": True, "days": 365, "action": "delete"}, actor=admin)
    closed_before = TicketStatusCount.objects.get(status="closed").count
    assert retention_run() == {"tickets": 3}
    assert not Ticket.objects.filter(subject__startswith="Old").exists()
    assert TicketStatusCount.objects.get(status="closed").count == closed_before - 3
    assert Ticket.objects.filter(status="closed").count() == closed_before - 3


def test_the_scheduler_has_a_daily_job():
    job = jobs["privacy.retention"]
    assert job.due(datetime(2026, 12, 6, 3, 0, tzinfo=UTC)) == "2026-12-06"
