"""Routing and assignment's wiring: its ticket-event listener and its trigger action, registered by connect()."""

from __future__ import annotations

from typing import Any

from supportloop.automation.actions import ActionContext, ActionSpec, register_action
from supportloop.core.errors import ValidationFailed
from supportloop.tickets.hooks import register_ticket_event_listener
from supportloop.tickets.models import Ticket

ASSIGN_BY_TEAM_METHOD = "assign_by_team_method"


def _validate(params: dict[str, Any]) -> dict[str, Any]:
    if params:
        raise ValidationFailed(
            "This action takes no parameters: it uses the ticket's team.",
            errors=dict.fromkeys(sorted(params), "unknown parameter"),
        )
    return {}


def _run(ticket: Ticket, params: dict[str, Any], context: ActionContext) -> str:
    from supportloop.automation.services.assignment import assign_by_team_method_in_transaction
    from supportloop.automation.texts import assignment_line

    choice = assign_by_team_method_in_transaction(ticket=ticket, actor=None, reason=context.rule_label)
    return assignment_line(choice)


def _preview(ticket: Ticket, params: dict[str, Any]) -> str:
    from supportloop.accounts.models import Team
    from supportloop.automation.services.assignment import assignment_choose
    from supportloop.automation.texts import assignment_line

    team = Team.objects.filter(pk=ticket.team_id).first() if ticket.team_id else None
    return assignment_line(assignment_choose(team=team, ticket=ticket) if team is not None else None)


def connect() -> None:
    from supportloop.automation.services.routing import routing_on_ticket_event

    register_ticket_event_listener(routing_on_ticket_event)
    register_action(
        ActionSpec(
            kind=ASSIGN_BY_TEAM_METHOD,
            label="Assign by the team's method",
            validate=_validate,
            run=_run,
            preview=_preview,
        )
    )
