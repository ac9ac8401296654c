"""Trigger conditions: what a condition may say, how a saved one is checked, and how it is evaluated on a ticket.

A trigger's conditions are {"all": [condition, ...], "any": [condition, ...]}: every "all" condition must hold,
and when "any" has conditions at least one of them must. A condition is {"field": ..., "op": ..., "value": ...}.
`conditions_clean` refuses anything else with field errors naming the condition ("conditions.all[2].value"), so
the listener only sees conditions that were valid when the rule was saved; `conditions_compile` turns them into
plain predicates once per process.

Facts that cost a query (tags, the mailbox, the latest message, the reopen count, business hours) are read only
when a condition asks for them, once per ticket event (TicketFacts caches them).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cached_property
from typing import Any

from supportloop.automation.services.assignment import language_primary
from supportloop.core.errors import ValidationFailed
from supportloop.tickets.choices import ACTIVE_STATUSES, Channel, Priority, Status
from supportloop.tickets.models import Ticket

MAX_CONDITIONS = 50
MAX_LIST = 200
TEXT_MAX = 200
TEXT_SCANNED = 20_000  # characters of the latest message a "contains" looks at

CHOICE_OPS = ("is", "is_not", "in", "not_in")
REF_OPS = (*CHOICE_OPS, "is_empty", "is_set")
NUMBER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte")
TEXT_OPS = ("contains", "not_contains")
TAG_OPS = ("contains", "not_contains", "contains_any", "contains_none")
BOOL_OPS = ("is",)
NO_VALUE = ("is_empty", "is_set")


class TicketFacts:
    """What conditions read about one ticket at one moment; the costly facts are read on first use."""

    def __init__(self, ticket: Ticket, *, now: datetime, message_id: int | None = None) -> None:
        self.ticket = ticket
        self.now = now
        self.message_id = message_id

    @cached_property
    def tags(self) -> frozenset[str]:
        return frozenset(self.ticket.tags.values_list("name", flat=True))

    @cached_property
    def mailbox_id(self) -> int | None:
        from supportloop.mail.models import TicketMailbox

        return TicketMailbox.objects.filter(ticket_id=self.ticket.pk).values_list("mailbox_id", flat=True).first()

    @cached_property
    def latest_message(self) -> str:
        """The event's message, else the ticket's latest message (public or note), casefolded."""
        from supportloop.tickets.models import Message

        messages = Message.objects.filter(ticket_id=self.ticket.pk)
        if self.message_id is not None:
            messages = messages.filter(pk=self.message_id)
        else:
            messages = messages.order_by("-created_at", "-id")
        return (messages.values_list("body_text", flat=True).first() or "")[:TEXT_SCANNED].casefold()

    @cached_property
    def reopen_count(self) -> int:
        """How often the ticket went from solved or closed back to an active status, read from its audit
        events (no column keeps it; only rules that ask pay for it)."""
        from supportloop.core.models import Event

        done = {Status.SOLVED, Status.CLOSED}
        count = 0
        rows = Event.objects.filter(
            target_type="tickets.ticket",
            target_id=str(self.ticket.pk),
            verb__in=("ticket.updated", "ticket.replied", "ticket.customer_replied"),
        ).values_list("changes", flat=True)
        for changes in rows:
            status = (changes or {}).get("status")
            if isinstance(status, list) and len(status) == 2 and status[0] in done and status[1] in ACTIVE_STATUSES:
                count += 1
        return count

    @cached_property
    def in_business_hours(self) -> bool:
        """Whether now is inside the business hours of the ticket's team calendar (else the default calendar);
        with no calendar at all every moment is business time."""
        from supportloop.automation.business_hours import is_open_at
        from supportloop.automation.calendars import business_hours_of
        from supportloop.automation.services.sla import calendar_for

        calendar = calendar_for(self.ticket.team_id)
        if calendar is None:
            return True
        return is_open_at(business_hours_of(calendar), self.now)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # choice, ref, number, text, tags, bool, language
    read: Callable[[TicketFacts], Any]
    choices: tuple[str, ...] = ()
    model: str = ""  # "app_label.Model" for refs

    @property
    def ops(self) -> tuple[str, ...]:
        return {
            "choice": CHOICE_OPS,
            "language": CHOICE_OPS,
            "ref": REF_OPS,
            "number": NUMBER_OPS,
            "text": TEXT_OPS,
            "tags": TAG_OPS,
            "bool": BOOL_OPS,
        }[self.kind]


def _plan(f: TicketFacts) -> str | None:
    return f.ticket.company.plan if f.ticket.company_id and f.ticket.company else None


def _mrr(f: TicketFacts) -> Decimal:
    return f.ticket.company.mrr if f.ticket.company_id and f.ticket.company else Decimal(0)


def _language(f: TicketFacts) -> str:
    return language_primary(f.ticket.language) or language_primary(f.ticket.requester.language)


def _plans() -> tuple[str, ...]:
    from supportloop.customers.choices import Plan

    return tuple(Plan.values)


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("status", "choice", lambda f: f.ticket.status, tuple(Status.values)),
        FieldSpec("priority", "choice", lambda f: f.ticket.priority, tuple(Priority.values)),
        FieldSpec("channel", "choice", lambda f: f.ticket.channel, tuple(Channel.values)),
        FieldSpec("mailbox", "ref", lambda f: f.mailbox_id, model="mail.Mailbox"),
        FieldSpec("team", "ref", lambda f: f.ticket.team_id, model="accounts.Team"),
        FieldSpec("assignee", "ref", lambda f: f.ticket.assignee_id, model="accounts.User"),
        FieldSpec("product_area", "ref", lambda f: f.ticket.product_area_id, model="tickets.ProductArea"),
        FieldSpec("product_feature", "ref", lambda f: f.ticket.product_feature_id, model="tickets.ProductFeature"),
        FieldSpec("contact_reason", "ref", lambda f: f.ticket.contact_reason_id, model="tickets.ContactReason"),
        FieldSpec("tags", "tags", lambda f: f.tags),
        FieldSpec("plan", "choice", _plan, _plans()),
        FieldSpec("mrr", "number", _mrr),
        FieldSpec("language", "language", _language),
        FieldSpec("subject", "text", lambda f: f.ticket.subject.casefold()),
        FieldSpec("latest_message", "text", lambda f: f.latest_message),
        FieldSpec("public_replies", "number", lambda f: f.ticket.public_reply_count),
        FieldSpec("reopen_count", "number", lambda f: f.reopen_count),
        FieldSpec("in_business_hours", "bool", lambda f: f.in_business_hours),
    )
}


# -- checking what an admin typed -----------------------------------------------------------------------------------
def _fail(where: str, message: str, error: str) -> ValidationFailed:
    return ValidationFailed(message, errors={where: error})


def _known_ids(label: str, ids: list[int]) -> set[int]:
    from django.apps import apps

    model: Any = apps.get_model(label)
    return set(model._default_manager.filter(pk__in=ids).values_list("pk", flat=True))


def _one_value(spec: FieldSpec, value: Any, where: str) -> Any:
    if spec.kind in ("choice",):
        if value not in spec.choices:
            raise _fail(where, f"Unknown {spec.name}: {value!r}.", "one of " + ", ".join(spec.choices))
        return value
    if spec.kind == "language":
        code = language_primary(value) if isinstance(value, str) else ""
        if not code.isalpha() or not 2 <= len(code) <= 3:
            raise _fail(where, "Languages are codes such as en, zh or ru.", f"not a language code: {value!r}")
        return code
    if spec.kind == "ref":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(where, f"A {spec.name} is given by id.", "an integer id")
        return value
    raise AssertionError(spec.kind)


def _clean_one(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(where, "A condition is an object with field, op and value.", "an object")
    unknown = set(raw) - {"field", "op", "value"}
    if unknown:
        raise _fail(where, f"Unknown key(s) in a condition: {', '.join(sorted(unknown))}.", "unknown key")
    name = raw.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise _fail(f"{where}.field", f"Unknown condition field: {raw.get('field')!r}.", "one of " + ", ".join(FIELDS))
    op = raw.get("op")
    if not isinstance(op, str) or op not in spec.ops:
        raise _fail(f"{where}.op", f"{spec.name} cannot be compared with {op!r}.", "one of " + ", ".join(spec.ops))
    value = raw.get("value")
    vwhere = f"{where}.value"
    if op in NO_VALUE:
        return {"field": spec.name, "op": op}
    if spec.kind in ("choice", "language", "ref"):
        if op in ("in", "not_in"):
            if not isinstance(value, list) or not value or len(value) > MAX_LIST:
                raise _fail(vwhere, f"{op} takes a list of values.", f"a list of 1 to {MAX_LIST} values")
            cleaned: Any = list(dict.fromkeys(_one_value(spec, v, vwhere) for v in value))
        else:
            cleaned = _one_value(spec, value, vwhere)
        if spec.kind == "ref":
            ids = cleaned if isinstance(cleaned, list) else [cleaned]
            found = _known_ids(spec.model, ids)
            missing = [i for i in ids if i not in found]
            if missing:
                raise _fail(
                    vwhere, f"No such {spec.name}: {missing[0]}.", "no such id: " + ", ".join(map(str, missing))
                )
        return {"field": spec.name, "op": op, "value": cleaned}
    if spec.kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise _fail(vwhere, f"{spec.name} is compared with a number.", "a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise _fail(vwhere, f"{spec.name} is compared with a number.", "a number") from None
        if not number.is_finite():
            raise _fail(vwhere, f"{spec.name} is compared with a number.", "a finite number")
        return {"field": spec.name, "op": op, "value": int(number) if number == number.to_integral() else str(number)}
    if spec.kind in ("text", "tags") and op in ("contains", "not_contains"):
        if not isinstance(value, str) or not value.strip() or len(value) > TEXT_MAX or "\x00" in value:
            raise _fail(vwhere, f"{spec.name} {op} takes a text.", f"1 to {TEXT_MAX} characters")
        text = value.strip().casefold() if spec.kind == "text" else value.strip().lower()
        return {"field": spec.name, "op": op, "value": text}
    if spec.kind == "tags":  # contains_any, contains_none
        if not isinstance(value, list) or not value or len(value) > MAX_LIST:
            raise _fail(vwhere, f"{op} takes a list of tags.", f"a list of 1 to {MAX_LIST} tags")
        if any(not isinstance(v, str) or not v.strip() or len(v) > 60 for v in value):
            raise _fail(vwhere, "Tags are short texts.", "tags of 1 to 60 characters")
        return {"field": spec.name, "op": op, "value": list(dict.fromkeys(v.strip().lower() for v in value))}
    if spec.kind == "bool":
        if not isinstance(value, bool):
            raise _fail(vwhere, f"{spec.name} is true or false.", "true or false")
        return {"field": spec.name, "op": op, "value": value}
    raise AssertionError(spec.kind)


def conditions_clean(raw: Any) -> dict[str, list[dict[str, Any]]]:
    """The conditions normalised, or ValidationFailed naming the first bad one. None or {} means "always"."""
    if raw in (None, {}):
        return {"all": [], "any": []}
    if not isinstance(raw, dict):
        raise _fail("conditions", 'Conditions are an object: {"all": [...], "any": [...]}.', "an object")
    unknown = set(raw) - {"all", "any"}
    if unknown:
        raise _fail("conditions", f"Unknown group(s): {', '.join(sorted(unknown))}; use all and any.", "all or any")
    out: dict[str, list[dict[str, Any]]] = {}
    total = 0
    for group in ("all", "any"):
        items = raw.get(group) or []
        if not isinstance(items, list):
            raise _fail(f"conditions.{group}", f"{group} is a list of conditions.", "a list")
        total += len(items)
        if total > MAX_CONDITIONS:
            raise _fail("conditions", f"At most {MAX_CONDITIONS} conditions.", "too many conditions")
        out[group] = [_clean_one(item, f"conditions.{group}[{i}]") for i, item in enumerate(items)]
    return out


# -- evaluating -----------------------------------------------------------------------------------------------------
Predicate = Callable[[TicketFacts], bool]


COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


def _number(op: str, read: Callable[[TicketFacts], Any], value: Any) -> Predicate:
    """The bound is a Decimal made once; the ticket's side (an int or a Decimal) compares with it exactly."""
    compare, bound = COMPARE[op], Decimal(str(value))

    def holds(f: TicketFacts) -> bool:
        left = read(f)
        return left is not None and compare(left, bound)

    return holds


def _predicate(condition: dict[str, Any]) -> Predicate:
    spec = FIELDS[condition["field"]]
    op, read = condition["op"], spec.read
    value: Any = condition.get("value")
    if op == "is" and spec.kind == "bool":
        return lambda f: bool(read(f)) is value
    if op == "is":
        return lambda f: read(f) == value
    if op == "is_not":
        return lambda f: read(f) != value
    if op in ("in", "not_in"):
        allowed = frozenset(value)
        return (lambda f: read(f) in allowed) if op == "in" else (lambda f: read(f) not in allowed)
    if op == "is_empty":
        return lambda f: read(f) is None
    if op == "is_set":
        return lambda f: read(f) is not None
    if op in NUMBER_OPS:
        return _number(op, read, value)
    if op == "contains":
        return lambda f: value in read(f)
    if op == "not_contains":
        return lambda f: value not in read(f)
    if op == "contains_any":
        wanted = frozenset(value)
        return lambda f: bool(wanted & read(f))
    if op == "contains_none":
        unwanted = frozenset(value)
        return lambda f: not unwanted & read(f)
    raise AssertionError(op)


def conditions_compile(conditions: dict[str, Any]) -> Predicate:
    """One predicate for a trigger's cleaned conditions: all of "all", and any of "any" when it has some."""
    every = tuple(_predicate(c) for c in conditions.get("all") or [])
    some = tuple(_predicate(c) for c in conditions.get("any") or [])

    def holds(facts: TicketFacts) -> bool:
        return all(p(facts) for p in every) and (not some or any(p(facts) for p in some))

    return holds
