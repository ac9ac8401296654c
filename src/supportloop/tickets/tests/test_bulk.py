"""Bulk changes and their undo (tickets/services/bulk.py): rollups, audit events, the cap, and the undo's edge cases."""

import pytest
from django.db.models import Count

from supportloop.accounts.services import team_create
from supportloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from supportloop.core.models import Event
from supportloop.tickets.models import Ticket, TicketStatusCount
from supportloop.tickets.services import bulk as bulk_services
from supportloop.tickets.services import bulk_change_undo, ticket_update, tickets_bulk_change


def _rollup_is_exact():
    by_status = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
    rollup = {s: c for s, c in TicketStatusCount.objects.values_list("status", "count") if c}
    assert rollup == by_status


def _of(*tickets):
    return Ticket.objects.filter(pk__in=[t.pk for t in tickets])


def test_a_bulk_status_change_writes_an_event_per_ticket_and_one_for_the_change(make_user, make_ticket):
    agent = make_user("agent")
    a, b, c = make_ticket(), make_ticket(), make_ticket(status="pending")
    change = tickets_bulk_change(tickets=_of(a, b, c), actor=agent, source="inbox", values={"status": "solved"})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"solved"}
    assert change.ticket_count == 3 and change.applied == {"status": "solved"}
    assert change.previous == {
        str(a.pk): {"status": "new"},
        str(b.pk): {"status": "new"},
        str(c.pk): {"status": "pending"},
    }
    assert Event.objects.filter(verb="ticket.updated", actor=agent).count() == 3
    bulk_event = Event.objects.get(verb="tickets.bulk_changed")
    assert bulk_event.changes["tickets"][1] == [a.number, b.number, c.number]
    _rollup_is_exact()  # new 2 -> 0, pending 1 -> 0, solved 0 -> 3


def test_undo_restores_each_tickets_own_previous_values_and_keeps_the_rollup_exact(make_user, make_ticket):
    agent, other = make_user("agent"), make_user("agent")
    team = team_create(name="Billing", slug="billing")
    a = make_ticket(status="open", priority="high")
    b = make_ticket(status="pending", assignee=other)
    change = tickets_bulk_change(
        tickets=_of(a, b),
        actor=agent,
        source="search",
        values={"status": "solved", "priority": "low", "assignee": agent, "team": team},
    )
    result = bulk_change_undo(bulk_change=change, actor=agent)
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.status, a.priority, a.assignee_id, a.team_id) == ("open", "high", None, None)
    assert (b.status, b.priority, b.assignee_id, b.team_id) == ("pending", "normal", other.pk, None)
    assert (result.restored, result.kept) == (2, [])
    assert a.solved_at is None  # ticket_update clears it on reopening
    _rollup_is_exact()
    assert Event.objects.filter(verb="tickets.bulk_undone", actor=agent).count() == 1


def test_undo_leaves_a_field_someone_changed_since_and_says_which_tickets(make_user, make_ticket):
    agent, colleague = make_user("agent"), make_user("agent")
    a, b = make_ticket(), make_ticket()
    change = tickets_bulk_change(
        tickets=_of(a, b), actor=agent, source="inbox", values={"status": "pending", "assignee": agent}
    )
    ticket_update(ticket=b, actor=colleague, status="open")  # a later change of one field of one ticket
    result = bulk_change_undo(bulk_change=change, actor=agent)
    a.refresh_from_db(), b.refresh_from_db()
    assert (a.status, a.assignee_id) == ("new", None)
    assert (b.status, b.assignee_id) == ("open", None)  # the colleague's status stands; the assignee is undone
    assert result.kept == [b.number] and result.restored == 2
    _rollup_is_exact()


def test_undo_removes_an_added_tag_only_where_the_bulk_change_added_it(make_user, make_ticket):
    agent = make_user("agent")
    had_it, without = make_ticket(tags=["vip"]), make_ticket(tags=["billing"])
    change = tickets_bulk_change(tickets=_of(had_it, without), actor=agent, source="inbox", add_tag="VIP")
    assert sorted(without.tags.values_list("name", flat=True)) == ["billing", "vip"]
    bulk_change_undo(bulk_change=change, actor=agent)
    assert list(had_it.tags.values_list("name", flat=True)) == ["vip"]
    assert list(without.tags.values_list("name", flat=True)) == ["billing"]


def test_an_undo_happens_once_and_only_by_the_author(make_user, make_ticket):
    agent, colleague = make_user("agent"), make_user("agent")
    change = tickets_bulk_change(tickets=_of(make_ticket()), actor=agent, source="inbox", values={"status": "open"})
    with pytest.raises(PermissionDenied):
        bulk_change_undo(bulk_change=change, actor=colleague)
    bulk_change_undo(bulk_change=change, actor=agent)
    with pytest.raises(Conflict):
        bulk_change_undo(bulk_change=change, actor=agent)
    assert Event.objects.filter(verb="tickets.bulk_undone").count() == 1


def test_undo_leaves_an_assignee_who_was_deleted_since(make_user, make_ticket):
    agent, gone = make_user("agent"), make_user("agent")
    t = make_ticket(assignee=gone)
    change = tickets_bulk_change(tickets=_of(t), actor=agent, source="inbox", values={"assignee": agent})
    gone.delete()
    result = bulk_change_undo(bulk_change=change, actor=agent)
    t.refresh_from_db()
    assert t.assignee_id == agent.pk and result.kept == [t.number]


def test_more_than_the_maximum_is_refused_whole(make_user, make_ticket, monkeypatch):
    monkeypatch.setattr(bulk_services, "BULK_MAX", 2)
    agent = make_user("agent")
    made = [make_ticket() for _ in range(3)]
    with pytest.raises(ValidationFailed, match="at most 2"):
        tickets_bulk_change(tickets=_of(*made), actor=agent, source="inbox", values={"status": "solved"})
    assert set(Ticket.objects.values_list("status", flat=True)) == {"new"}
    _rollup_is_exact()


def test_a_change_needs_tickets_and_a_known_field(make_user, make_ticket):
    agent = make_user("agent")
    with pytest.raises(ValidationFailed):
        tickets_bulk_change(tickets=Ticket.objects.none(), actor=agent, source="inbox", values={"status": "open"})
    with pytest.raises(ValidationFailed):
        tickets_bulk_change(tickets=_of(make_ticket()), actor=agent, source="inbox", values={"subject": "x"})
    with pytest.raises(ValidationFailed):
        tickets_bulk_change(tickets=_of(make_ticket()), actor=agent, source="inbox", values={"status": "nonsense"})
