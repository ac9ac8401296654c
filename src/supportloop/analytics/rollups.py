"""Keeping the analytics rollups current: one TicketFact per ticket and the HourlyVolume buckets.

`ticket_fact_refresh(ticket_id)` recomputes one ticket's fact from the ticket (and its audit trail for reopens)
and moves its counts between hourly buckets (and duration counts, and its requester's last-ticket rows) when its
dimensions or times changed. It is idempotent: running it
twice, or after a missed event, leaves the same rows. The analytics app calls it from a ticket-event listener
(tickets/hooks.py, after the ticket's transaction commits), in a transaction of its own with the fact row locked.

`analytics_rebuild()` rebuilds both tables set-based (INSERT ... SELECT compiled from ORM querysets, on SQLite and
PostgreSQL), then fills business-hours times and reopens in Python only for the tickets that need them (a team
with a business calendar, a status change out of solved in the audit trail). The demo seeding and the bulk bench
data call it; so can an operator (`supportloop analytics_rebuild`).

Business-hours times use the automation app's calendars (the team's calendar, else the default one); without any
calendar they stay empty and reports fall back to calendar time.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, F, Func, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce, TruncDate, TruncHour
from django.utils import timezone

from supportloop.analytics.counters import counters_add, insert_select
from supportloop.analytics.durations import bucket_of
from supportloop.analytics.macro_rollups import macro_rollup_rebuild
from supportloop.analytics.models import (
    DailyDuration,
    DailyTagging,
    HourlyDimensionVolume,
    HourlyVolume,
    MacroApplicationFact,
    MacroDailyVolume,
    RequesterLastTicket,
    SurveyDailyVolume,
    TicketFact,
)
from supportloop.analytics.requester_rollups import requester_last_move, requester_last_rebuild
from supportloop.analytics.survey_rollups import survey_rollup_rebuild
from supportloop.automation.business_hours import business_seconds_between
from supportloop.automation.calendars import business_hours_of
from supportloop.automation.services.sla import business_calendars
from supportloop.core.compiled import compiled_one_or_none
from supportloop.core.models import Event
from supportloop.tickets.choices import Status
from supportloop.tickets.models import Ticket

DONE = {Status.SOLVED, Status.CLOSED}
TICKET_TYPE = "tickets.ticket"


def _seconds(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() + 0.5))


class _Calendars:
    """Business hours per team: the team's calendar, else the default one (the automation app's cached set)."""

    def __init__(self) -> None:
        calendars = business_calendars()
        self.by_team = calendars.by_team
        self.default = calendars.default

    def any(self) -> bool:
        return bool(self.by_team) or self.default is not None

    def business_seconds(self, team_id: int | None, start: datetime | None, end: datetime | None) -> int | None:
        if start is None or end is None:
            return None
        calendar = self.by_team.get(team_id) if team_id else None
        calendar = calendar or self.default
        if calendar is None:
            return None
        hours = business_hours_of(calendar)
        return max(0, int(business_seconds_between(hours, start, end) + 0.5))


def reopens_of(changes_list: list[dict[str, Any]]) -> int:
    """How many times a ticket left solved/closed for an open status, from its audit events' changes."""
    count = 0
    for changes in changes_list:
        status = (changes or {}).get("status")
        if isinstance(status, list) and len(status) == 2 and status[0] in DONE and status[1] not in DONE:
            count += 1
    return count


VOLUME_KEYS = ("hour", "channel", "product_area_key", "contact_reason_key", "team_key")
DIMENSION_KEYS = ("hour", "dimension", "key")
DURATION_KEYS = ("day", "measure", "team_key", "ordering", "bucket")
TAGGING_KEYS = ("day", "assignee_key", "product_area_key", "contact_reason_key")
VOLUME_COUNTS = ("created", "solved", "reopened")


class _Moves:
    """The counts one refresh moves, written at the end in one upsert per table (analytics.counters)."""

    def __init__(self) -> None:
        self.volume: list[tuple[Any, ...]] = []
        self.dimensions: list[tuple[Any, ...]] = []
        self.durations: list[tuple[Any, ...]] = []
        self.tagging: list[tuple[Any, ...]] = []

    def bucket(
        self, *, hour: datetime, key: tuple[str, int, int, int], created: int = 0, solved: int = 0, reopened: int = 0
    ) -> None:
        """Add to one hourly bucket and to its per-dimension sums."""
        channel, area, reason, _team = key
        counts = (created, solved, reopened)
        self.volume.append((hour, *key, *counts))
        for dimension, value in (
            ("all", ""),
            ("channel", channel),
            ("product_area", str(area)),
            ("contact_reason", str(reason)),
        ):
            self.dimensions.append((hour, dimension, value, *counts))

    def durations_move(self, old: Counter[DurationKey], new: Counter[DurationKey]) -> None:
        for sign, keys in ((-1, old - new), (1, new - old)):
            self.durations.extend((*key, sign * count) for key, count in keys.items())

    def tagging_move(self, old: TicketFact | None, new: TicketFact | None) -> None:
        """The Tag quality count: the ticket leaves its old (day, assignee, area, reason) and joins its new one."""
        before, after = _tagging_key(old), _tagging_key(new)
        if before != after:
            self.tagging.extend((*key, n) for key, n in ((before, -1), (after, 1)) if key is not None)

    def write(self) -> None:
        counters_add(HourlyVolume, VOLUME_KEYS, VOLUME_COUNTS, self.volume)
        counters_add(HourlyDimensionVolume, DIMENSION_KEYS, VOLUME_COUNTS, self.dimensions)
        counters_add(DailyDuration, DURATION_KEYS, ("count",), self.durations)
        counters_add(DailyTagging, TAGGING_KEYS, ("created",), self.tagging)


def _tagging_key(fact: TicketFact | None) -> tuple[date, int, int, int] | None:
    if fact is None:
        return None
    day = fact.created_at.astimezone(timezone.get_default_timezone()).date()
    return (day, fact.assignee_id_key, fact.product_area_id_key, fact.contact_reason_id_key)


def _solved_bucket(fact: TicketFact) -> tuple[datetime, tuple[str, int, int, int], int] | None:
    """Where a solved ticket counts: its solve hour, its dimensions, 1 when it had been reopened (else 0)."""
    if not fact.solved_at:
        return None
    return _hour(fact.solved_at), _key(fact), int(fact.reopens > 0)


DurationKey = tuple[date, str, int, str, int]  # day, measure, team, ordering, bucket


def duration_keys(
    *,
    team: int,
    created_at: datetime,
    solved_at: datetime | None,
    first_response: int | None,
    first_response_business: int | None,
    resolution: int | None,
    resolution_business: int | None,
    tz: tzinfo,
) -> Counter[DurationKey]:
    """What one ticket's fact adds to DailyDuration: per measure it has, its calendar and working time buckets on
    the local day of its creation (first response) or solve (resolution), and whether it had business time."""
    keys: Counter[DurationKey] = Counter()
    for measure, moment, calendar, business in (
        ("first_response", created_at, first_response, first_response_business),
        ("resolution", solved_at, resolution, resolution_business),
    ):
        if moment is None or calendar is None:
            continue
        day = moment.astimezone(tz).date()
        keys[(day, measure, team, "calendar", bucket_of(calendar))] += 1
        keys[(day, measure, team, "working", bucket_of(business if business is not None else calendar))] += 1
        if business is not None:
            keys[(day, measure, team, "business", 0)] += 1
    return keys


def _fact_duration_keys(fact: TicketFact) -> Counter[DurationKey]:
    return duration_keys(
        team=fact.team_id_key,
        created_at=fact.created_at,
        solved_at=fact.solved_at,
        first_response=fact.first_response_seconds,
        first_response_business=fact.first_response_business_seconds,
        resolution=fact.resolution_seconds,
        resolution_business=fact.resolution_business_seconds,
        tz=timezone.get_default_timezone(),
    )


def _hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _key(fact: TicketFact) -> tuple[str, int, int, int]:
    return (fact.channel, fact.product_area_id_key, fact.contact_reason_id_key, fact.team_id_key)


def _fact_of(ticket: Ticket, calendars: _Calendars, reopens: int) -> TicketFact:
    return TicketFact(
        ticket_id=ticket.pk,
        created_at=ticket.created_at,
        channel=ticket.channel,
        product_area_id_key=ticket.product_area_id or 0,
        contact_reason_id_key=ticket.contact_reason_id or 0,
        team_id_key=ticket.team_id or 0,
        requester_id_key=ticket.requester_id or 0,
        assignee_id_key=ticket.assignee_id or 0,
        first_response_at=ticket.first_response_at,
        solved_at=ticket.solved_at,
        first_response_seconds=_seconds(ticket.created_at, ticket.first_response_at),
        first_response_business_seconds=calendars.business_seconds(
            ticket.team_id, ticket.created_at, ticket.first_response_at
        ),
        resolution_seconds=_seconds(ticket.created_at, ticket.solved_at),
        resolution_business_seconds=calendars.business_seconds(ticket.team_id, ticket.created_at, ticket.solved_at),
        reopens=reopens,
    )


@transaction.atomic
def ticket_fact_refresh(*, ticket_id: int, reopened: bool = True) -> TicketFact | None:
    """Recompute one ticket's fact and move its hourly counts; None when the ticket is gone (its fact goes too,
    by cascade, and its counts are taken out). `reopened=False`: the change being followed did not take the
    ticket out of solved or closed, so the stored fact's reopen count stands without reading the status history
    (a reopen whose own refresh comes later recounts from the history: the listeners' order does not matter)."""
    old = compiled_one_or_none(
        ("analytics: fact",),
        lambda ids: TicketFact.objects.select_for_update().filter(ticket_id=ids["ticket"]),
        {"ticket": ticket_id},
    )
    ticket = compiled_one_or_none(
        ("analytics: ticket",), lambda ids: Ticket.objects.filter(pk=ids["ticket"]), {"ticket": ticket_id}
    )
    if ticket is None:
        if old is not None:
            moves = _Moves()
            moves.durations_move(_fact_duration_keys(old), Counter())
            moves.tagging_move(old, None)
            moves.bucket(hour=_hour(old.created_at), key=_key(old), created=-1)
            if gone := _solved_bucket(old):
                moves.bucket(hour=gone[0], key=gone[1], solved=-1, reopened=-gone[2])
            moves.write()
            requester_last_move(old, None)
            old.delete()
        return None
    if old is None and ticket.updated_at == ticket.created_at:
        reopens = 0  # never changed since it was created: no status history to read
    elif old is not None and not reopened:
        reopens = old.reopens
    else:
        events = Event.objects.filter(target_type=TICKET_TYPE, target_id=str(ticket_id), changes__has_key="status")
        reopens = reopens_of(list(events.values_list("changes", flat=True)))
    new = _fact_of(ticket, _Calendars(), reopens)
    moves = _Moves()
    moves.durations_move(_fact_duration_keys(old) if old is not None else Counter(), _fact_duration_keys(new))
    moves.tagging_move(old, new)
    if old is None:
        moves.bucket(hour=_hour(new.created_at), key=_key(new), created=1)
    elif (_hour(old.created_at), _key(old)) != (_hour(new.created_at), _key(new)):
        moves.bucket(hour=_hour(old.created_at), key=_key(old), created=-1)
        moves.bucket(hour=_hour(new.created_at), key=_key(new), created=1)
    old_solved = _solved_bucket(old) if old is not None else None
    new_solved = _solved_bucket(new)
    if old_solved != new_solved:
        if old_solved:
            moves.bucket(hour=old_solved[0], key=old_solved[1], solved=-1, reopened=-old_solved[2])
        if new_solved:
            moves.bucket(hour=new_solved[0], key=new_solved[1], solved=1, reopened=new_solved[2])
    moves.write()
    requester_last_move(old, new)  # one upsert for a new ticket; nothing unless its requester's chains changed
    new.save(force_insert=old is None)
    return new


class Seconds(Func):
    """Whole seconds from the first expression to the second, rounded, on SQLite and PostgreSQL."""

    output_field = IntegerField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):  # type: ignore[override]
        (start_sql, start_params), (end_sql, end_params) = (compiler.compile(e) for e in self.source_expressions)
        if connection.vendor == "postgresql":
            sql = f"CAST(ROUND(EXTRACT(EPOCH FROM ({end_sql} - {start_sql}))) AS bigint)"
        else:
            sql = f"CAST(ROUND((julianday({end_sql}) - julianday({start_sql})) * 86400) AS integer)"
        return sql, [*end_params, *start_params]


@transaction.atomic
def analytics_rebuild() -> dict[str, int]:
    """Rebuild TicketFact and HourlyVolume from the tickets (set-based), then business times and reopens, the
    duration counts, the requesters' last tickets (analytics.requester_rollups), the macro-use counts
    (analytics.macro_rollups) and the survey-answer counts (analytics.survey_rollups)."""
    DailyDuration.objects.all().delete()
    DailyTagging.objects.all().delete()
    HourlyDimensionVolume.objects.all().delete()
    HourlyVolume.objects.all().delete()
    TicketFact.objects.all().delete()
    zero = Value(0)
    facts = Ticket.objects.order_by().values_list(
        "pk",
        "created_at",
        "channel",
        Coalesce("product_area_id", zero),
        Coalesce("contact_reason_id", zero),
        Coalesce("team_id", zero),
        Coalesce("requester_id", zero),
        Coalesce("assignee_id", zero),
        "first_response_at",
        "solved_at",
        Seconds("created_at", "first_response_at"),
        Seconds("created_at", "solved_at"),
        zero,
    )
    insert_select(
        TicketFact,
        [
            "ticket_id",
            "created_at",
            "channel",
            "product_area_id_key",
            "contact_reason_id_key",
            "team_id_key",
            "requester_id_key",
            "assignee_id_key",
            "first_response_at",
            "solved_at",
            "first_response_seconds",
            "resolution_seconds",
            "reopens",
        ],
        facts,
    )
    # Negative differences (bad imported data) count as 0, as the refresh does.
    TicketFact.objects.filter(first_response_seconds__lt=0).update(first_response_seconds=0)
    TicketFact.objects.filter(resolution_seconds__lt=0).update(resolution_seconds=0)

    calendars = _Calendars()
    business = 0
    if calendars.any():
        rows = TicketFact.objects.filter(Q(first_response_at__isnull=False) | Q(solved_at__isnull=False))
        if calendars.default is None:
            rows = rows.filter(team_id_key__in=list(calendars.by_team))
        batch: list[TicketFact] = []
        for fact in rows.only("ticket_id", "created_at", "first_response_at", "solved_at", "team_id_key").iterator(
            chunk_size=5000
        ):
            fact.first_response_business_seconds = calendars.business_seconds(
                fact.team_id_key, fact.created_at, fact.first_response_at
            )
            fact.resolution_business_seconds = calendars.business_seconds(
                fact.team_id_key, fact.created_at, fact.solved_at
            )
            batch.append(fact)
            if len(batch) >= 5000:
                TicketFact.objects.bulk_update(
                    batch, ["first_response_business_seconds", "resolution_business_seconds"]
                )
                business += len(batch)
                batch = []
        if batch:
            TicketFact.objects.bulk_update(batch, ["first_response_business_seconds", "resolution_business_seconds"])
            business += len(batch)

    reopened: dict[int, list[dict[str, Any]]] = {}
    for target_id, changes in (
        Event.objects.filter(target_type=TICKET_TYPE, changes__has_key="status")
        .values_list("target_id", "changes")
        .iterator(chunk_size=5000)
    ):
        reopened.setdefault(int(target_id), []).append(changes)
    counts = {pk: n for pk, changes in reopened.items() if (n := reopens_of(changes))}
    for pk, n in counts.items():
        TicketFact.objects.filter(ticket_id=pk).update(reopens=n)

    parts = []
    reopened_flag = Case(When(reopens__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField())
    for moment, created, solved, solved_reopened in (
        ("created_at", Value(1), Value(0), Value(0)),
        ("solved_at", Value(0), Value(1), reopened_flag),
    ):
        part = (
            TicketFact.objects.filter(**{f"{moment}__isnull": False})
            .order_by()
            .values(
                b=TruncHour(moment, tzinfo=UTC),
                ch=F("channel"),
                pa=F("product_area_id_key"),
                cr=F("contact_reason_id_key"),
                tm=F("team_id_key"),
                cn=created,
                sn=solved,
                rn=solved_reopened,
            )
        )
        parts.append(part.query.sql_with_params())
    sql = " UNION ALL ".join(f"SELECT * FROM ({p_sql}) p{i}" for i, (p_sql, _) in enumerate(parts))  # noqa: S608
    params = [param for _, p_params in parts for param in p_params]
    quoted = ", ".join(
        connection.ops.quote_name(c)
        for c in (
            "hour",
            "channel",
            "product_area_key",
            "contact_reason_key",
            "team_key",
            "created",
            "solved",
            "reopened",
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {HourlyVolume._meta.db_table} ({quoted}) "  # noqa: S608 - compiled from the ORM
            f"SELECT b, ch, pa, cr, tm, SUM(cn), SUM(sn), SUM(rn) FROM ({sql}) u GROUP BY b, ch, pa, cr, tm",
            params,
        )
    hv = connection.ops.quote_name(HourlyVolume._meta.db_table)
    key_text = "CAST({} AS VARCHAR(32))"
    sums = "SUM(created), SUM(solved), SUM(reopened)"
    selects = [
        f"SELECT hour, 'all', '', {sums} FROM {hv} GROUP BY hour",  # noqa: S608 - our table
        f"SELECT hour, 'channel', channel, {sums} FROM {hv} GROUP BY hour, channel",  # noqa: S608
    ]
    for dimension, column in (("product_area", "product_area_key"), ("contact_reason", "contact_reason_key")):
        selects.append(
            f"SELECT hour, '{dimension}', {key_text.format(column)}, {sums} "  # noqa: S608
            f"FROM {hv} GROUP BY hour, {column}"
        )
    columns = ", ".join(
        connection.ops.quote_name(c) for c in ("hour", "dimension", "key", "created", "solved", "reopened")
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(HourlyDimensionVolume._meta.db_table)} ({columns}) "
            + " UNION ALL ".join(selects)
        )
    durations = _durations_rebuild()
    tagging = _tagging_rebuild()
    requesters = requester_last_rebuild()
    macro_buckets = macro_rollup_rebuild()
    survey_buckets = survey_rollup_rebuild()
    return {
        "facts": TicketFact.objects.count(),
        "buckets": HourlyVolume.objects.count(),
        "durations": durations,
        "tagging": tagging,
        "requesters": requesters,
        "macro_buckets": macro_buckets,
        "survey_buckets": survey_buckets,
        "business": business,
        "reopened": len(counts),
    }


def _tagging_rebuild() -> int:
    """DailyTagging from the facts: one INSERT ... SELECT grouping them by local day of creation, assignee and
    tags; the number of rows."""
    insert_select(
        DailyTagging,
        [*TAGGING_KEYS, "created"],
        TicketFact.objects.order_by()
        .values(
            d=TruncDate("created_at", tzinfo=timezone.get_default_timezone()),
            a=F("assignee_id_key"),
            pa=F("product_area_id_key"),
            cr=F("contact_reason_id_key"),
        )
        .annotate(n=Count("*")),
    )
    return DailyTagging.objects.count()


def _durations_rebuild() -> int:
    """DailyDuration from the facts, counted in Python with the very bucket function the refresh uses (so a later
    refresh takes out exactly what was put in)."""
    tz = timezone.get_default_timezone()
    totals: Counter[DurationKey] = Counter()
    for team, created_at, solved_at, first, first_business, resolution, resolution_business in (
        TicketFact.objects.order_by()
        .values_list(
            "team_id_key",
            "created_at",
            "solved_at",
            "first_response_seconds",
            "first_response_business_seconds",
            "resolution_seconds",
            "resolution_business_seconds",
        )
        .iterator(chunk_size=20000)
    ):
        totals.update(
            duration_keys(
                team=team,
                created_at=created_at,
                solved_at=solved_at,
                first_response=first,
                first_response_business=first_business,
                resolution=resolution,
                resolution_business=resolution_business,
                tz=tz,
            )
        )
    DailyDuration.objects.bulk_create(
        (
            DailyDuration(day=day, measure=measure, team_key=team, ordering=ordering, bucket=bucket, count=count)
            for (day, measure, team, ordering, bucket), count in totals.items()
        ),
        batch_size=5000,
    )
    return len(totals)


def analytics_tables_vacuum() -> bool:
    """After a rebuild on PostgreSQL: VACUUM (ANALYZE) the rollup tables, so the planner knows their new size and
    the fact indexes serve index-only scans (which need the visibility map a vacuum writes; autovacuum would get
    there later). Not inside a transaction (VACUUM cannot run in one): False then, and elsewhere than PostgreSQL."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    tables = ", ".join(
        connection.ops.quote_name(model._meta.db_table)
        for model in (
            TicketFact,
            HourlyVolume,
            HourlyDimensionVolume,
            DailyDuration,
            DailyTagging,
            MacroApplicationFact,
            MacroDailyVolume,
            RequesterLastTicket,
            SurveyDailyVolume,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return True
