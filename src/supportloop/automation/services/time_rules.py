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

A lead can turn each rule off, change its wait and (for the reminder) its text: TimeRuleSetting rows, written by
`time_rule_update` and read by the pass through a per-process cache that a version counter invalidates (as
triggers do). A rule without a row runs with the defaults above, so nothing changes until someone edits one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from supportloop.accounts.models import User
from supportloop.automation.models import TimeRuleMark, TimeRuleSetting
from supportloop.automation.services.ordered import VersionedCache, version_bump, version_read
from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.core.services import change_seq_next, event_record, model_update
from supportloop.core.validation import clean_text
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
TIME_RULES_VERSION = "automation.time_rules"
DEFAULT_MINUTES = {PENDING_REMINDER: 3 * 24 * 60, SOLVED_CLOSE: 4 * 24 * 60, UNASSIGNED_NOTICE: 30}
MAX_MINUTES = 365 * 24 * 60  # a year
REMINDER_MAX = 10_000
# The placeholders the reminder can use: the macros' ones that do not need an agent (a time rule has none).
REMINDER_PLACEHOLDERS = (
    "contact.name",
    "contact.first_name",
    "contact.email",
    "company.name",
    "ticket.number",
    "ticket.subject",
    "ticket.status",
)


@dataclass(frozen=True)
class TimeRule:
    name: str
    wait: timedelta
    due: Q  # the state, on Ticket; the partial index has the same condition
    occurrence: Callable[[Ticket], datetime]
    occurrence_sql: Any  # the same moment as an expression, to leave out tickets already acted on
    act: Callable[[TimeRule, Ticket, str], str]  # (rule, ticket, source) -> the line recorded on the timeline
    body: str = REMINDER_BODY  # the reminder's text (pending_reminder only)


def wait_text(minutes: int) -> str:
    """ "3 days", "30 minutes", "1 day 2 hours": a wait as people say it."""
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if mins or not parts:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", mins) % {"n": mins})
    return " ".join(parts)


def _minutes(rule: TimeRule) -> int:
    return int(rule.wait.total_seconds() // 60)


def _remind(rule: TimeRule, ticket: Ticket, source: str) -> str:
    from supportloop.automation.trigger_actions import render_template
    from supportloop.tickets.services import ticket_reply

    ticket_reply(ticket=ticket, actor=None, actor_label="time rule", body=render_template(ticket, rule.body))
    return _("Reminded the customer after %(wait)s pending") % {"wait": wait_text(_minutes(rule))}


def _close(rule: TimeRule, ticket: Ticket, source: str) -> str:
    from supportloop.tickets.services import ticket_update

    ticket_update(ticket=ticket, actor=None, actor_label="time rule", status=Status.CLOSED)
    return _("Closed after %(wait)s solved") % {"wait": wait_text(_minutes(rule))}


def _notify(rule: TimeRule, ticket: Ticket, source: str) -> str:
    from supportloop.automation.trigger_actions import notify

    wait = wait_text(_minutes(rule))
    users = notify(
        ticket,
        {
            "team_leads": True,
            "text": _("Ticket #%(number)s has waited %(wait)s without an assignee")
            % {"number": ticket.number, "wait": wait},
        },
        source=source,
    )
    names = ", ".join(u.display_name for u in users) or _("nobody (no lead)")
    return _("Unassigned for %(wait)s: notified %(names)s") % {"wait": wait, "names": names}


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
            line = rule.act(rule, ticket, source)
        event_record(
            actor=None,
            actor_label="time rule",
            verb="ticket.time_rule_applied",
            target=ticket,
            changes={"rule": [None, rule.name], "action": [None, line]},
        )
        return True


def time_rules_check(*, now: datetime | None = None, rules: tuple[TimeRule, ...] | None = None) -> PassResult:
    """Apply every enabled time rule due at `now` (with the waits and text a lead set); safe to run twice or on
    two hosts at once."""
    now = now or timezone.now()
    if rules is None:
        rules = active_time_rules().rules
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


# -- what a lead set: the rows, their per-process cache and their one write -------------------------------------------
@dataclass(frozen=True)
class TimeRuleConfig:
    """One rule as it runs: the row's values, or the defaults when nobody changed it."""

    rule: str
    enabled: bool
    after_minutes: int
    reminder_text: str  # "" = the built-in text
    updated_at: datetime | None = None

    @property
    def has_text(self) -> bool:
        return self.rule == PENDING_REMINDER

    @property
    def wait_display(self) -> str:
        return wait_text(self.after_minutes)


def time_rule_configs() -> list[TimeRuleConfig]:
    """Every built-in rule in RULES order, from its TimeRuleSetting row when there is one (one query)."""
    rows = {s.rule: s for s in TimeRuleSetting.objects.all()}
    out = []
    for rule in RULES:
        row = rows.get(rule.name)
        if row is None:
            out.append(TimeRuleConfig(rule.name, True, DEFAULT_MINUTES[rule.name], ""))
        else:
            text = row.reminder_text if rule.name == PENDING_REMINDER else ""
            out.append(TimeRuleConfig(rule.name, row.is_enabled, row.after_minutes, text, row.updated_at))
    return out


@dataclass(frozen=True)
class TimeRuleSet:
    version: int
    rules: tuple[TimeRule, ...]


def _time_rules_build(version: int) -> TimeRuleSet:
    configs = {c.rule: c for c in time_rule_configs()}
    rules = []
    for rule in RULES:
        config = configs[rule.name]
        if not config.enabled:
            continue
        changes: dict[str, Any] = {"wait": timedelta(minutes=config.after_minutes)}
        if config.reminder_text:
            changes["body"] = config.reminder_text
        rules.append(replace(rule, **changes))
    return TimeRuleSet(version=version, rules=tuple(rules))


_cache = VersionedCache(TIME_RULES_VERSION, _time_rules_build)


def time_rules_version() -> int:
    return version_read(TIME_RULES_VERSION)


def active_time_rules() -> TimeRuleSet:
    """The enabled rules with their waits and text, from this process's cache unless a setting changed since
    (one query when nothing changed)."""
    return _cache.get()


def _time_rules_changed() -> None:
    version_bump(TIME_RULES_VERSION)


def _clean_minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed("after_minutes is a whole number of minutes.", errors={"after_minutes": "an integer"})
    if value <= 0:
        raise ValidationFailed("The wait must be at least 1 minute.", errors={"after_minutes": "at least 1"})
    if value > MAX_MINUTES:
        raise ValidationFailed(
            f"The wait can be at most {MAX_MINUTES} minutes (a year).",
            errors={"after_minutes": f"at most {MAX_MINUTES}"},
        )
    return int(value)


def _clean_reminder(rule: str, value: Any) -> str:
    if rule != PENDING_REMINDER:
        raise ValidationFailed(
            "Only the pending reminder has a text.", errors={"reminder_text": "only for pending_reminder"}
        )
    if not isinstance(value, str):
        raise ValidationFailed("reminder_text is a text.", errors={"reminder_text": "a text"})
    from supportloop.tickets.services.macros import PLACEHOLDER

    text = clean_text(value, field="reminder_text", max_length=REMINDER_MAX).strip()
    if len(text) > REMINDER_MAX:
        raise ValidationFailed(
            f"The reminder can be at most {REMINDER_MAX} characters.",
            errors={"reminder_text": f"at most {REMINDER_MAX} characters"},
        )
    unknown = sorted({m for m in PLACEHOLDER.findall(text) if m not in REMINDER_PLACEHOLDERS})
    if unknown:
        raise ValidationFailed(
            f"Unknown placeholder(s): {', '.join(unknown)}.",
            errors={"reminder_text": "unknown placeholder(s): " + ", ".join(unknown)},
        )
    return text


@transaction.atomic
def time_rule_update(
    *,
    rule: str,
    enabled: bool | None = None,
    after_minutes: int | None = None,
    reminder_text: str | None = None,
    actor: User | None,
) -> TimeRuleConfig:
    """Turn a built-in time rule on or off, change its wait (minutes), or (pending_reminder) its text; an empty
    text goes back to the built-in one. One audit event with before and after."""
    if rule not in DEFAULT_MINUTES:
        raise NotFound(f"No time rule {rule!r}.", errors={"rule": "one of " + ", ".join(DEFAULT_MINUTES)})
    data: dict[str, Any] = {}
    if enabled is not None:
        if not isinstance(enabled, bool):
            raise ValidationFailed("enabled is true or false.", errors={"enabled": "a boolean"})
        data["is_enabled"] = enabled
    if after_minutes is not None:
        data["after_minutes"] = _clean_minutes(after_minutes)
    if reminder_text is not None:
        data["reminder_text"] = _clean_reminder(rule, reminder_text)
    setting, _created = TimeRuleSetting.objects.select_for_update().get_or_create(
        rule=rule, defaults={"after_minutes": DEFAULT_MINUTES[rule]}
    )
    changes = model_update(
        setting,
        data,
        allowed_fields={"is_enabled", "after_minutes", "reminder_text"},
        touch={"updated_at": timezone.now()},
    )
    if changes:
        _time_rules_changed()
        event_record(actor=actor, verb="time_rule.updated", target=setting, changes=changes)
    return next(c for c in time_rule_configs() if c.rule == rule)
