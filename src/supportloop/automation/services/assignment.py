"""Assignment: which agent of a team takes a ticket (round-robin or least loaded, within capacity and skills),
the team's settings, the agents' profiles, and agents going away.

Locks, in this order, as every ticket write takes them: the changes counter (tickets' change_seq_next), then the
team's TeamAssignment row (the round-robin pointer), then the ticket. A caller that has not yet written a ticket
in its transaction calls change_seq_next() first for that reason; a trigger's action runs after its own ticket
writes, so it already holds the counter.

The load of an agent is their active tickets (new, open, pending, on hold), read from the ticket rollup
(tickets/rollups.py, exact and kept by the ticket services) in one aggregate over a few rows per agent, not a
count over the tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from supportloop.accounts.directory import STAFF_ROLES
from supportloop.accounts.models import Team, User
from supportloop.automation.choices import AssignmentMethod, AwayReassignment
from supportloop.automation.models import AgentProfile, TeamAssignment
from supportloop.core.errors import ValidationFailed
from supportloop.core.services import change_seq_next, event_record, model_update
from supportloop.tickets.choices import ACTIVE_STATUSES
from supportloop.tickets.models import ProductArea, Ticket, TicketRollup
from supportloop.tickets.services import ticket_update

if TYPE_CHECKING:
    from collections.abc import Iterable

MAX_SKILLS = 50
CAPACITY_MAX = 10_000


def language_primary(code: str | None) -> str:
    """ "zh-Hans" and "zh_CN" are both "zh": skills and rules compare the primary language subtag."""
    return (code or "").strip().lower().replace("_", "-").split("-", 1)[0]


@dataclass(frozen=True)
class Choice:
    """The agent assignment picked for a ticket, and why, for the audit event and the dry run."""

    user: User | None
    method: str
    team_id: int
    load: int | None = None
    capacity: int | None = None
    considered: int = 0  # team members looked at
    eligible: int = 0  # of them, present, skilled and below capacity

    def as_changes(self) -> dict[str, Any]:
        return {
            "assignee": [None, self.user.pk if self.user else None],
            "team": [None, self.team_id],
            "method": [None, self.method],
            "load": [None, self.load],
            "capacity": [None, self.capacity],
        }


def _loads(user_ids: list[int]) -> dict[int, int]:
    """Active tickets per agent: one aggregate over the ticket rollup."""
    rows = (
        TicketRollup.objects.filter(assignee_key__in=user_ids, status__in=ACTIVE_STATUSES)
        .values("assignee_key")
        .annotate(n=Sum("count"))
    )
    return {int(r["assignee_key"]): int(r["n"] or 0) for r in rows}


def _has_skills(profile: AgentProfile | None, ticket: Ticket) -> bool:
    language = language_primary(ticket.language)
    if language and (profile is None or language not in {language_primary(x) for x in profile.languages}):
        return False
    area = ticket.product_area_id
    return not (area and (profile is None or area not in profile.product_area_ids))


def assignment_choose(
    *, team: Team, ticket: Ticket, settings: TeamAssignment | None = None, exclude: Iterable[int] = ()
) -> Choice:
    """The agent the team's method picks for `ticket`, without writing anything. None when the team assigns
    manually or nobody is eligible (away, missing the language or product area the team requires, at capacity)."""
    if settings is None:
        settings = TeamAssignment.objects.filter(team=team).first()
    method = settings.method if settings else AssignmentMethod.MANUAL
    if settings is None or method == AssignmentMethod.MANUAL:
        return Choice(user=None, method=AssignmentMethod.MANUAL, team_id=team.pk)
    skipped = set(exclude)
    members = [
        m
        for m in team.members.filter(is_active=True, role__in=STAFF_ROLES)
        .select_related("agent_profile")
        .order_by("pk")
        if m.pk not in skipped
    ]
    loads = _loads([m.pk for m in members]) if members else {}
    eligible: list[tuple[User, int, int | None]] = []
    for member in members:
        profile: AgentProfile | None = getattr(member, "agent_profile", None)
        if profile is not None and profile.is_away:
            continue
        if settings.require_skills and not _has_skills(profile, ticket):
            continue
        capacity = (
            profile.capacity if profile is not None and profile.capacity is not None else settings.default_capacity
        )
        load = loads.get(member.pk, 0)
        if capacity is not None and load >= capacity:
            continue
        eligible.append((member, load, capacity))
    if not eligible:
        return Choice(user=None, method=method, team_id=team.pk, considered=len(members))
    pointer = settings.last_assigned_user_id or 0

    def after_pointer(pk: int) -> tuple[bool, int]:
        # The agents after the last one served come first, then the list wraps around: each agent gets a
        # turn in id order whoever joins, leaves or is skipped in between.
        return (pk <= pointer, pk)

    if method == AssignmentMethod.ROUND_ROBIN:
        user, load, capacity = min(eligible, key=lambda e: after_pointer(e[0].pk))
    else:  # least loaded; ties go round the same circle so equal agents alternate
        user, load, capacity = min(eligible, key=lambda e: (e[1], *after_pointer(e[0].pk)))
    return Choice(
        user=user,
        method=method,
        team_id=team.pk,
        load=load,
        capacity=capacity,
        considered=len(members),
        eligible=len(eligible),
    )


def assignment_pick_in_transaction(*, team: Team, ticket: Ticket, exclude: Iterable[int] = ()) -> Choice:
    """Pick an agent under the team's lock and move its round-robin pointer to them. Call inside the transaction
    that assigns the ticket, after change_seq_next() (see the module docstring for the lock order)."""
    settings = TeamAssignment.objects.select_for_update().filter(team=team).first()
    choice = assignment_choose(team=team, ticket=ticket, settings=settings, exclude=exclude)
    if settings is not None and choice.user is not None:
        settings.last_assigned_user_id = choice.user.pk
        settings.save(update_fields=["last_assigned_user_id"])
    return choice


def assign_by_team_method_in_transaction(
    *, ticket: Ticket, actor: User | None, reason: str = "", exclude: Iterable[int] = ()
) -> Choice | None:
    """Assign `ticket` to the agent its team's method picks (a trigger's action, routing on creation). Returns the
    choice, or None when the ticket has no team. Writes through ticket_update and records ticket.auto_assigned."""
    if ticket.team_id is None:
        return None
    team = Team.objects.get(pk=ticket.team_id)
    choice = assignment_pick_in_transaction(team=team, ticket=ticket, exclude=exclude)
    if choice.user is None or choice.user.pk == ticket.assignee_id:
        return choice
    before = ticket.assignee_id
    ticket_update(ticket=ticket, actor=actor, assignee=choice.user)
    auto_assigned_record(ticket=ticket, choice=choice, before=before, actor=actor, reason=reason)
    return choice


def auto_assigned_record(
    *, ticket: Ticket, choice: Choice, before: int | None, actor: User | None, reason: str
) -> None:
    """The ticket.auto_assigned event: who the method picked, by which method, at what load (the timeline's line)."""
    changes = choice.as_changes()
    changes["assignee"] = [before, choice.user.pk if choice.user else None]
    if reason:
        changes["reason"] = [None, reason]
    event_record(actor=actor, verb="ticket.auto_assigned", target=ticket, changes=changes)


# -- settings -------------------------------------------------------------------------------------------------
def _capacity(value: Any, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= CAPACITY_MAX:
        raise ValidationFailed(
            f"{field} must be a whole number from 0 to {CAPACITY_MAX}, or empty for no limit.",
            errors={field: f"0 to {CAPACITY_MAX}, or empty"},
        )
    return int(value)


@transaction.atomic
def team_assignment_update(*, team: Team, actor: User | None, **values: Any) -> TeamAssignment:
    """Set how `team` assigns: method, require_skills, default_capacity, on_agent_away (any subset)."""
    allowed = {"method", "require_skills", "default_capacity", "on_agent_away"}
    if "method" in values and values["method"] not in AssignmentMethod.values:
        raise ValidationFailed("Unknown assignment method.", errors={"method": "unknown"})
    if "on_agent_away" in values and values["on_agent_away"] not in AwayReassignment.values:
        raise ValidationFailed("Unknown choice for agents going away.", errors={"on_agent_away": "unknown"})
    if "default_capacity" in values:
        values["default_capacity"] = _capacity(values["default_capacity"], "default_capacity")
    if "require_skills" in values:
        values["require_skills"] = bool(values["require_skills"])
    settings, _created = TeamAssignment.objects.select_for_update().get_or_create(team=team)
    changes = model_update(settings, values, allowed_fields=allowed, touch={"updated_at": timezone.now()})
    if changes:
        event_record(actor=actor, verb="team.assignment_updated", target=team, changes=changes)
    return settings


def _languages(values: Iterable[Any]) -> list[str]:
    out: list[str] = []
    for value in values:
        code = language_primary(str(value)) if isinstance(value, str) else ""
        if not (2 <= len(code) <= 3 and code.isascii() and code.isalpha()):
            raise ValidationFailed(
                "Languages are codes such as en, zh or ru.", errors={"languages": f"not a language code: {value!r}"}
            )
        if code not in out:
            out.append(code)
    if len(out) > MAX_SKILLS:
        raise ValidationFailed("Too many languages.", errors={"languages": f"at most {MAX_SKILLS}"})
    return out


def product_area_ids_checked(values: Iterable[Any], field: str) -> list[int]:
    ids = list(dict.fromkeys(values))
    if len(ids) > MAX_SKILLS * 4:
        raise ValidationFailed("Too many product areas.", errors={field: f"at most {MAX_SKILLS * 4}"})
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        raise ValidationFailed("Product areas are given by id.", errors={field: "ids are integers"})
    found = set(ProductArea.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed(
            "Unknown product areas.", errors={field: "no such product area: " + ", ".join(map(str, missing[:10]))}
        )
    return ids


@transaction.atomic
def agent_profile_update(*, user: User, actor: User | None, **values: Any) -> AgentProfile:
    """Set an agent's capacity (None: the team's default), languages and product areas (ids)."""
    allowed = {"capacity", "languages", "product_area_ids"}
    if "capacity" in values:
        values["capacity"] = _capacity(values["capacity"], "capacity")
    if "languages" in values:
        values["languages"] = _languages(values["languages"] or [])
    if "product_area_ids" in values:
        values["product_area_ids"] = product_area_ids_checked(values["product_area_ids"] or [], "product_area_ids")
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
    changes = model_update(profile, values, allowed_fields=allowed, touch={"updated_at": timezone.now()})
    if changes:
        event_record(actor=actor, verb="agent.profile_updated", target=user, changes=changes)
    return profile


# -- away -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AwayResult:
    profile: AgentProfile
    changed: bool
    unassigned: int = 0
    reassigned: int = 0
    left: int = 0


@transaction.atomic
def agent_set_away(*, user: User, away: bool, actor: User | None) -> AwayResult:
    """Mark `user` away (or back). Going away hands their active tickets on as each ticket's team says
    (TeamAssignment.on_agent_away: leave them, return them to the team unassigned, or reassign them by the team's
    method), each with a ticket.away_reassigned event on the ticket; setting the same state again does nothing."""
    change_seq_next()  # the ticket writes below take it anyway: first, before the team and ticket locks
    profile, _created = AgentProfile.objects.select_for_update().get_or_create(user=user)
    if profile.is_away == away:
        return AwayResult(profile=profile, changed=False)
    now = timezone.now()
    changes = model_update(
        profile,
        {"is_away": away, "away_since": now if away else None},
        allowed_fields={"is_away", "away_since"},
        touch={"updated_at": now},
    )
    event_record(actor=actor, verb="agent.away_changed", target=user, changes=changes)
    if not away:
        return AwayResult(profile=profile, changed=True)
    tickets = list(Ticket.objects.filter(assignee=user, status__in=ACTIVE_STATUSES, team__isnull=False).order_by("pk"))
    options = dict(
        TeamAssignment.objects.filter(team_id__in={t.team_id for t in tickets}).values_list("team_id", "on_agent_away")
    )
    counts = {"unassigned": 0, "reassigned": 0, "left": 0}
    for ticket in tickets:
        team_id = ticket.team_id
        option = options.get(team_id, AwayReassignment.LEAVE) if team_id is not None else AwayReassignment.LEAVE
        if team_id is None or option == AwayReassignment.LEAVE:
            counts["left"] += 1
            continue
        new_assignee = None
        if option == AwayReassignment.REASSIGN:
            team = Team.objects.get(pk=team_id)
            new_assignee = assignment_pick_in_transaction(team=team, ticket=ticket, exclude=[user.pk]).user
        ticket_update(ticket=ticket, actor=None, assignee=new_assignee)
        counts["reassigned" if new_assignee else "unassigned"] += 1
        event_record(
            actor=actor,
            verb="ticket.away_reassigned",
            target=ticket,
            changes={
                "assignee": [user.pk, new_assignee.pk if new_assignee else None],
                "option": [None, option],
                "team": [None, ticket.team_id],
            },
        )
    return AwayResult(profile=profile, changed=True, **counts)
