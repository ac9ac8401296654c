"""The actions a rule can take on a ticket (set a field, add a note, notify, send a reply, call a webhook, post
to Slack or Teams): each part of automation registers its own here, and triggers, time rules, incidents and
the dry run find them by kind.

An action's `validate` cleans the parameters an admin typed (raising ValidationFailed with field errors), so
a bad rule is refused when it is saved, not when it fires; `run` performs it inside the firing's transaction
and returns one human line for the ticket's timeline ("Priority set to High"); `preview` returns that line
without doing anything, for the "test this rule against ticket #N" dry run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from supportloop.core.errors import ValidationFailed

if TYPE_CHECKING:
    from supportloop.tickets.hooks import TicketEvent
    from supportloop.tickets.models import Ticket


@dataclass(frozen=True)
class ActionContext:
    """Why an action runs: the event that fired the rule, and the rule's label for the audit trail."""

    event: TicketEvent | None
    rule_label: str


@dataclass(frozen=True)
class ActionSpec:
    kind: str
    label: str
    validate: Callable[[dict[str, Any]], dict[str, Any]]
    run: Callable[[Ticket, dict[str, Any], ActionContext], str]
    preview: Callable[[Ticket, dict[str, Any]], str]


actions: dict[str, ActionSpec] = {}


def register_action(spec: ActionSpec) -> None:
    actions[spec.kind] = spec


def action_spec(kind: str) -> ActionSpec:
    try:
        return actions[kind]
    except KeyError:
        raise ValidationFailed(f"Unknown action: {kind}.", errors={"action": "unknown"}) from None
