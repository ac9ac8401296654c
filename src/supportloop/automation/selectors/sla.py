"""Reads of SLA configuration and state: calendars and policies in order, one ticket's SLA panel (due times in
business time, breaches, pause history) and attainment per policy, team and agent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from supportloop.accounts.models import Team
from supportloop.automation.business_hours import ALWAYS_OPEN, BusinessHours, business_seconds_between
from supportloop.automation.calendars import business_hours_of
from supportloop.automation.models import BusinessCalendar, SlaPolicy, TicketSla, TicketSlaPause
from supportloop.automation.sla_clock import TARGETS
from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.core.lookup import object_or_404


def business_calendar_list() -> QuerySet[BusinessCalendar]:
    return BusinessCalendar.objects.prefetch_related("teams").order_by("-is_default", "name")


def business_calendar_get(*, calendar_id: int) -> BusinessCalendar:
    return object_or_404(business_calendar_list(), pk=calendar_id)


def sla_policy_list() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.prefetch_related("targets").order_by("position", "id")


def sla_policy_get(*, policy_id: int) -> SlaPolicy:
    return object_or_404(sla_policy_list(), pk=policy_id)


# -- one ticket -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TargetState:
    target: str  # first_response, next_response, resolution
    state: str  # running, paused, met, breached (answered late or not yet), none
    due_at: datetime | None
    fulfilled_at: datetime | None
    breached_at: datetime | None
    warned_at: datetime | None
    remaining_seconds: float | None  # business time left while running


@dataclass(frozen=True)
class SlaPanel:
    policy_name: str | None
    calendar_name: str | None  # None with a policy: 24/7
    business_hours: bool
    paused_since: datetime | None
    paused_seconds: int
    targets: list[TargetState]
    pauses: list[TicketSlaPause]


def _hours_of(sla: TicketSla) -> BusinessHours:
    if sla.policy is not None and sla.policy.business_hours and sla.calendar is not None:
        return business_hours_of(sla.calendar)
    return ALWAYS_OPEN


def _target_state(sla: TicketSla, target: str, hours: BusinessHours, now: datetime) -> TargetState:
    due: datetime | None = getattr(sla, f"{target}_due_at")
    fulfilled: datetime | None = getattr(sla, f"{target}_fulfilled_at")
    breached: datetime | None = getattr(sla, f"{target}_breached_at")
    warned: datetime | None = getattr(sla, f"{target}_warned_at")
    started = sla.next_response_started_at if target == "next_response" else sla.started_at
    remaining = None
    if breached is not None:
        state = "breached"
    elif fulfilled is not None:
        state = "met" if due is not None else "none"
    elif started is None or sla.policy is None:
        state = "none"
    elif due is None:
        state = "paused" if sla.paused_since is not None else "none"
    else:
        state = "running"
        remaining = business_seconds_between(hours, now, due)
    return TargetState(target, state, due, fulfilled, breached, warned, remaining)


def ticket_sla_panel(*, ticket_id: int, now: datetime | None = None) -> SlaPanel | None:
    """The SLA state of one ticket for its page and the API: three queries (state with policy and calendar,
    pauses), none when the ticket has no SLA state yet."""
    sla = TicketSla.objects.select_related("policy", "calendar").filter(ticket_id=ticket_id).first()
    if sla is None:
        return None
    now = now or timezone.now()
    hours = _hours_of(sla)
    return SlaPanel(
        policy_name=sla.policy.name if sla.policy else None,
        calendar_name=sla.calendar.name if sla.calendar else None,
        business_hours=bool(sla.policy and sla.policy.business_hours and sla.calendar),
        paused_since=sla.paused_since,
        paused_seconds=sla.paused_seconds,
        targets=[_target_state(sla, t, hours, now) for t in TARGETS],
        pauses=list(sla.pauses.order_by("-started_at", "-id")[:50]),
    )


# -- attainment -----------------------------------------------------------------------------------------------------
GROUPS = {
    "policy": ("policy_id", "policy__name"),
    "team": ("ticket__team_id", "ticket__team__name"),
    "agent": ("ticket__assignee_id", "ticket__assignee__username"),
}


def _percent(met: int, breached: int) -> float | None:
    return round(100 * met / (met + breached), 1) if met + breached else None


def sla_attainment(
    *, group_by: str, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Per policy, team or agent (the ticket's assignee): tickets under a policy, and for each target how many
    were met (fulfilled in time) and breached, with the attainment percentage; next responses count each
    answered cycle. `since`/`until` bound the tickets' creation time. One aggregate query."""
    if group_by not in GROUPS:
        raise ValidationFailed("Group by policy, team or agent.", errors={"group_by": "policy, team or agent"})
    if since and until and since > until:
        raise ValidationFailed("The period ends before it starts.", errors={"until": "before since"})
    key, label = GROUPS[group_by]
    qs = TicketSla.objects.filter(policy__isnull=False)
    if since:
        qs = qs.filter(started_at__gte=since)
    if until:
        qs = qs.filter(started_at__lt=until)
    rows = (
        qs.values(key, label)
        .annotate(
            tickets=Count("pk"),
            first_response_met=Count(
                "pk",
                filter=Q(
                    first_response_fulfilled_at__isnull=False,
                    first_response_due_at__isnull=False,
                    first_response_breached_at__isnull=True,
                ),
            ),
            first_response_breached=Count("pk", filter=Q(first_response_breached_at__isnull=False)),
            resolution_met=Count(
                "pk",
                filter=Q(
                    resolution_fulfilled_at__isnull=False,
                    resolution_due_at__isnull=False,
                    resolution_breached_at__isnull=True,
                ),
            ),
            resolution_breached=Count("pk", filter=Q(resolution_breached_at__isnull=False)),
            next_response_met=Sum("next_response_met_count"),
            next_response_breached=Sum("next_response_breached_count"),
        )
        .order_by(label)
    )
    result = []
    for row in rows:
        entry: dict[str, Any] = {
            "key": row[key],
            "label": row[label] or "—",
            "tickets": row["tickets"],
        }
        met_total = breached_total = 0
        for t in TARGETS:
            met, breached = int(row[f"{t}_met"] or 0), int(row[f"{t}_breached"] or 0)
            entry[t] = {"met": met, "breached": breached, "attainment": _percent(met, breached)}
            met_total += met
            breached_total += breached
        entry["attainment"] = _percent(met_total, breached_total)
        result.append(entry)
    return result


def ticket_sla_get(*, ticket_id: int) -> TicketSla:
    sla = TicketSla.objects.select_related("policy", "calendar").filter(ticket_id=ticket_id).first()
    if sla is None:
        raise NotFound("This ticket has no SLA state.")
    return sla


def teams_by_slugs(*, slugs: list[str]) -> list[Team]:
    """The teams named by slug in a request; an unknown slug is a 422 on `teams`."""
    found = {t.slug: t for t in Team.objects.filter(slug__in=slugs)}
    missing = sorted(set(slugs) - set(found))
    if missing:
        raise ValidationFailed(f"Unknown team(s): {', '.join(missing)}.", errors={"teams": "unknown team slug"})
    return [found[s] for s in dict.fromkeys(slugs)]
