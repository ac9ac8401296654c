"""Macros: canned replies with placeholders and actions; every use is recorded."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import F

from supportloop.accounts.models import Team, User
from supportloop.core.errors import Conflict, ValidationFailed
from supportloop.core.services import event_record, model_update
from supportloop.core.validation import clean_text
from supportloop.tickets import hooks
from supportloop.tickets.choices import Priority, Status
from supportloop.tickets.models import Macro, MacroApplication, Message, Ticket

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")
PLACEHOLDERS: dict[str, Callable[[Ticket, User | None], str]] = {
    "contact.name": lambda t, a: t.requester.name,
    "contact.first_name": lambda t, a: t.requester.first_name,
    "contact.email": lambda t, a: t.requester.primary_email,
    "company.name": lambda t, a: t.company.name if t.company else "",
    "ticket.number": lambda t, a: str(t.number),
    "ticket.subject": lambda t, a: t.subject,
    "ticket.status": lambda t, a: t.get_status_display(),
    "agent.name": lambda t, a: a.display_name if a else "",
    "agent.first_name": lambda t, a: (a.first_name or a.username) if a else "",
    "agent.signature": lambda t, a: a.signature if a else "",
}
ACTION_KEYS = {"status", "priority", "tags", "add_tags", "team"}


def _validate_macro(body: str, actions: dict[str, Any]) -> None:
    unknown = sorted({m for m in PLACEHOLDER.findall(body) if m not in PLACEHOLDERS})
    if unknown:
        raise ValidationFailed(
            f"Unknown placeholder(s): {', '.join(unknown)}.",
            errors={"body": f"unknown placeholders: {', '.join(unknown)}; known: {', '.join(sorted(PLACEHOLDERS))}"},
        )
    bad_keys = sorted(set(actions) - ACTION_KEYS)
    if bad_keys:
        raise ValidationFailed(f"Unknown action(s): {', '.join(bad_keys)}.", errors={"actions": "unknown keys"})
    if "status" in actions and actions["status"] not in Status.values:
        raise ValidationFailed("Unknown status in actions.", errors={"actions": "status"})
    if "priority" in actions and actions["priority"] not in Priority.values:
        raise ValidationFailed("Unknown priority in actions.", errors={"actions": "priority"})
    if "team" in actions and not Team.objects.filter(slug=actions["team"]).exists():
        raise ValidationFailed("Unknown team in actions.", errors={"actions": "team (slug)"})
    for key in ("tags", "add_tags"):
        if key in actions and not (isinstance(actions[key], list) and all(isinstance(t, str) for t in actions[key])):
            raise ValidationFailed(f"actions.{key} must be a list of strings.", errors={"actions": key})


@transaction.atomic
def macro_create(
    *, name: str, body: str, actions: dict[str, Any] | None = None, is_active: bool = True, actor: User | None = None
) -> Macro:
    name = clean_text(name, field="name", required=True, max_length=150).strip()
    body = clean_text(body, field="body", required=True)
    actions = actions or {}
    _validate_macro(body, actions)
    if Macro.objects.filter(name=name).exists():
        raise Conflict(f"A macro named {name!r} exists.", errors={"name": "already used"})
    macro = Macro.objects.create(name=name, body=body, actions=actions, is_active=is_active)
    changes: dict[str, list[Any]] = {"name": [None, name]}
    if not is_active:
        changes["is_active"] = [None, False]
    event_record(actor=actor, verb="macro.created", target=macro, changes=changes)
    return macro


MACRO_FIELDS = ("name", "body", "actions", "is_active")


@transaction.atomic
def macro_update(*, macro: Macro, actor: User | None = None, **values: Any) -> Macro:
    if "body" in values:
        values["body"] = clean_text(values["body"], field="body", required=True)
    if "name" in values:
        values["name"] = clean_text(values["name"], field="name", required=True, max_length=150).strip()
        if Macro.objects.filter(name=values["name"]).exclude(pk=macro.pk).exists():
            raise Conflict(f"A macro named {values['name']!r} exists.", errors={"name": "already used"})
    _validate_macro(values.get("body", macro.body), values.get("actions", macro.actions))
    changes = model_update(macro, values, allowed_fields=MACRO_FIELDS)
    if changes:
        event_record(actor=actor, verb="macro.updated", target=macro, changes=changes)
    return macro


def macro_render(*, macro: Macro, ticket: Ticket, actor: User | None) -> str:
    """Fill a macro's placeholders for one ticket (for the composer preview and for applying)."""
    return PLACEHOLDER.sub(
        lambda m: PLACEHOLDERS[m.group(1)](ticket, actor) if m.group(1) in PLACEHOLDERS else m.group(0), macro.body
    )


@transaction.atomic
def macro_apply(
    *,
    macro: Macro,
    ticket: Ticket,
    actor: User,
    send: bool = True,
    body_override: str | None = None,
    status: str | None = None,
    hold_seconds: int = 0,
) -> Message | None:
    """Apply a macro: post its reply (unless send=False) and run its actions; counts one use. `status` (the
    composer's "then set status") replaces the macro's own status action."""
    from supportloop.tickets.services.tickets import tags_normalize, ticket_reply, ticket_update

    if not macro.is_active:
        raise ValidationFailed("That macro is inactive.", errors={"macro": "inactive"})
    actions = macro.actions or {}
    status = status or actions.get("status") or None
    updates: dict[str, Any] = {}
    if "priority" in actions:
        updates["priority"] = actions["priority"]
    if "team" in actions:
        updates["team"] = Team.objects.get(slug=actions["team"])
    tags = None
    if "tags" in actions or "add_tags" in actions:
        current = list(ticket.tags.values_list("name", flat=True))
        tags = tags_normalize(actions.get("tags", current) + actions.get("add_tags", []))
    if updates or tags is not None:
        ticket = ticket_update(ticket=ticket, actor=actor, tags=tags, **updates)
    message = None
    if send:
        body = body_override if body_override is not None else macro_render(macro=macro, ticket=ticket, actor=actor)
        message = ticket_reply(ticket=ticket, actor=actor, body=body, status=status, hold_seconds=hold_seconds)
    elif status:
        ticket = ticket_update(ticket=ticket, actor=actor, status=status)
    MacroApplication.objects.create(macro=macro, ticket=ticket, message=message, actor=actor)
    for listener in list(hooks.macro_applied_listeners):
        transaction.on_commit(partial(listener, ticket.pk))
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    event_record(actor=actor, verb="macro.applied", target=ticket, changes={"macro": [None, macro.pk]})
    return message
