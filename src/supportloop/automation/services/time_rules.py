"""Time rules: the hourly pass that acts on tickets that have waited too long in one state.

- pending 3 days: remind the customer (a templated public reply), once per customer silence (the occurrence is
  the customer's last message, else the ticket's creation: the reminder itself does not start a new one);
- solved 4 days: close the ticket (the occurrence is its last change);
- unassigned 30 minutes (new or open, no assignee): notify the leads of its team (all leads without a team),
  once per occurrence (the ticket's last change: a customer's new message makes it news again).

Each rule reads only tickets in its state whose last change (`updated_at`) lies in a window ending at now minus the
wait and starting LOOKBACK earlier, through a partial index per rule (migration 0004_triggers), so the pass costs
what the hour's cohort costs, not a scan of every ticket. A ticket that changed later is not due: its wait starts
again. The window forgives a worker that was down for up to LOOKBACK.

Acting once is a database fact: each action runs in one transaction that first inserts a TimeRuleMark (unique per
rule, ticket and occurrence); a second pass, concurrent or later, fails that insert and skips the ticket. On
PostgreSQL the rows are also read with SKIP LOCKED so two hosts share the work instead of queueing on it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from supportloop.automation.models import TimeRuleMark
from supportloop.core.services import change_seq_next, event_record
from supportloop.tickets.choices import Status
from supportloop.tickets.hooks import ticket_event_source
from supportloop.tickets.models import Ticket

logger = logging.getLogger(__name__)

LOOKBACK = timedelta(days=1)
PENDING_REMINDER = "pending_reminder"
SOLVED_CLOSE = "solved_close"
UNASSIGNED_NOTICE = "unassigned_notice"
REMINDER_BODY = (
    "Hello {{ contact.first_name }},\n\n"
    "we are still waiting for your answer on ticket #{{ ticket.number }} ({{ ticket.subject }}). "
    "Reply to this message and we will pick it up from there."
)


@dataclass(frozen=True)
class TimeRule:
    name: str
    wait: timedelta
    due: Q  # the state, on Ticket; the partial index has the same condition
    occurrence: Callable[[Ticket], datetime]
    occurrence_sql: Any  # the same moment as an expression, to leave out tickets already acted on
    act: Callable[[Ticket, str], str]  # (ticket, source) -> the line recorded on the timeline


def _remind(ticket: Ticket, source: str) -> str:
    from supportloop.automation.trigger_actions import render_template
    from supportloop.tickets.services import ticket_reply

    ticket_reply(ticket=ticket, actor=None, actor_label="time rule", body=render_template(ticket, REMINDER_BODY))
    return _("Reminded the customer after 3 days pending")


def _close(ticket: Ticket, source: str) -> str:
    from supportloop.tickets.services import ticket_update

    ticket_update(ticket=ticket, actor=None, actor_label="time rule", status=Status.CLOSED)
    return _("Closed after 4 days solved")


def _notify(ticket: Ticket, source: str) -> str:
    from supportloop.automation.trigger_actions import notify

    users = notify(
        ticket,
        {
            "team_leads": True,
            "text": _("Ticket #%(number)s has waited 30 minutes without an assignee") % {"number": ticket.number},
        },
        source=source,
    )
    names = ", ".join(u.display_name for u in users) or _("nobody (no lead)")
    return _("Unassigned for 30 minutes: notified %(names)s") % {"names": names}


RULES: tuple[TimeRule, ...] = (
    TimeRule(
        PENDING_REMINDER,
        timedelta(days=3),
        Q(status=Status.PENDING),
        lambda t: t.last_customer_message_at or t.created_at,
        Coalesce(OuterRef("last_customer_message_at"), OuterRef("created_at")),
        _remind,
    ),
    TimeRule(
        SOLVED_CLOSE, timedelta(days=4), Q(status=Status.SOLVED), lambda t: t.updated_at, OuterRef("updated_at"), _close
    ),
    TimeRule(
        UNASSIGNED_NOTICE,
        timedelta(minutes=30),
        Q(status__in=(Status.NEW, Status.OPEN), assignee__isnull=True),
        lambda t: t.updated_at,
        OuterRef("updated_at"),
        _notify,
    ),
)


@dataclass
class PassResult:
    acted: dict[str, int] = field(default_factory=dict)
    skipped: int = 0


def _due(rule: TimeRule, now: datetime) -> QuerySet[Ticket]:
    end = now - rule.wait
    marked = TimeRuleMark.objects.filter(rule=rule.name, ticket=OuterRef("pk"), occurrence=rule.occurrence_sql)
    return Ticket.objects.filter(rule.due, updated_at__lte=end, updated_at__gt=end - LOOKBACK).filter(~Exists(marked))


def _act_once(rule: TimeRule, ticket_id: int, now: datetime) -> bool:
    """One ticket, one transaction: the mark first (the second pass stops here), then the action and its audit
    event. False when another pass had it or the ticket is no longer due."""
    with transaction.atomic():
        change_seq_next()
        rows = Ticket.objects.select_related("requester", "company").filter(pk=ticket_id)
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        ticket = rows.filter(rule.due, updated_at__lte=now - rule.wait).first()
        if ticket is None:
            return False  # changed since it was listed, or another pass holds it
        try:
            with transaction.atomic():
                TimeRuleMark.objects.create(rule=rule.name, ticket=ticket, occurrence=rule.occurrence(ticket))
        except IntegrityError:
            return False
        source = f"time_rule:{rule.name}"
        with ticket_event_source(source):
            line = rule.act(ticket, source)
        event_record(
            actor=None,
            actor_label="time rule",
            verb="ticket.time_rule_applied",
            target=ticket,
            changes={"rule": [None, rule.name], "action": [None, line]},
        )
        return True


def time_rules_check(*, now: datetime | None = None, rules: tuple[TimeRule, ...] = RULES) -> PassResult:
    """Apply every time rule due at `now`; safe to run twice or on two hosts at once."""
    now = now or timezone.now()
    result = PassResult()
    for rule in rules:
        acted = 0
        # One read of the window's ids (a day of one state's cohort at most), with no ORDER BY that could tempt
        # the planner into walking the primary key instead of the rule's partial index.
        for ticket_id in list(_due(rule, now).order_by().values_list("pk", flat=True)):
            try:
                if _act_once(rule, ticket_id, now):
                    acted += 1
                else:
                    result.skipped += 1
            except Exception:  # one ticket's failure (a mail server, a bad row) must not stop the pass
                logger.exception("time rule %s on ticket %s failed", rule.name, ticket_id)
        result.acted[rule.name] = acted
    return result
