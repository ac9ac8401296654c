"""Reads of routing rules, team assignment settings and agent profiles for the settings pages and the API."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from supportloop.accounts.directory import STAFF_ROLES
from supportloop.accounts.models import Team, User
from supportloop.automation.choices import AssignmentMethod, AwayReassignment
from supportloop.automation.models import AgentProfile, RoutingRule, TeamAssignment
from supportloop.core.lookup import object_or_404


def routing_rule_list() -> QuerySet[RoutingRule]:
    return RoutingRule.objects.select_related("team").order_by("position", "id")


def routing_rule_get(*, rule_id: int) -> RoutingRule:
    return object_or_404(routing_rule_list(), pk=rule_id)


@dataclass(frozen=True)
class TeamAssignmentRow:
    """A team and how it assigns (the defaults when it never saved settings)."""

    team: Team
    method: str
    require_skills: bool
    default_capacity: int | None
    on_agent_away: str


def team_assignment_rows() -> list[TeamAssignmentRow]:
    """Every team with its assignment settings: two queries."""
    settings = {s.team_id: s for s in TeamAssignment.objects.all()}
    rows = []
    for team in Team.objects.order_by("name"):
        s = settings.get(team.pk)
        rows.append(
            TeamAssignmentRow(
                team=team,
                method=s.method if s else AssignmentMethod.MANUAL,
                require_skills=s.require_skills if s else False,
                default_capacity=s.default_capacity if s else None,
                on_agent_away=s.on_agent_away if s else AwayReassignment.LEAVE,
            )
        )
    return rows


def team_assignment_row(*, team_id: int) -> TeamAssignmentRow:
    team = object_or_404(Team.objects.all(), pk=team_id)
    return next(r for r in team_assignment_rows() if r.team.pk == team.pk)


@dataclass(frozen=True)
class AgentRow:
    """An agent who can be assigned tickets, and what assignment knows of them."""

    user: User
    is_away: bool
    away_since: object
    capacity: int | None
    languages: list[str]
    product_area_ids: list[int]


def _row(user: User) -> AgentRow:
    profile: AgentProfile | None = getattr(user, "agent_profile", None)
    return AgentRow(
        user=user,
        is_away=bool(profile and profile.is_away),
        away_since=profile.away_since if profile else None,
        capacity=profile.capacity if profile else None,
        languages=list(profile.languages) if profile else [],
        product_area_ids=list(profile.product_area_ids) if profile else [],
    )


def assignable_users() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, role__in=STAFF_ROLES).select_related("agent_profile").order_by("username")
    )


def agent_rows() -> list[AgentRow]:
    """Active admins, leads and agents with their profiles: one query."""
    return [_row(u) for u in assignable_users()]


def agent_row(*, user_id: int) -> AgentRow:
    return _row(object_or_404(assignable_users(), pk=user_id, label="agent"))


def agent_is_away(*, user: User) -> bool:
    return AgentProfile.objects.filter(user=user, is_away=True).exists()
