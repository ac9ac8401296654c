"""Bulk changes: one change applied to many tickets at once, and its undo.

Every ticket is written through ticket_update, so its audit event, the per-status rollup (TicketStatusCount), the
changes feed and the search index follow exactly as for a change made on the ticket page. A BulkChange row keeps
each ticket's values from before the change so `bulk_change_undo` can put them back, and one more event records
the bulk change itself. This module knows nothing of pages: the caller turns a selection or a view's query into
a ticket queryset (web/views/bulk.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from supportloop.accounts.models import Team, User
from supportloop.core.errors import Conflict, PermissionDenied, ValidationFailed
from supportloop.core.services import change_seq_next, event_record
from supportloop.tickets.models import BulkChange, Ticket
from supportloop.tickets.services.tickets import tags_normalize, ticket_update

# Tickets one change may touch. A bigger change is refused (not cut short), so nobody believes "all matching"
# was changed when only part of it was; 500 ticket_update calls take a few seconds in one transaction, which is
# as long as a page should keep its rows locked.
BULK_MAX = 500
# The pages ask "Change N tickets?" above this many.
CONFIRM_OVER = 10
# The fields a bulk change sets, as ticket_update names them; relations are stored by id.
FIELDS = ("status", "priority", "assignee", "team")
RELATIONS: dict[str, type[User] | type[Team]] = {"assignee": User, "team": Team}


@dataclass(frozen=True)
class BulkUndoResult:
    """What an undo did: how many tickets got values back, and the numbers of those where a field was left as it
    is because it changed again after the bulk change (someone else's later change wins)."""

    bulk_change: BulkChange
    restored: int
    kept: list[int]


def _stored(value: Any) -> Any:
    """A value as BulkChange stores it: relations by id."""
    return value.pk if isinstance(value, User | Team) else value


def _current(ticket: Ticket, field: str) -> Any:
    return getattr(ticket, f"{field}_id") if field in RELATIONS else getattr(ticket, field)


@transaction.atomic
def tickets_bulk_change(
    *,
    tickets: QuerySet[Ticket],
    actor: User,
    source: str,
    values: dict[str, Any] | None = None,
    add_tag: str | None = None,
) -> BulkChange:
    """Apply `values` (status, priority, assignee, team, as ticket_update takes them) and/or add one tag to
    every ticket of `tickets`, all or none, and keep what each had before for the undo. At most BULK_MAX
    tickets: more is refused with a message that says so."""
    values = dict(values or {})
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    tag = None
    if add_tag is not None:
        names = tags_normalize([add_tag])
        if not names:
            raise ValidationFailed("Type a tag to add.", errors={"tag": "required"})
        tag = names[0]
    if not values and tag is None:
        raise ValidationFailed("Choose a change.", errors={"action": "required"})
    # The changes-feed counter is every ticket writer's first lock (core.services.change_seq_next); taking it
    # before the tickets' rows keeps the lock order of ticket_update, so this cannot deadlock with it.
    change_seq_next()
    ids = list(tickets.order_by().values_list("pk", flat=True)[: BULK_MAX + 1])
    if not ids:
        raise ValidationFailed("Select at least one ticket.", errors={"tickets": "required"})
    if len(ids) > BULK_MAX:
        raise ValidationFailed(
            f"A bulk change takes at most {BULK_MAX} tickets; more match.", errors={"tickets": f"at most {BULK_MAX}"}
        )
    locked = list(Ticket.objects.select_for_update().filter(pk__in=ids).order_by("pk").prefetch_related("tags"))
    previous: dict[str, dict[str, Any]] = {}
    for ticket in locked:
        tag_names = [t.name for t in ticket.tags.all()]
        before = {field: _current(ticket, field) for field in values}
        if tag is not None:
            before["add_tag"] = tag in tag_names  # had it already: the undo keeps it
        previous[str(ticket.pk)] = before
        ticket_update(ticket=ticket, actor=actor, tags=[*tag_names, tag] if tag is not None else None, **values)
    applied = {field: _stored(value) for field, value in values.items()}
    if tag is not None:
        applied["add_tag"] = tag
    bulk_change = BulkChange.objects.create(
        actor=actor, source=source[:20], applied=applied, previous=previous, ticket_count=len(locked)
    )
    event_record(
        actor=actor,
        verb="tickets.bulk_changed",
        target=bulk_change,
        changes={**{k: [None, v] for k, v in applied.items()}, "tickets": [None, [t.number for t in locked]]},
    )
    return bulk_change


@transaction.atomic
def bulk_change_undo(*, bulk_change: BulkChange, actor: User) -> BulkUndoResult:
    """Put back the values the tickets had before `bulk_change`, each through ticket_update (its own audit event
    and rollups). A field someone changed after the bulk change (it no longer holds the value the bulk change
    wrote) keeps its newer value; those tickets are listed in the result. Only the change's author may undo it,
    once."""
    change_seq_next()  # the first lock, as in tickets_bulk_change
    bulk_change = BulkChange.objects.select_for_update().get(pk=bulk_change.pk)
    if bulk_change.actor_id != actor.pk:
        raise PermissionDenied("Only the person who made a bulk change can undo it.")
    if bulk_change.undone_at is not None:
        raise Conflict("This bulk change was already undone.", errors={"bulk_change": "already undone"})
    applied = bulk_change.applied
    tag = applied.get("add_tag")
    related: dict[str, dict[Any, Any]] = {
        field: model._default_manager.in_bulk(
            {p[field] for p in bulk_change.previous.values() if p.get(field) is not None}
        )
        for field, model in RELATIONS.items()
        if field in applied
    }
    tickets = (
        Ticket.objects.select_for_update()
        .filter(pk__in=[int(pk) for pk in bulk_change.previous])
        .order_by("pk")
        .prefetch_related("tags")
    )
    restored, kept = 0, []
    for ticket in tickets:
        before = bulk_change.previous[str(ticket.pk)]
        restore: dict[str, Any] = {}
        left_alone = False
        for field in FIELDS:
            if field not in applied:
                continue
            if _current(ticket, field) != applied[field]:
                left_alone = True  # changed again since: the later change stands
                continue
            if before[field] == applied[field]:
                continue  # the bulk change did not change it
            if field in RELATIONS and before[field] is not None:
                if before[field] not in related[field]:
                    left_alone = True  # the agent or team is gone
                    continue
                restore[field] = related[field][before[field]]
            else:
                restore[field] = before[field]
        tags = None
        if tag is not None and not before.get("add_tag"):
            names = [t.name for t in ticket.tags.all()]
            if tag in names:
                tags = [n for n in names if n != tag]
            else:
                left_alone = True  # someone removed it already
        if restore or tags is not None:
            ticket_update(ticket=ticket, actor=actor, tags=tags, **restore)
            restored += 1
        if left_alone:
            kept.append(ticket.number)
    bulk_change.undone_at = timezone.now()
    bulk_change.save(update_fields=["undone_at"])
    event_record(
        actor=actor,
        verb="tickets.bulk_undone",
        target=bulk_change,
        changes={"undone_at": [None, bulk_change.undone_at], "kept": [None, sorted(kept)]},
    )
    return BulkUndoResult(bulk_change=bulk_change, restored=restored, kept=sorted(kept))
