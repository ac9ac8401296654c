"""Reads of the team app shared by pages, the API, the feeds and the permission hook."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncHour
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.accounts.models import User
from supportloop.core.errors import NotFound
from supportloop.core.lookup import reference_or_422
from supportloop.core.models import Event
from supportloop.team import forecast as fc
from supportloop.team.models import (
    CalendarFeed,
    PlannedEvent,
    RotationMember,
    Shift,
    ShiftPattern,
    ShiftSwap,
    SwapRequest,
    TimeOff,
)
from supportloop.team.services import workspace_tz
from supportloop.tickets.choices import AuthorType, MessageKind
from supportloop.tickets.models import Message, Ticket


def rotation_members() -> QuerySet[RotationMember]:
    return RotationMember.objects.select_related("user").order_by("user__username")


def shift_list(*, start: date, end: date, user: User | None = None) -> QuerySet[Shift]:
    qs = Shift.objects.filter(date__gte=start, date__lte=end).select_related("user", "swapped_from", "pattern")
    return qs.filter(user=user) if user is not None else qs


def active_person_ref(*, user_id: int, field: str) -> User:
    """An active user named in a request body (a swap's taker): unknown or deactivated is a 422 on `field`."""
    return reference_or_422(User.objects.filter(is_active=True), field, user_id)


def shift_ref(*, pk: int, field: str) -> Shift:
    """A shift named in a request body: unknown is a 422 on `field`."""
    return reference_or_422(Shift.objects.select_related("user"), field, pk)


def pattern_ref(*, pk: int, field: str) -> ShiftPattern:
    return reference_or_422(ShiftPattern.objects.all(), field, pk)


def shift_get(*, pk: int) -> Shift:
    shift = Shift.objects.select_related("user").filter(pk=pk).first()
    if shift is None:
        raise NotFound("No such shift.")
    return shift


def shift_patterns(*, active_only: bool = False) -> QuerySet[ShiftPattern]:
    qs = ShiftPattern.objects.all()
    return qs.filter(active=True) if active_only else qs


def shift_pattern_get(*, pk: int) -> ShiftPattern:
    pattern = ShiftPattern.objects.filter(pk=pk).first()
    if pattern is None:
        raise NotFound("No such shift pattern.")
    return pattern


def rotation_member_get(*, user_id: int) -> RotationMember:
    member = RotationMember.objects.select_related("user").filter(user_id=user_id).first()
    if member is None:
        raise NotFound("This person is not in the rotation.")
    return member


def swap_requests(*, user: User | None = None, open_only: bool = False) -> QuerySet[SwapRequest]:
    """Swap requests, newest first; with `user`, those they proposed or were asked."""
    qs = SwapRequest.objects.select_related("shift__pattern", "other_shift__pattern", "from_user", "to_user").order_by(
        "-created_at", "-id"
    )
    if user is not None:
        qs = qs.filter(Q(from_user=user) | Q(to_user=user))
    return qs.filter(status=SwapRequest.Status.PROPOSED) if open_only else qs


def swap_request_get(*, pk: int) -> SwapRequest:
    request = SwapRequest.objects.select_related("from_user", "to_user").filter(pk=pk).first()
    if request is None:
        raise NotFound("No such swap request.")
    return request


def calendar_feed_of(*, user: User | None) -> CalendarFeed | None:
    """The feed of `user` (None: the team's) if one was made; reading never makes one."""
    scope = "team" if user is None else f"user:{user.pk}"
    return CalendarFeed.objects.filter(scope=scope).first()


def time_off_list(*, user: User | None = None) -> QuerySet[TimeOff]:
    qs = TimeOff.objects.select_related("user")
    return qs.filter(user=user) if user is not None else qs


def swap_list(*, limit: int = 20) -> list[ShiftSwap]:
    return list(ShiftSwap.objects.select_related("shift", "from_user", "to_user")[:limit])


def shift_counts(*, start: date, end: date) -> list[dict[str, Any]]:
    """Per person: shifts and weekend shifts in the period (the fairness table)."""
    rows: dict[int, dict[str, Any]] = {}
    for s in shift_list(start=start, end=end):
        row = rows.setdefault(s.user_id, {"user": s.user, "shifts": 0, "weekends": 0})
        row["shifts"] += 1
        row["weekends"] += 1 if s.date.weekday() >= 5 else 0
    return sorted(rows.values(), key=lambda r: str(r["user"]))


def on_duty(*, user: User, at: datetime | None = None) -> bool:
    at = at or timezone.now()
    return Shift.objects.filter(user=user, starts_at__lte=at, ends_at__gt=at).exists()


def duty_now(*, at: datetime | None = None) -> list[Shift]:
    """The shifts running now (several when shifts overlap)."""
    at = at or timezone.now()
    return list(Shift.objects.select_related("user", "pattern").filter(starts_at__lte=at, ends_at__gt=at))


def duty_role(user: Any) -> str | None:
    """accounts.permissions' temporary-role provider: agent rights while the person is on a shift.

    Asked only when the user's own role falls short; the answer is kept on the user object for the rest of the
    minute, so a page that checks many actions asks the database once."""
    minute = timezone.now().replace(second=0, microsecond=0)
    cached = getattr(user, "_duty_role_cache", None)
    if cached is not None and cached[0] == minute:
        return cached[1]  # type: ignore[no-any-return]
    role = Role.AGENT if getattr(user, "pk", None) is not None and on_duty(user=user) else None
    user._duty_role_cache = (minute, role)
    return role


def calendar_feed_by_token(*, token: str) -> CalendarFeed:
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first() if token else None
    if feed is None:
        raise NotFound("No such calendar feed.")
    return feed


# --- the staffing forecast ---------------------------------------------------------------------------------------

DEFAULT_HISTORY_WEEKS = 12
DEFAULT_CAPACITY_WEEKS = 4


def forecast_start(now: datetime | None = None) -> datetime:
    """Today's local midnight: history ends here and the forecast starts here."""
    local = (now or timezone.now()).astimezone(workspace_tz())
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def hourly_volume(*, start: datetime, hours: int) -> list[float]:
    """Tickets created in each hour from `start` (one SQL aggregate, bucketed by UTC hour)."""
    end = start + timedelta(hours=hours)
    series = [0.0] * hours
    rows = (
        Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(h=TruncHour("created_at"))
        .values("h")
        .annotate(n=Count("id"))
    )
    for row in rows:
        index = int((row["h"] - start).total_seconds() // 3600)
        if 0 <= index < hours:
            series[index] += row["n"]
    return series


@dataclass(frozen=True)
class Capacity:
    """Handling capacity measured over the last `weeks`.

    A **case** is a unit of handling work: a ticket solved, or a public reply written by staff (so a ticket
    solved after two replies is three cases). A **logged agent-hour** is a distinct (person, clock hour) in
    which the person either (a) did recorded ticket work (a `ticket.*` audit event by them, or a public reply
    they wrote) or (b) was on a duty shift (every clock hour a shift of theirs covered, up to the period's end).
    The union is counted once: an hour on duty with replies in it is one hour. Time with nothing recorded and no
    shift does not count.

        cases per agent-hour = (solved + replies) / logged agent-hours
        cases per ticket     = (solved + replies) / tickets created in the same weeks
        agent-hours needed   = expected tickets x cases per ticket / cases per agent-hour
        handling time (AHT) = 3600 s x cases per ticket / cases per agent-hour   (per incoming ticket)
    """

    weeks: int
    solved: int
    replies: int
    agent_hours: int
    active_hours: int = 0  # hours with recorded ticket work
    duty_hours: int = 0  # hours on duty shifts
    created: int = 0  # tickets created in the period

    @property
    def cases(self) -> int:
        return self.solved + self.replies

    @property
    def cases_per_agent_hour(self) -> float | None:
        return self.cases / self.agent_hours if self.agent_hours and self.cases else None

    @property
    def replies_per_agent_hour(self) -> float | None:
        return self.replies / self.agent_hours if self.agent_hours else None

    @property
    def cases_per_ticket(self) -> float | None:
        return self.cases / self.created if self.created and self.cases else None

    @property
    def agent_hours_per_ticket(self) -> float | None:
        cph, cpt = self.cases_per_agent_hour, self.cases_per_ticket
        return cpt / cph if cph and cpt else None


def _hours_covered(starts_at: datetime, ends_at: datetime) -> list[datetime]:
    """The clock hours (UTC, truncated) a time span touches."""
    hour = starts_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour < ends_at:
        hours.append(hour)
        hour += timedelta(hours=1)
    return hours


def capacity_measured(*, end: datetime, weeks: int = DEFAULT_CAPACITY_WEEKS) -> Capacity:
    start = end - timedelta(weeks=weeks)
    ticket_events = Event.objects.filter(
        created_at__gte=start, created_at__lt=end, actor__isnull=False, verb__startswith="ticket."
    )
    replies = Message.objects.filter(
        created_at__gte=start,
        created_at__lt=end,
        kind=MessageKind.REPLY,
        author_type=AuthorType.AGENT,
        author_user__isnull=False,
    )
    active: set[tuple[int, datetime]] = {
        (actor, hour.astimezone(UTC))
        for actor, hour in ticket_events.annotate(h=TruncHour("created_at")).values_list("actor_id", "h").distinct()
    }
    active |= {
        (author, hour.astimezone(UTC))
        for author, hour in replies.annotate(h=TruncHour("created_at")).values_list("author_user_id", "h").distinct()
    }
    duty: set[tuple[int, datetime]] = set()
    for user_id, starts_at, ends_at in Shift.objects.filter(starts_at__lt=end, ends_at__gt=start).values_list(
        "user_id", "starts_at", "ends_at"
    ):
        duty |= {(user_id, h) for h in _hours_covered(max(starts_at, start), min(ends_at, end))}
    return Capacity(
        weeks=weeks,
        solved=Ticket.objects.filter(solved_at__gte=start, solved_at__lt=end).count(),
        replies=replies.count(),
        agent_hours=len(active | duty),
        active_hours=len(active),
        duty_hours=len(duty),
        created=Ticket.objects.filter(created_at__gte=start, created_at__lt=end).count(),
    )


@dataclass
class ForecastRow:
    starts_at: datetime  # local
    volume: float
    multiplier: float
    agent_hours: float | None
    agents: int | None


@dataclass
class Forecast:
    starts_at: datetime
    history_weeks: int
    enough_history: bool
    capacity: Capacity
    target_level: float
    target_seconds: int
    rows: list[ForecastRow] = field(default_factory=list)
    backtest: fc.Backtest | None = None
    weekly_pattern: list[float] = field(default_factory=list)  # mean volume per hour of week (history)

    @property
    def total_volume(self) -> float:
        return sum(r.volume for r in self.rows)

    @property
    def total_agent_hours(self) -> float | None:
        if any(r.agent_hours is None for r in self.rows):
            return None
        return sum(r.agent_hours or 0 for r in self.rows)

    def daily(self) -> list[dict[str, Any]]:
        days: dict[date, dict[str, Any]] = {}
        for r in self.rows:
            d = days.setdefault(r.starts_at.date(), {"date": r.starts_at.date(), "volume": 0.0, "peak_agents": 0})
            d["volume"] += r.volume
            d["peak_agents"] = max(d["peak_agents"], r.agents or 0)
        return list(days.values())


def staffing_forecast(
    *,
    now: datetime | None = None,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    capacity_weeks: int = DEFAULT_CAPACITY_WEEKS,
    target_level: float = 0.8,
    target_seconds: int = 3600,
    with_backtest: bool = True,
) -> Forecast:
    """Next week's hourly volume (Holt-Winters on `history_weeks` of hourly ticket counts, planned events as
    multipliers), the agent-hours it needs at the measured handling rate, the Erlang C agents for the service
    target (`target_level` of new tickets answered within `target_seconds`), and the backtest error."""
    start = forecast_start(now)
    hours = history_weeks * fc.WEEK_HOURS
    history = hourly_volume(start=start - timedelta(hours=hours), hours=hours)
    capacity = capacity_measured(end=start, weeks=capacity_weeks)
    result = Forecast(
        starts_at=start,
        history_weeks=history_weeks,
        enough_history=False,
        capacity=capacity,
        target_level=target_level,
        target_seconds=target_seconds,
    )
    first = next((i for i, v in enumerate(history) if v), None)
    # From the week the tickets began: empty weeks before a workspace existed are not a quiet season.
    history_used = history[(first // fc.WEEK_HOURS) * fc.WEEK_HOURS :] if first is not None else []
    if len(history_used) < fc.MIN_TRAIN_WEEKS * fc.WEEK_HOURS:
        return result
    result.enough_history = True
    weeks = len(history_used) // fc.WEEK_HOURS
    result.weekly_pattern = [
        sum(history_used[w * fc.WEEK_HOURS + h] for w in range(weeks)) / weeks for h in range(fc.WEEK_HOURS)
    ]
    predicted = fc.holt_winters(history_used, fc.WEEK_HOURS)
    events = list(PlannedEvent.objects.filter(end__gte=start.date(), start__lte=(start + timedelta(days=7)).date()))
    hours_per_ticket = capacity.agent_hours_per_ticket
    aht_seconds = 3600 * hours_per_ticket if hours_per_ticket else None
    for i, base in enumerate(predicted):
        at = start + timedelta(hours=i)
        multiplier = 1.0
        for e in events:
            if e.start <= at.date() <= e.end:
                multiplier *= float(e.multiplier)
        volume = base * multiplier
        result.rows.append(
            ForecastRow(
                starts_at=at,
                volume=round(volume, 2),
                multiplier=multiplier,
                agent_hours=round(volume * hours_per_ticket, 2) if hours_per_ticket else None,
                agents=fc.agents_needed(
                    arrivals=volume,
                    interval_seconds=3600,
                    aht_seconds=aht_seconds,
                    target_level=target_level,
                    target_seconds=target_seconds,
                )
                if aht_seconds
                else None,
            )
        )
    if with_backtest:
        result.backtest = fc.backtest(history_used)
    return result


FORECAST_CACHE_SECONDS = 15 * 60


def staffing_forecast_cached(**params: Any) -> Forecast:
    """`staffing_forecast` kept in the cache for 15 minutes (a fit takes about a second). The key holds the
    forecast's start day, the parameters and the planned events, so editing an event shows at once; new
    tickets show within 15 minutes."""
    import hashlib

    from django.core.cache import cache

    events = list(PlannedEvent.objects.order_by("pk").values_list("pk", "start", "end", "multiplier"))
    facts = repr((forecast_start().isoformat(), sorted(params.items()), events))
    key = "team:forecast:" + hashlib.sha256(facts.encode()).hexdigest()
    cached = cache.get(key)
    if isinstance(cached, Forecast):
        return cached
    result = staffing_forecast(**params)
    cache.set(key, result, FORECAST_CACHE_SECONDS)
    return result


def planned_events_upcoming() -> QuerySet[PlannedEvent]:
    """Planned events that have not ended yet, soonest first (the forecast page lists them)."""
    return PlannedEvent.objects.filter(end__gte=timezone.localdate()).order_by("start", "pk")
