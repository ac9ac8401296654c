"""Queue shaping in the ticket services: waiting_since, the last-message columns, the rollup, snooze and wake."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db.models import Case, Count, When
from django.utils import timezone

from supportloop.accounts.services import team_create, user_create
from supportloop.core.errors import ValidationFailed
from supportloop.core.models import Event
from supportloop.tickets.filters import TicketFilters
from supportloop.tickets.models import Ticket, TicketRollup
from supportloop.tickets.rollups import RollupKey, rollup_count, rollup_rebuild
from supportloop.tickets.selectors import ticket_status_counts
from supportloop.tickets.services import message_add_from_contact, ticket_create, ticket_reply, ticket_update
from supportloop.tickets.services.reading import ticket_mark_read
from supportloop.tickets.services.snooze import (
    snooze_until_for,
    ticket_snooze,
    ticket_unsnooze,
    tickets_wake_due,
)
from supportloop.tickets.services.tickets import PREVIEW_LENGTH, message_preview


@pytest.fixture
def agent(db):
    return user_create(username="ana", role="agent", first_name="Ana")


def new(agent, **kw):
    return ticket_create(
        **{"subject": "s", "body": "My invoice is wrong", "requester_email": "li@acme.example", "actor": agent, **kw}
    )


def rollup_from_tickets() -> Counter:
    """The rollup as a COUNT(*) over the tickets would give it (zero rows dropped)."""
    rows = (
        Ticket.objects.order_by()
        .annotate(z=Case(When(snoozed_until__isnull=False, then=True), default=False))
        .values_list("status", "team_id", "assignee_id", "priority", "z")
        .annotate(n=Count("id"))
    )
    return Counter({RollupKey(s, t or 0, a or 0, p, bool(z)): n for s, t, a, p, z, n in rows})


def rollup_kept() -> Counter:
    return Counter(
        {
            RollupKey(r.status, r.team_key, r.assignee_key, r.priority, r.snoozed): r.count
            for r in TicketRollup.objects.all()
            if r.count
        }
    )


def test_a_customer_message_starts_the_wait_and_a_public_reply_ends_it(agent):
    t = new(agent)
    t.refresh_from_db()
    assert t.waiting_since == t.created_at == t.last_customer_message_at
    assert (t.last_message_preview, t.last_message_direction, t.last_message_author_id) == (
        "My invoice is wrong",
        "in",
        None,
    )
    ticket_reply(ticket=t, actor=agent, body="Fixed it.\n\nAna")
    t.refresh_from_db()
    assert t.waiting_since is None
    assert (t.last_message_preview, t.last_message_direction, t.last_message_author_id) == (
        "Fixed it. Ana",
        "out",
        agent.pk,
    )
    message_add_from_contact(ticket=t, contact=t.requester, body="Thanks, one more thing")
    t.refresh_from_db()
    first_wait = t.waiting_since
    assert first_wait is not None and t.last_message_direction == "in"
    message_add_from_contact(ticket=t, contact=t.requester, body="Hello?")
    t.refresh_from_db()
    assert t.waiting_since == first_wait  # still waiting since the first unanswered message
    assert t.last_customer_message_at > first_wait


def test_an_internal_note_neither_answers_nor_previews(agent):
    from supportloop.tickets.services import ticket_add_note

    t = new(agent)
    ticket_add_note(ticket=t, actor=agent, body="internal")
    t.refresh_from_db()
    assert t.waiting_since is not None and t.last_message_preview == "My invoice is wrong"


def test_the_preview_is_one_short_line():
    assert message_preview("a\n\n b") == "a b"
    long = message_preview("word " * 100)
    assert len(long) <= PREVIEW_LENGTH and long.endswith("…")


def test_the_rollup_follows_every_change_and_status_counts_read_it(agent):
    team = team_create(name="Billing", slug="billing", actor=None)
    made = [new(agent, priority="urgent" if i % 2 else "normal") for i in range(4)]
    ticket_update(ticket=made[0], actor=agent, assignee=agent, team=team, priority="high")
    ticket_update(ticket=made[1], actor=agent, status="solved")
    ticket_reply(ticket=made[2], actor=agent, body="hi", status="pending")
    message_add_from_contact(ticket=made[2], contact=made[2].requester, body="reopen")
    ticket_snooze(ticket=made[3], until=timezone.now() + timedelta(hours=1), actor=agent)
    assert rollup_kept() == rollup_from_tickets()
    assert ticket_status_counts()["open"] == 1 and ticket_status_counts()["new"] == 2
    assert rollup_count(TicketFilters(active=True, snoozed=False)) == 2
    assert rollup_count(TicketFilters(active=True, snoozed=True)) == 1
    assert rollup_count(TicketFilters(assignee=agent.pk, team=team.pk, priority=["high"])) == 1
    assert rollup_count(TicketFilters(active=True, tag="vip")) is None  # not a rollup key: no count
    rollup_rebuild()
    assert rollup_kept() == rollup_from_tickets()


def test_deleting_a_team_or_a_user_recounts_the_rollup(agent, django_capture_on_commit_callbacks):
    team = team_create(name="Night shift", slug="night")
    leaver = user_create(username="leo", role="agent", first_name="Leo")
    new(agent, team=team)
    ticket = new(agent, team=team)
    ticket_update(ticket=ticket, actor=agent, assignee=leaver)
    assert rollup_kept() == rollup_from_tickets()
    with django_capture_on_commit_callbacks(execute=True):
        team.delete()
    with django_capture_on_commit_callbacks(execute=True):
        leaver.delete()
    assert Ticket.objects.filter(team__isnull=True, assignee__isnull=True).count() == 2
    assert rollup_kept() == rollup_from_tickets()


def test_priority_rank_follows_the_priority(agent):
    t = new(agent, priority="low")
    assert Ticket.objects.get(pk=t.pk).priority_rank == 3
    ticket_update(ticket=t, actor=agent, priority="urgent")
    assert Ticket.objects.get(pk=t.pk).priority_rank == 0


def test_snooze_and_unsnooze_write_their_events(agent):
    t = new(agent)
    until = timezone.now() + timedelta(days=1)
    ticket_snooze(ticket=t, until=until, actor=agent)
    assert Ticket.objects.get(pk=t.pk).snoozed_until == until
    ticket_unsnooze(ticket=t, actor=agent)
    assert Ticket.objects.get(pk=t.pk).snoozed_until is None
    verbs = list(Event.objects.filter(target_id=str(t.pk)).order_by("id").values_list("verb", flat=True))
    assert verbs[-2:] == ["ticket.snoozed", "ticket.unsnoozed"]
    with pytest.raises(ValidationFailed):
        ticket_snooze(ticket=t, until=timezone.now() - timedelta(minutes=1), actor=agent)


def test_the_wake_job_wakes_what_is_due_only(agent):
    due, later = new(agent), new(agent)
    now = timezone.now()
    ticket_snooze(ticket=due, until=now + timedelta(minutes=5), actor=agent)
    ticket_snooze(ticket=later, until=now + timedelta(days=2), actor=agent)
    assert tickets_wake_due(now=now + timedelta(minutes=10), batch=1) == 1
    assert tickets_wake_due(now=now + timedelta(minutes=10)) == 0  # safe to run twice
    assert Ticket.objects.get(pk=due.pk).snoozed_until is None
    assert Ticket.objects.get(pk=later.pk).snoozed_until is not None
    assert Event.objects.filter(target_id=str(due.pk), verb="ticket.woken").count() == 1
    assert rollup_kept() == rollup_from_tickets()


def test_a_customer_reply_wakes_a_snoozed_ticket(agent):
    t = new(agent)
    ticket_snooze(ticket=t, until=timezone.now() + timedelta(days=2), actor=agent)
    message_add_from_contact(ticket=t, contact=t.requester, body="any news?")
    assert Ticket.objects.get(pk=t.pk).snoozed_until is None
    woken = Event.objects.get(target_id=str(t.pk), verb="ticket.woken")
    assert woken.changes["reason"] == [None, "reply"]
    assert rollup_kept() == rollup_from_tickets()


def test_named_snoozes_end_in_the_future_at_a_sensible_hour():
    now = timezone.now()
    assert snooze_until_for("later_today", now=now) == now + timedelta(hours=3)
    tomorrow = timezone.localtime(snooze_until_for("tomorrow", now=now))
    assert tomorrow.hour == 9 and tomorrow.date() == (timezone.localtime(now) + timedelta(days=1)).date()
    monday = timezone.localtime(snooze_until_for("next_week", now=now))
    assert monday.weekday() == 0 and monday > now
    with pytest.raises(ValidationFailed):
        snooze_until_for("someday", now=now)


def test_unread_means_a_customer_message_after_the_agents_last_visit(agent):
    t = new(agent)
    unread = TicketFilters(unread_for=agent.pk)
    assert list(unread.apply(Ticket.objects.all())) == [t]
    ticket_mark_read(ticket=t, user=agent)
    ticket_mark_read(ticket=t, user=agent)  # an upsert: one marker per agent and ticket
    assert list(unread.apply(Ticket.objects.all())) == []
    message_add_from_contact(ticket=t, contact=t.requester, body="still there?")
    assert list(unread.apply(Ticket.objects.all())) == [t]


def test_the_scheduler_enqueues_the_wake_job_only_when_a_snooze_is_due(agent):
    from supportloop.core.schedule import jobs
    from supportloop.tickets.tasks import wake_due, wake_snoozed

    assert "tickets.wake_snoozed" in jobs
    t = new(agent)
    now = timezone.now()
    assert wake_due(now) is None
    ticket_snooze(ticket=t, until=now + timedelta(minutes=1), actor=agent)
    assert wake_due(now) is None
    assert wake_due(now + timedelta(minutes=2)) is not None
    Ticket.objects.filter(pk=t.pk).update(snoozed_until=now - timedelta(seconds=1))
    assert wake_snoozed.call() == 1
