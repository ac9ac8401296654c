"""Triggers: their writes (checked when saved), the per-process cache the ticket listener reads, evaluation in
order, firing with the loop cap, and the dry run.

The listener (`triggers_on_ticket_event`, registered by automation/triggers.py) runs after the ticket write
committed. It costs one query when no trigger listens to the event's kind (the version probe), and otherwise one
ticket read plus whatever facts the matching conditions ask for. Each firing is one transaction: the ticket's
lock (after the change-sequence lock every ticket writer takes first), the cap check, the actions through the
ticket services inside `ticket_event_source("trigger:<id>")`, a TriggerFiring row and a "ticket.trigger_fired"
audit event, which the ticket's timeline shows as a sentence.

Loops: a trigger never reacts to an event its own actions caused (source "trigger:<its id>"); other triggers may
(rule B reacts to rule A), and what bounds a ping-pong between rules is the cap: at most FIRING_CAP firings of one
rule on one ticket per FIRING_WINDOW. The firing that would pass it is refused and recorded ("ticket.trigger_capped",
once per window) so a lead sees the loop on the timeline. Chains of events caused by firings are also cut at
MAX_CHAIN_DEPTH, because each one runs inside the previous firing's commit callback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from supportloop.accounts.models import User
from supportloop.automation.actions import ActionContext, action_spec
from supportloop.automation.choices import FiringOutcome
from supportloop.automation.models import Trigger, TriggerFiring
from supportloop.automation.services.ordered import (
    VersionedCache,
    name_free,
    ordered_move,
    ordered_reorder,
    position_next,
    version_bump,
    version_read,
)
from supportloop.automation.trigger_conditions import TicketFacts, conditions_clean, conditions_compile
from supportloop.core.errors import ValidationFailed
from supportloop.core.lookup import one_or_none
from supportloop.core.services import change_seq_next, event_record, model_update
from supportloop.core.validation import clean_text
from supportloop.tickets.hooks import TicketEvent, TicketEventKind, ticket_event_source
from supportloop.tickets.models import Ticket

logger = logging.getLogger(__name__)

TRIGGERS_VERSION = "automation.triggers"
MAX_TRIGGERS = 500
MAX_ACTIONS = 20
FIRING_CAP = 3  # firings of one rule on one ticket ...
FIRING_WINDOW = timedelta(hours=1)  # ... within this rolling window
MAX_CHAIN_DEPTH = 10
EVENT_KINDS = (
    TicketEventKind.CREATED,
    TicketEventKind.UPDATED,
    TicketEventKind.REPLIED,
    TicketEventKind.NOTED,
    TicketEventKind.CUSTOMER_REPLIED,
    TicketEventKind.RATED,
    TicketEventKind.SLA_WARNING,
    TicketEventKind.SLA_BREACH,
)
FIELDS = {"name", "is_active", "events", "conditions", "actions"}


# -- compiled rules and their cache ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledTrigger:
    id: int
    name: str
    events: frozenset[str]
    holds: Callable[[TicketFacts], bool]
    actions: tuple[tuple[str, dict[str, Any]], ...]

    @classmethod
    def of(cls, trigger: Trigger) -> CompiledTrigger:
        return cls(
            id=trigger.pk,
            name=trigger.name,
            events=frozenset(trigger.events),
            holds=conditions_compile(trigger.conditions or {}),
            actions=tuple(_split_action(a) for a in trigger.actions),
        )

    @property
    def source(self) -> str:
        return f"trigger:{self.id}"


@dataclass(frozen=True)
class TriggerSet:
    version: int
    by_kind: dict[str, tuple[CompiledTrigger, ...]]


def _triggers_build(version: int) -> TriggerSet:
    compiled = [CompiledTrigger.of(t) for t in Trigger.objects.filter(is_active=True).order_by("position", "id")]
    by_kind = {kind: tuple(t for t in compiled if kind in t.events) for kind in EVENT_KINDS}
    return TriggerSet(version=version, by_kind=by_kind)


_cache = VersionedCache(TRIGGERS_VERSION, _triggers_build)


def triggers_version() -> int:
    return version_read(TRIGGERS_VERSION)


def active_triggers() -> TriggerSet:
    """The enabled triggers in order, compiled and grouped by event kind, from this process's cache unless a
    trigger changed since (one query)."""
    return _cache.get()


def _triggers_changed() -> None:
    version_bump(TRIGGERS_VERSION)


# -- checking what an admin typed -----------------------------------------------------------------------------------
def _split_action(raw: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    params = dict(raw)
    return str(params.pop("action")), params


def actions_clean(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("A trigger needs a list of actions.", errors={"actions": "a list of 1 or more actions"})
    if len(raw) > MAX_ACTIONS:
        raise ValidationFailed(f"At most {MAX_ACTIONS} actions.", errors={"actions": "too many actions"})
    out = []
    for i, item in enumerate(raw):
        where = f"actions[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("action"), str):
            raise ValidationFailed(
                'An action is an object naming its kind: {"action": "set_priority", "priority": "high"}.',
                errors={where: 'an object with "action"'},
            )
        kind, params = _split_action(item)
        try:
            spec = action_spec(kind)
            cleaned = spec.validate(params)
        except ValidationFailed as exc:
            errors = {f"{where}.{k}": v for k, v in (exc.errors or {}).items()} or {where: exc.detail}
            raise ValidationFailed(f"{where} ({kind}): {exc.detail}", errors=errors) from None
        out.append({"action": kind, **cleaned})
    return out


def _events_clean(raw: Any) -> list[str]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed("A trigger listens to at least one ticket event.", errors={"events": "a list of events"})
    unknown = [e for e in raw if e not in EVENT_KINDS]
    if unknown:
        raise ValidationFailed(
            f"Unknown ticket event(s): {', '.join(map(str, unknown))}.",
            errors={"events": "one of " + ", ".join(EVENT_KINDS)},
        )
    return list(dict.fromkeys(raw))


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - FIELDS
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(sorted(unknown))}.", errors=dict.fromkeys(sorted(unknown), "unknown field")
        )
    out: dict[str, Any] = {}
    for field, value in values.items():
        if field == "name":
            if not isinstance(value, str):
                raise ValidationFailed("name is a text.", errors={"name": "a text"})
            out[field] = clean_text(value, field="name", required=True, max_length=150).strip()
            if not out[field]:
                raise ValidationFailed("A trigger needs a name.", errors={"name": "required"})
        elif field == "is_active":
            out[field] = bool(value)
        elif field == "events":
            out[field] = _events_clean(value)
        elif field == "conditions":
            out[field] = conditions_clean(value)
        elif field == "actions":
            out[field] = actions_clean(value)
    return out


def _name_free(name: str, *, exclude: int | None = None) -> None:
    name_free(Trigger, name, label="trigger", exclude=exclude)


# -- writes ---------------------------------------------------------------------------------------------------------
@transaction.atomic
def trigger_create(
    *,
    actor: User | None,
    name: str,
    events: list[str],
    actions: list[dict[str, Any]],
    conditions: dict[str, Any] | None = None,
    is_active: bool = True,
    position: int | None = None,
) -> Trigger:
    """A new trigger, last in the order unless `position` is given."""
    cleaned = _clean(
        {"name": name, "events": events, "actions": actions, "conditions": conditions, "is_active": is_active}
    )
    _name_free(cleaned["name"])
    if Trigger.objects.count() >= MAX_TRIGGERS:
        raise ValidationFailed(f"At most {MAX_TRIGGERS} triggers.", errors={"name": "too many triggers"})
    if position is None:
        position = position_next(Trigger)
    trigger = Trigger(position=position, created_by=actor if actor and actor.pk else None, **cleaned)
    trigger.save(force_insert=True)
    _triggers_changed()
    event_record(
        actor=actor, verb="trigger.created", target=trigger, changes={k: [None, v] for k, v in cleaned.items()}
    )
    return trigger


@transaction.atomic
def trigger_update(*, trigger: Trigger, actor: User | None, **values: Any) -> Trigger:
    """Change a trigger's fields (enable or disable it with is_active)."""
    cleaned = _clean(values)
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    if "name" in cleaned:
        _name_free(cleaned["name"], exclude=trigger.pk)
    changes = model_update(trigger, cleaned, allowed_fields=FIELDS, touch={"updated_at": timezone.now()})
    if changes:
        _triggers_changed()
        event_record(actor=actor, verb="trigger.updated", target=trigger, changes=changes)
    return trigger


@transaction.atomic
def trigger_delete(*, trigger: Trigger, actor: User | None) -> None:
    event_record(actor=actor, verb="trigger.deleted", target=trigger, changes={"name": [trigger.name, None]})
    trigger.delete()
    _triggers_changed()


@transaction.atomic
def triggers_reorder(*, trigger_ids: list[int], actor: User | None) -> list[Trigger]:
    """Put every trigger in the order given (each id once, all of them)."""
    rows = ordered_reorder(
        Trigger,
        ids=trigger_ids,
        actor=actor,
        field="trigger_ids",
        label="trigger",
        verb="triggers.reordered",
        version=TRIGGERS_VERSION,
    )
    return rows  # type: ignore[return-value]


def trigger_move(*, trigger: Trigger, offset: int, actor: User | None) -> None:
    """Move one trigger up (offset -1) or down (+1): the settings page's arrows."""
    ordered_move(
        Trigger, pk=trigger.pk, offset=offset, reorder=lambda ids: triggers_reorder(trigger_ids=ids, actor=actor)
    )


# -- evaluating and firing ------------------------------------------------------------------------------------------
_depth: ContextVar[int] = ContextVar("trigger_chain_depth", default=0)


@contextmanager
def _deeper() -> Iterator[int]:
    depth = _depth.get() + 1
    token = _depth.set(depth)
    try:
        yield depth
    finally:
        _depth.reset(token)


def _ticket(ticket_id: int) -> Ticket | None:
    return one_or_none(Ticket.objects.select_related("requester", "company").filter(pk=ticket_id))


def rule_label(trigger: CompiledTrigger) -> str:
    """How the trigger's changes name their actor on the timeline: "Trigger “VIP” changed priority ..."."""
    return _("Trigger “%(name)s”") % {"name": trigger.name[:180]}


@dataclass(frozen=True)
class FiringResult:
    trigger_id: int
    outcome: str
    lines: tuple[str, ...] = ()


def _capped(trigger: CompiledTrigger, ticket: Ticket, event: TicketEvent, now: datetime) -> FiringResult:
    """Refuse the firing; record the stop once per window (a loop keeps knocking, the timeline says it once)."""
    since = now - FIRING_WINDOW
    already = TriggerFiring.objects.filter(
        trigger_id=trigger.id, ticket=ticket, at__gte=since, outcome=FiringOutcome.CAPPED
    ).exists()
    if not already:
        TriggerFiring.objects.create(
            trigger_id=trigger.id, ticket=ticket, at=now, outcome=FiringOutcome.CAPPED, event_kind=event.kind
        )
        event_record(
            actor=None,
            actor_label="trigger",
            verb="ticket.trigger_capped",
            target=ticket,
            changes={
                "trigger": [None, trigger.name],
                "trigger_id": [None, trigger.id],
                "cap": [None, FIRING_CAP],
                "window_minutes": [None, int(FIRING_WINDOW.total_seconds() // 60)],
            },
        )
    return FiringResult(trigger.id, FiringOutcome.CAPPED)


def trigger_fire(*, trigger: CompiledTrigger, ticket_id: int, event: TicketEvent) -> FiringResult | None:
    """Run one trigger's actions on one ticket in one transaction, unless the cap stops it. None when the
    ticket is gone."""
    with transaction.atomic():
        change_seq_next()  # the lock every ticket writer takes first, before the ticket's own
        ticket = Ticket.objects.select_for_update().filter(pk=ticket_id).first()
        if ticket is None:
            return None
        now = timezone.now()
        recent = TriggerFiring.objects.filter(
            trigger_id=trigger.id, ticket=ticket, at__gte=now - FIRING_WINDOW, outcome=FiringOutcome.FIRED
        ).count()
        if recent >= FIRING_CAP:
            return _capped(trigger, ticket, event, now)
        context = ActionContext(event=event, rule_label=rule_label(trigger))
        lines = []
        with ticket_event_source(trigger.source):
            for kind, params in trigger.actions:
                current = _ticket(ticket_id) or ticket
                lines.append(action_spec(kind).run(current, params, context))
        TriggerFiring.objects.create(
            trigger_id=trigger.id,
            ticket=ticket,
            at=now,
            outcome=FiringOutcome.FIRED,
            event_kind=event.kind,
            detail=lines,
        )
        event_record(
            actor=None,
            actor_label="trigger",
            verb="ticket.trigger_fired",
            target=ticket,
            changes={
                "trigger": [None, trigger.name],
                "trigger_id": [None, trigger.id],
                "event": [None, event.kind],
                "actions": [None, lines],
            },
        )
        return FiringResult(trigger.id, FiringOutcome.FIRED, tuple(lines))


def triggers_run(event: TicketEvent, *, now: datetime | None = None) -> list[FiringResult]:
    """Evaluate the enabled triggers listening to `event.kind`, in order, and fire those whose conditions hold.
    A later trigger sees the ticket as the earlier ones left it."""
    candidates = [t for t in active_triggers().by_kind.get(event.kind, ()) if t.source != event.source]
    if not candidates:
        return []
    ticket = _ticket(event.ticket_id)
    if ticket is None:
        return []
    results: list[FiringResult] = []
    with _deeper() as depth:
        if depth > MAX_CHAIN_DEPTH:
            logger.warning("trigger chain on ticket %s cut at depth %s (%s)", event.ticket_id, depth, event.source)
            return []
        facts = TicketFacts(ticket, now=now or timezone.now(), message_id=event.message_id)
        for trigger in candidates:
            if not trigger.holds(facts):
                continue
            try:
                result = trigger_fire(trigger=trigger, ticket_id=event.ticket_id, event=event)
            except Exception:  # one broken rule must not stop the ones after it
                logger.exception("trigger %s failed on ticket %s", trigger.id, event.ticket_id)
                _failed(trigger, event)
                continue
            if result is None:
                break
            results.append(result)
            if result.outcome == FiringOutcome.FIRED:
                ticket = _ticket(event.ticket_id)
                if ticket is None:
                    break
                facts = TicketFacts(ticket, now=facts.now, message_id=event.message_id)
    return results


def _failed(trigger: CompiledTrigger, event: TicketEvent) -> None:
    try:
        with transaction.atomic():
            ticket = one_or_none(Ticket.objects.filter(pk=event.ticket_id))
            if ticket is not None:
                TriggerFiring.objects.create(
                    trigger_id=trigger.id, ticket=ticket, outcome=FiringOutcome.FAILED, event_kind=event.kind
                )
    except Exception:
        logger.exception("recording the failure of trigger %s failed", trigger.id)


def triggers_on_ticket_event(event: TicketEvent) -> None:
    """The ticket-event listener (registered after routing and SLAs, so conditions see the routed ticket)."""
    try:
        triggers_run(event)
    except Exception:  # the ticket write has committed; a trigger failure must not fail it
        logger.exception("triggers on ticket %s after %s failed", event.ticket_id, event.kind)


# -- the dry run ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DryRun:
    trigger: Trigger
    ticket: Ticket
    listens: bool  # the trigger listens to the event kind asked about (None: any)
    matches: bool
    capped: bool
    enabled: bool
    lines: list[str]


def trigger_dry_run(*, trigger: Trigger, ticket: Ticket, event_kind: str | None = None) -> DryRun:
    """What `trigger` would do to `ticket` as it is now, writing nothing: whether its conditions hold, whether
    the cap would stop it, and each action's preview line."""
    compiled = CompiledTrigger.of(trigger)
    ticket = _ticket(ticket.pk) or ticket
    facts = TicketFacts(ticket, now=timezone.now())
    matches = compiled.holds(facts)
    recent = TriggerFiring.objects.filter(
        trigger_id=trigger.pk, ticket=ticket, at__gte=timezone.now() - FIRING_WINDOW, outcome=FiringOutcome.FIRED
    ).count()
    lines = [action_spec(kind).preview(ticket, params) for kind, params in compiled.actions] if matches else []
    return DryRun(
        trigger=trigger,
        ticket=ticket,
        listens=event_kind is None or event_kind in compiled.events,
        matches=matches,
        capped=recent >= FIRING_CAP,
        enabled=trigger.is_active,
        lines=lines,
    )


def dry_run_summary(result: DryRun) -> str:
    if not result.matches:
        return _("The conditions do not hold for ticket #%(number)s: nothing would happen.") % {
            "number": result.ticket.number
        }
    if result.capped:
        return _("The conditions hold, but the loop cap would stop this trigger on ticket #%(number)s now.") % {
            "number": result.ticket.number
        }
    return _("The conditions hold for ticket #%(number)s.") % {"number": result.ticket.number}
