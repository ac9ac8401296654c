"""Extension points that let higher apps react to ticket events without tickets knowing them.

The mail app registers a listener for public replies so it can send them; tickets itself never imports mail.
Listeners are called after the transaction commits, with ids only.

Ticket events (created, updated, replied, noted, customer replied, and events other apps raise such as
an SLA breach) go to every registered ticket-event listener after the writing transaction commits: the
automation app's triggers are one. A listener that writes runs its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any

from django.db import transaction

public_reply_listeners: list[Callable[[int], None]] = []
# Called with the ticket id after a transaction that recorded a macro use (MacroApplication) commits: the analytics
# app counts the uses per day and product area.
macro_applied_listeners: list[Callable[[int], None]] = []
# Addresses other apps send customers mail from (the close-the-loop sender): the mail app treats mail from
# them as our own coming back, never as a customer's.
own_sender_providers: list[Callable[[], Iterable[str]]] = []


class TicketEventKind:
    CREATED = "created"
    UPDATED = "updated"
    REPLIED = "replied"  # a public agent reply
    NOTED = "noted"  # an internal note by an agent
    CUSTOMER_REPLIED = "customer_replied"
    # Raised by higher apps through ticket_event_emit:
    RATED = "rated"
    SLA_WARNING = "sla_warning"
    SLA_BREACH = "sla_breach"


# The change an undo send adds to its `updated` event: [the withdrawn reply's time (ISO 8601), None]. The SLA clock
# takes back what that reply answered.
WITHDRAWN_REPLY_AT = "withdrawn_reply_at"


@dataclass(frozen=True)
class TicketEvent:
    """What happened to one ticket. `changes` maps a field to [before, after], as the audit event does;
    `actor_id` is None for the customer, the system or an automation (then `source` names it, e.g.
    "trigger:12", so a rule can tell its own changes from a person's)."""

    kind: str
    ticket_id: int
    actor_id: int | None = None
    changes: dict[str, list[Any]] = field(default_factory=dict)
    message_id: int | None = None
    source: str = ""
    at: datetime | None = None  # when it happened, as the service stored it (the message's time); None: not said


ticket_event_listeners: list[Callable[[TicketEvent], None]] = []


def register_ticket_event_listener(listener: Callable[[TicketEvent], None]) -> None:
    if listener not in ticket_event_listeners:
        ticket_event_listeners.append(listener)


_event_source: ContextVar[str] = ContextVar("ticket_event_source", default="")


@contextmanager
def ticket_event_source(source: str) -> Iterator[None]:
    """Ticket events emitted inside carry `source` (e.g. "trigger:12") unless they name one themselves, so an
    automation can write through the ordinary ticket services and its listeners still tell its changes apart."""
    token = _event_source.set(source)
    try:
        yield
    finally:
        _event_source.reset(token)


_dispatching: ContextVar[TicketEvent | None] = ContextVar("ticket_event_dispatching", default=None)


def ticket_event_dispatching() -> TicketEvent | None:
    """The event whose listeners are running now (None outside a listener). Listeners of one event may share a
    read through it: automation reads its rules' version counters once per event, not once per listener."""
    return _dispatching.get()


def _deliver(listener: Callable[[TicketEvent], None], event: TicketEvent) -> None:
    token = _dispatching.set(event)
    try:
        listener(event)
    finally:
        _dispatching.reset(token)


def ticket_event_emit(event: TicketEvent) -> None:
    """Hand `event` to every listener once the current transaction commits (at once outside one)."""
    source = _event_source.get()
    if source and not event.source:
        event = replace(event, source=source)
    for listener in ticket_event_listeners:
        transaction.on_commit(partial(_deliver, listener, event))


def register_public_reply_listener(listener: Callable[[int], None]) -> None:
    if listener not in public_reply_listeners:
        public_reply_listeners.append(listener)


def register_macro_applied_listener(listener: Callable[[int], None]) -> None:
    if listener not in macro_applied_listeners:
        macro_applied_listeners.append(listener)


def register_own_sender_provider(provider: Callable[[], Iterable[str]]) -> None:
    if provider not in own_sender_providers:
        own_sender_providers.append(provider)


def own_sender_addresses() -> list[str]:
    return [address for provider in own_sender_providers for address in provider() if address]
