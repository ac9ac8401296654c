"""The dashboards' reads: Volume, Times, Satisfaction, Macros and Tag quality, each a list of `Table`s (the
figures a chart draws and the table beneath it, also the CSV export and the API's JSON series).

Every read names its period [start, end) and the workspace time zone buckets days, weeks and hours of the week.
Volume and backlog read the hourly rollups and contacts per customer RequesterLastTicket; times, satisfaction and
macros read their daily rollups (DailyDuration, SurveyDailyVolume, MacroDailyVolume) for periods of whole local
days when those hold exactly the period's rows, else the TicketFact rows, survey responses (by the chosen window,
`rated` or `solved`) and macro uses of the period. Nothing here scans every ticket, and a page view should not
read per row what a rollup holds (benchmarks/RESULTS.md, "Dashboards"). The arithmetic is in analytics/metrics.py.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Avg, Count, Field, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _

from supportloop.accounts.models import Team, User
from supportloop.analytics import durations, metrics
from supportloop.analytics.models import (
    DailyDuration,
    Dashboard,
    HourlyDimensionVolume,
    HourlyVolume,
    MacroDailyVolume,
    RequesterLastTicket,
    SurveyDailyVolume,
    TicketFact,
)
from supportloop.analytics.selectors import tag_quality_report
from supportloop.core.errors import ValidationFailed
from supportloop.surveys.choices import Sentiment, SurveyKind, Window
from supportloop.surveys.models import SurveyResponse
from supportloop.tickets.choices import Channel
from supportloop.tickets.models import ContactReason, Macro, MacroApplication, ProductArea

MAX_DAYS = 366
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WALL_SIZE = 50
TOP_MACROS = 10


@dataclass
class Chart:
    kind: str  # "bar", "line", or "heatmap" (the table itself, shaded: rows x columns of counts)
    labels: list[str]
    series: dict[str, Sequence[float | None]]
    label_every: int = 1


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: Chart | None = None
    note: str = ""


@dataclass(frozen=True)
class Filters:
    channel: str | None = None
    product_area_id: int | None = None
    contact_reason_id: int | None = None


@dataclass
class Report:
    dashboard: str
    start: datetime
    end: datetime
    window: str
    filters: Filters
    tables: list[Table] = field(default_factory=list)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise ValidationFailed("Unknown table.", errors={"table": f"must be one of {', '.join(self.keys())}"})

    def keys(self) -> list[str]:
        return [t.key for t in self.tables]


def workspace_tz() -> ZoneInfo:
    tz = timezone.get_default_timezone()
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC")


def period_days(*, days: int, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` whole local days up to the end of today, as [start, end) in UTC."""
    tz = workspace_tz()
    today = (now or timezone.now()).astimezone(tz).date()
    return local_midnight(today - timedelta(days=days - 1)), local_midnight(today + timedelta(days=1))


def local_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=workspace_tz()).astimezone(UTC)


def _check(start: datetime, end: datetime, window: str, filters: Filters) -> None:
    if start is None or end is None or end <= start:
        raise ValidationFailed("Choose a period: the start must be before the end.", errors={"start": "before end"})
    if end - start > timedelta(days=MAX_DAYS):
        raise ValidationFailed("The period is too long.", errors={"end": f"at most {MAX_DAYS} days after start"})
    if window not in Window.values:
        raise ValidationFailed("Unknown calculation window.", errors={"window": "must be rated or solved"})
    if filters.channel and filters.channel not in Channel.values:
        raise ValidationFailed("Unknown channel.", errors={"channel": f"must be one of {', '.join(Channel.values)}"})


def _fact_filter(filters: Filters) -> Q:
    q = Q()
    if filters.channel:
        q &= Q(channel=filters.channel)
    if filters.product_area_id:
        q &= Q(product_area_id_key=filters.product_area_id)
    if filters.contact_reason_id:
        q &= Q(contact_reason_id_key=filters.contact_reason_id)
    return q


def _volume_filter(filters: Filters) -> Q:
    q = Q()
    if filters.channel:
        q &= Q(channel=filters.channel)
    if filters.product_area_id:
        q &= Q(product_area_key=filters.product_area_id)
    if filters.contact_reason_id:
        q &= Q(contact_reason_key=filters.contact_reason_id)
    return q


def _one_filter(filters: Filters) -> tuple[str, str] | None:
    """("all", "") without a filter, (dimension, key) with exactly one, None with more."""
    given = [
        (dimension, str(value))
        for dimension, value in (
            ("channel", filters.channel),
            ("product_area", filters.product_area_id),
            ("contact_reason", filters.contact_reason_id),
        )
        if value
    ]
    if not given:
        return ("all", "")
    return given[0] if len(given) == 1 else None


def _hourly(filters: Filters) -> QuerySet[Any]:
    """Hourly rows with `hour`, `created`, `solved` for the filters: the per-dimension sums when at most one filter is
    set (a few rows an hour), the full combinations otherwise."""
    one = _one_filter(filters)
    if one is not None:
        return HourlyDimensionVolume.objects.filter(dimension=one[0], key=one[1]).order_by()
    return HourlyVolume.objects.filter(_volume_filter(filters)).order_by()


def _names(model: Any, ids: set[int], label: str = "name") -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(model.objects.filter(pk__in=ids).values_list("pk", label))


def _user_names(ids: set[int]) -> dict[int, str]:
    ids = {i for i in ids if i}
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)} if ids else {}


# Volume ------------------------------------------------------------------------------------------------------


def hour_of_week_counts(*, start: datetime, end: datetime, filters: Filters) -> list[list[int]]:
    """Tickets created per local weekday (Monday first) x hour of day."""
    tz = workspace_tz()
    grid = [[0] * 24 for _ in range(7)]
    rows = _hourly(filters).filter(hour__gte=start, hour__lt=end).values("hour").annotate(n=Sum("created"))
    for row in rows:
        local = row["hour"].astimezone(tz)
        grid[local.weekday()][local.hour] += row["n"] or 0
    return grid


def backlog_series(*, start: datetime, end: datetime, filters: Filters, now: datetime | None = None) -> list[tuple]:
    """Open tickets at the end of each local day of the period: open now, minus created since, plus solved since
    (by the tickets' current solve time, from the hourly rollup)."""
    now = now or timezone.now()
    open_now = TicketFact.objects.filter(_fact_filter(filters), solved_at__isnull=True).count()
    tz = workspace_tz()
    first_day = start.astimezone(tz).date()
    last_day = (end - timedelta(microseconds=1)).astimezone(tz).date()
    moves = list(
        _hourly(filters)
        .filter(hour__gte=local_midnight(first_day + timedelta(days=1)))
        .values("hour")
        .annotate(c=Sum("created"), s=Sum("solved"))
        .order_by("-hour")
    )
    series = []
    day = last_day
    backlog = open_now
    index = 0
    pending: list[tuple[date, int | None]] = []
    while day >= first_day:
        day_end = local_midnight(day + timedelta(days=1))
        while index < len(moves) and moves[index]["hour"] >= day_end:
            backlog += -(moves[index]["c"] or 0) + (moves[index]["s"] or 0)
            index += 1
        pending.append((day, backlog if day_end <= now + timedelta(days=1) else None))
        day -= timedelta(days=1)
    for day, value in reversed(pending):
        series.append((day.isoformat(), value))
    return series


VOLUME_TABLES = (
    "heatmap",
    "by_channel",
    "by_product_area",
    "by_contact_reason",
    "backlog",
    "reopen_rate",
    "contacts_per_customer",
)


def volume_report(*, start: datetime, end: datetime, filters: Filters, only: str | None = None) -> list[Table]:
    """The volume dashboard's tables, or only the one named (a CSV export reads nothing else)."""
    tables = []
    if only in (None, "heatmap"):
        tables.append(_heatmap_table(start=start, end=end, filters=filters))
    tables += _created_by_tables(start=start, end=end, filters=filters, only=only)
    if only in (None, "backlog"):
        tables.append(_backlog_table(start=start, end=end, filters=filters))
    if only in (None, "reopen_rate", "contacts_per_customer"):
        tables += _ratio_tables(start=start, end=end, filters=filters, only=only)
    return tables


def _heatmap_table(*, start: datetime, end: datetime, filters: Filters) -> Table:
    grid = hour_of_week_counts(start=start, end=end, filters=filters)
    hours_labels = [f"{h:02d}" for h in range(24)]
    return Table(
        key="heatmap",
        title=_("Tickets created per hour of the week"),
        columns=[_("Day"), *hours_labels, _("Total")],
        rows=[[WEEKDAYS[d], *grid[d], sum(grid[d])] for d in range(7)],
        chart=Chart(
            kind="heatmap",
            labels=[f"{WEEKDAYS[d]} {h:02d}" for d in range(7) for h in range(24)],
            series={_("Created"): [float(v) for d in range(7) for v in grid[d]]},
            label_every=24,
        ),
    )


def _created_by_tables(*, start: datetime, end: datetime, filters: Filters, only: str | None) -> list[Table]:
    base = HourlyVolume.objects.filter(_volume_filter(filters), hour__gte=start, hour__lt=end).order_by()
    unfiltered = _one_filter(filters) == ("all", "")
    by: dict[str, list[tuple[str, int]]] = {}
    # With a filter, one pass over the period's hourly combinations summed per channel x area x reason (a few
    # hundred groups) serves the three breakdowns.
    combinations: list[dict[str, Any]] | None = None
    for key, column, model in (
        ("channel", "channel", None),
        ("product_area", "product_area_key", ProductArea),
        ("contact_reason", "contact_reason_key", ContactReason),
    ):
        if only not in (None, f"by_{key}"):
            continue
        if unfiltered:  # the per-dimension sums: a few rows an hour
            sums = (
                HourlyDimensionVolume.objects.filter(dimension=key, hour__gte=start, hour__lt=end)
                .values("key")
                .annotate(n=Sum("created"))
                .order_by("-n", "key")
            )
            rows: list[dict[str, Any]] = [
                {column: r["key"] if model is None else int(r["key"]), "n": r["n"]} for r in sums if r["n"]
            ]
        else:
            if combinations is None:
                combinations = list(
                    base.values("channel", "product_area_key", "contact_reason_key").annotate(n=Sum("created"))
                )
            sums_of: Counter[Any] = Counter()
            for combination in combinations:
                sums_of[combination[column]] += combination["n"] or 0
            rows = [{column: v, "n": n} for v, n in sorted(sums_of.items(), key=lambda vn: (-vn[1], vn[0])) if n]
        if model is None:
            labels = dict(Channel.choices)
            by[key] = [(str(labels.get(r[column], r[column])), r["n"] or 0) for r in rows]
        else:
            names = _names(model, {r[column] for r in rows})
            by[key] = [(names.get(r[column], _("(none)")), r["n"] or 0) for r in rows]
    tables = []
    for key, title in (
        ("channel", _("Created by channel")),
        ("product_area", _("Created by product area")),
        ("contact_reason", _("Created by contact reason")),
    ):
        if key not in by:
            continue
        counts = by[key]
        tables.append(
            Table(
                key=f"by_{key}",
                title=title,
                columns=[_("Name"), _("Created")],
                rows=[[n, c] for n, c in counts],
                chart=Chart(
                    kind="bar", labels=[n for n, _c in counts], series={_("Created"): [float(c) for _n, c in counts]}
                ),
            )
        )
    return tables


def _backlog_table(*, start: datetime, end: datetime, filters: Filters) -> Table:
    backlog = backlog_series(start=start, end=end, filters=filters)
    shown = [(d, v) for d, v in backlog if v is not None]
    return Table(
        key="backlog",
        title=_("Backlog (open tickets at the end of each day)"),
        columns=[_("Day"), _("Open")],
        rows=[[d, v] for d, v in shown],
        chart=Chart(
            kind="line",
            labels=[d for d, _v in shown],
            series={_("Open"): [float(v or 0) for _d, v in shown]},
            label_every=max(1, len(shown) // 10),
        ),
    )


def _tickets_and_customers(*, start: datetime, end: datetime, filters: Filters) -> tuple[int, int]:
    """Tickets created in [start, end) with the filters, and their distinct requesters. Tickets: the hourly rollup
    for the whole UTC hours inside the period, the facts for the part hours at either edge (the API's default
    period runs from this moment 30 days ago to now). Requesters: with at most one filter and no ticket created at
    or after `end` (a period that runs to now), those whose last ticket in the filter's chain is at or after `start`
    (RequesterLastTicket, an index range); otherwise a distinct count over the period's facts."""
    facts = TicketFact.objects.filter(_fact_filter(filters), created_at__gte=start, created_at__lt=end)
    first_hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first_hour += timedelta(hours=1) if first_hour < start else timedelta(0)
    last_hour = end.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    if first_hour < last_hour:
        hourly = _hourly(filters).filter(hour__gte=first_hour, hour__lt=last_hour)
        tickets = hourly.aggregate(n=Sum("created"))["n"] or 0
        for edge_start, edge_end in ((start, first_hour), (last_hour, end)):
            if edge_start < edge_end:
                tickets += facts.filter(created_at__gte=edge_start, created_at__lt=edge_end).count()
    else:
        tickets = facts.count()
    one = _one_filter(filters)
    if one is not None and not TicketFact.objects.filter(created_at__gte=end).exists():
        last = RequesterLastTicket.objects.filter(dimension=one[0], key=one[1], last_created_at__gte=start)
        return tickets, last.count()
    return tickets, facts.aggregate(n=Count("requester_id_key", distinct=True))["n"] or 0


def _ratio_tables(*, start: datetime, end: datetime, filters: Filters, only: str | None) -> list[Table]:
    tables = []
    if only in (None, "reopen_rate"):
        # From the hourly rollup (solved, and of those reopened before): a few rows an hour, not a month of facts
        sums = _hourly(filters).filter(hour__gte=start, hour__lt=end).aggregate(s=Sum("solved"), r=Sum("reopened"))
        solved = {"solved": sums["s"] or 0, "reopened": sums["r"] or 0}
        tables.append(
            Table(
                key="reopen_rate",
                title=_("Reopen rate"),
                columns=[_("Solved"), _("Reopened at least once"), _("Reopen rate %")],
                rows=[[solved["solved"], solved["reopened"], metrics.share(solved["reopened"], solved["solved"])]],
                note=_("Tickets solved in the period that were reopened at least once, over all solved in it."),
            )
        )
    if only in (None, "contacts_per_customer"):
        tickets, customers = _tickets_and_customers(start=start, end=end, filters=filters)
        tables.append(
            Table(
                key="contacts_per_customer",
                title=_("Contacts per customer"),
                columns=[_("Tickets created"), _("Customers"), _("Tickets per customer")],
                rows=[[tickets, customers, metrics.ratio(tickets, customers)]],
            )
        )
    return tables


# Times -------------------------------------------------------------------------------------------------------


def _working(business: int | None, calendar: int | None) -> int | None:
    return business if business is not None else calendar


PERCENTILES_SQL = """
SELECT GROUPING({team}) = 1, {team}, COUNT(*),
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY COALESCE({business}, {calendar})),
       percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {calendar}),
       COUNT({business})
FROM {table} WHERE {where}
GROUP BY GROUPING SETS (({team}), ())
"""


def _fact_column(name: str) -> str:
    field = TicketFact._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise LookupError(f"TicketFact.{name} is not a column")
    return field.column


def _percentiles_by_team(
    rows: QuerySet[TicketFact], calendar_f: str, business_f: str
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """PostgreSQL's percentile_cont (the same linear interpolation as metrics.percentile) over the facts of
    `rows`, overall and per team in one pass: GROUPING SETS reads the period once, and each ordering is sorted
    once for both the median and the p90."""
    database = connections[rows.db]
    compiler = rows.query.get_compiler(connection=database)
    where, params = compiler.compile(rows.query.where)
    quote = database.ops.quote_name
    sql = PERCENTILES_SQL.format(
        table=quote(TicketFact._meta.db_table),
        team=quote(_fact_column("team_id_key")),
        calendar=quote(_fact_column(calendar_f)),
        business=quote(_fact_column(business_f)),
        where=where,
    )
    overall = _stats(0, None, None, None, None, 0)
    teams: dict[int, dict[str, Any]] = {}
    with database.cursor() as cursor:
        cursor.execute(sql, params)
        for is_total, team, count, working, calendar, business in cursor.fetchall():
            working, calendar = working or (None, None), calendar or (None, None)  # no rows: NULL
            stats = _stats(count, working[0], working[1], calendar[0], calendar[1], business)
            if is_total:
                overall = stats
            else:
                teams[team] = stats
    return overall, teams


MEASURES = {
    "first_response": ("created_at", "first_response_seconds", "first_response_business_seconds"),
    "resolution": ("solved_at", "resolution_seconds", "resolution_business_seconds"),
}


def _stats(count: int, working: Any, working_p90: Any, calendar: Any, calendar_p90: Any, business: int) -> dict:
    return {
        "count": count,
        "median": metrics.hours(working),
        "p90": metrics.hours(working_p90),
        "calendar_median": metrics.hours(calendar),
        "calendar_p90": metrics.hours(calendar_p90),
        "in_business": business,
    }


# From this many tickets in a period on, the Times dashboard reads the DailyDuration rollup (a percentile at most
# one bucket, 2%, off: analytics.durations) instead of sorting the tickets' times (exact).
DURATION_ROLLUP_FROM = 20_000


def _whole_days(start: datetime, end: datetime) -> tuple[date, date] | None:
    """(first, last) local day when [start, end) is made of whole local days, else None."""
    first, last = start.astimezone(workspace_tz()).date(), (end - timedelta(microseconds=1)).astimezone(workspace_tz())
    if local_midnight(first) != start or local_midnight(last.date() + timedelta(days=1)) != end:
        return None
    return first, last.date()


def _durations_expected(measure: str, days: tuple[date, date]) -> int:
    """How many tickets the days' duration counts must hold, from the other rollups (a few hundred rows, not a
    count of a month of facts): tickets solved in the days' hours (HourlyDimensionVolume), or created in them less
    those not answered yet (a partial index on the facts: the unanswered of a month are a few thousand)."""
    start, end = local_midnight(days[0]), local_midnight(days[1] + timedelta(days=1))
    hourly = HourlyDimensionVolume.objects.filter(dimension="all", key="", hour__gte=start, hour__lt=end)
    if measure == "resolution":
        return hourly.aggregate(n=Sum("solved"))["n"] or 0
    unanswered = TicketFact.objects.filter(created_at__gte=start, created_at__lt=end, first_response_at__isnull=True)
    return (hourly.aggregate(n=Sum("created"))["n"] or 0) - unanswered.count()


def _durations_from_rollup(
    measure: str, days: tuple[date, date]
) -> tuple[dict[str, Any], dict[int, dict[str, Any]]] | None:
    """Median and p90, overall and per team, from the DailyDuration counts of the days; None (read the facts)
    when the period is small or when the counts do not hold exactly the period's tickets (a rollup not rebuilt
    since an upgrade or a time zone change: `analytics_rebuild` repairs). The counts are read from a covering index
    (analytics_duration_read_idx)."""
    histograms: dict[tuple[int, str], dict[int, int]] = defaultdict(dict)
    for team, ordering, bucket, count in (
        DailyDuration.objects.filter(measure=measure, day__gte=days[0], day__lte=days[1])
        .values_list("team_key", "ordering", "bucket")
        .annotate(n=Sum("count"))
        .order_by()
    ):
        histograms[(team, ordering)][bucket] = count
    total = sum(sum(h.values()) for (_team, ordering), h in histograms.items() if ordering == "calendar")
    if total < DURATION_ROLLUP_FROM or total != _durations_expected(measure, days):
        return None

    def stats_of(team_keys: list[int]) -> dict[str, Any]:
        working = durations.merged(histograms.get((t, "working"), {}) for t in team_keys)
        calendar = durations.merged(histograms.get((t, "calendar"), {}) for t in team_keys)
        business = sum(sum(histograms.get((t, "business"), {}).values()) for t in team_keys)
        return _stats(
            sum(calendar.values()),
            durations.percentile_of(working, 0.5),
            durations.percentile_of(working, 0.9),
            durations.percentile_of(calendar, 0.5),
            durations.percentile_of(calendar, 0.9),
            business,
        )

    teams = sorted({team for team, ordering in histograms if ordering == "calendar"})
    return stats_of(teams), {team: stats_of([team]) for team in teams}


def time_stats(*, start: datetime, end: datetime, filters: Filters) -> dict[str, dict[str, Any]]:
    """Median and p90 (hours) of first response (tickets created in the period) and resolution (tickets solved in
    it), overall and per team: business time where the ticket has it, else calendar time. A period of whole days
    with no filter and at least DURATION_ROLLUP_FROM tickets reads the DailyDuration counts; otherwise, on
    PostgreSQL, percentile_cont over the indexed period, and elsewhere the fetched values."""
    facts = TicketFact.objects.filter(_fact_filter(filters)).order_by()
    result: dict[str, dict[str, Any]] = {}
    days = _whole_days(start, end) if filters == Filters() else None
    for measure, (moment, calendar_f, business_f) in MEASURES.items():
        rows = facts.filter(**{f"{moment}__gte": start, f"{moment}__lt": end, f"{calendar_f}__isnull": False})
        from_rollup = _durations_from_rollup(measure, days) if days else None
        if from_rollup is not None:
            overall, teams = from_rollup
        elif connections[rows.db].vendor == "postgresql":
            overall, teams = _percentiles_by_team(rows, calendar_f, business_f)
        else:
            values = list(rows.values_list("team_id_key", calendar_f, business_f))
            grouped: dict[int, list[tuple[int, int | None]]] = defaultdict(list)
            for team, calendar_s, business_s in values:
                grouped[team].append((calendar_s, business_s))

            def stats_of(pairs: list[tuple[int, int | None]]) -> dict:
                working_values = [_working(b, c) or 0 for c, b in pairs]
                calendar_values = [c for c, _b in pairs]
                return _stats(
                    len(pairs),
                    metrics.median(working_values),
                    metrics.p90(working_values),
                    metrics.median(calendar_values),
                    metrics.p90(calendar_values),
                    sum(1 for _c, b in pairs if b is not None),
                )

            overall = stats_of([(c, b) for _t, c, b in values])
            teams = {team: stats_of(pairs) for team, pairs in grouped.items()}
        result[measure] = {"overall": overall, "teams": teams}
    return result


def times_report(*, start: datetime, end: datetime, filters: Filters) -> list[Table]:
    stats = time_stats(start=start, end=end, filters=filters)
    names = {"first_response": _("First response"), "resolution": _("Resolution")}
    summary: list[list[Any]] = []
    for measure, found in stats.items():
        o = found["overall"]
        summary.append(
            [
                names[measure],
                o["count"],
                o["median"],
                o["p90"],
                o["calendar_median"],
                o["calendar_p90"],
                o["in_business"],
            ]
        )
    team_keys = set(stats["first_response"]["teams"]) | set(stats["resolution"]["teams"])
    team_names = _names(Team, team_keys)
    empty = _stats(0, None, None, None, None, 0)
    by_team = []
    for team in team_keys:
        first = stats["first_response"]["teams"].get(team, empty)
        solved = stats["resolution"]["teams"].get(team, empty)
        by_team.append(
            [
                team_names.get(team, _("(no team)")),
                first["count"],
                first["median"],
                first["p90"],
                solved["count"],
                solved["median"],
                solved["p90"],
            ]
        )
    by_team.sort(key=lambda r: str(r[0]))
    return [
        Table(
            key="summary",
            title=_("First response and resolution time (hours)"),
            columns=[
                _("Measure"),
                _("Tickets"),
                _("Median"),
                _("p90"),
                _("Median, calendar"),
                _("p90, calendar"),
                _("Tickets timed in business hours"),
            ],
            rows=summary,
            chart=Chart(
                kind="bar",
                labels=[f"{r[0]} {lbl}" for r in summary for lbl in (_("median"), _("p90"))],
                series={_("Hours"): [float(v or 0) for r in summary for v in (r[2], r[3])]},
            ),
            note=_(
                "Median and p90 count business hours for tickets whose team has a business-hours calendar (or when "
                "a default calendar exists), calendar time otherwise. First response: tickets created in the "
                "period; resolution: tickets solved in it."
            ),
        ),
        Table(
            key="by_team",
            title=_("Times per team (hours)"),
            columns=[
                _("Team"),
                _("Responded"),
                _("First response median"),
                _("First response p90"),
                _("Solved"),
                _("Resolution median"),
                _("Resolution p90"),
            ],
            rows=by_team,
            chart=Chart(
                kind="bar",
                labels=[str(r[0]) for r in by_team],
                series={_("Resolution median"): [float(r[5] or 0) for r in by_team]},
            ),
        ),
    ]


# Satisfaction ------------------------------------------------------------------------------------------------

BREAKDOWNS = (
    ("product_area", "product_area_id", _("product area")),
    ("contact_reason", "contact_reason_id", _("contact reason")),
    ("agent", "agent_id", _("agent")),
    ("team", "team_id", _("team")),
    ("macro", "macro_id", _("macro used")),
)


def _responses(*, start: datetime, end: datetime, window: str, filters: Filters) -> QuerySet[SurveyResponse]:
    field_name = "rated_at" if window == Window.RATED else "solved_at"
    qs = SurveyResponse.objects.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})
    if filters.product_area_id:
        qs = qs.filter(product_area_id=filters.product_area_id)
    if filters.contact_reason_id:
        qs = qs.filter(contact_reason_id=filters.contact_reason_id)
    if filters.channel:
        qs = qs.filter(ticket__channel=filters.channel)
    return qs


_AGG = {
    "count": Count("id"),
    "good": Count("id", filter=Q(sentiment=Sentiment.GOOD)),
    "neutral": Count("id", filter=Q(sentiment=Sentiment.NEUTRAL)),
    "bad": Count("id", filter=Q(sentiment=Sentiment.BAD)),
    "average": Avg("score"),
}


def _score(kind: str, row: dict[str, Any]) -> float | None:
    return metrics.survey_score(kind, count=row["count"], good=row["good"], bad=row["bad"], average=row["average"])


def _kind_cells(per_kind: dict[str, dict[str, Any]], kinds: Sequence[str]) -> list[Any]:
    """Responses and score of each kind, side by side."""
    empty = {"count": 0, "good": 0, "neutral": 0, "bad": 0, "average": None}
    cells: list[Any] = []
    for kind in kinds:
        row = per_kind.get(kind, empty)
        cells += [row["count"], _score(kind, row)]
    return cells


# Per kind, and per kind and one of these: the satisfaction page's groupings.
GROUPINGS = ("week", *(column for _key, column, _label in BREAKDOWNS))

GROUPING_SETS_SQL = """
SELECT {grouping}, kind, {columns}, COUNT(*),
       COUNT(*) FILTER (WHERE sentiment = %s), COUNT(*) FILTER (WHERE sentiment = %s),
       COUNT(*) FILTER (WHERE sentiment = %s), AVG(score)::float8
FROM ({responses}) responses
GROUP BY GROUPING SETS ((kind), {sets})
"""


def _satisfaction_groups(responses: QuerySet[SurveyResponse], field_name: str) -> dict[str, dict[Any, dict]]:
    """The aggregates (_AGG) per kind ("" -> {kind: row}) and per value of each of GROUPINGS and kind
    ({grouping: {value: {kind: row}}}). On PostgreSQL one pass (GROUPING SETS) over the period's responses;
    elsewhere one query per grouping."""
    weekly = responses.annotate(week=TruncWeek(field_name, tzinfo=workspace_tz()))
    groups: dict[str, dict[Any, dict]] = {name: defaultdict(dict) for name in ("", *GROUPINGS)}
    database = connections[responses.db]
    if database.vendor != "postgresql":
        for row in weekly.values("kind").annotate(**_AGG).order_by():
            groups[""][row["kind"]] = row
        for name in GROUPINGS:
            for row in weekly.values(name, "kind").annotate(**_AGG).order_by():
                groups[name][row[name]][row["kind"]] = row
        return groups
    inner, params = weekly.order_by().values("kind", "sentiment", "score", *GROUPINGS).query.sql_with_params()
    sql = GROUPING_SETS_SQL.format(
        grouping=", ".join(f"GROUPING({name})" for name in GROUPINGS),
        columns=", ".join(GROUPINGS),
        responses=inner,
        sets=", ".join(f"(kind, {name})" for name in GROUPINGS),
    )
    with database.cursor() as cursor:
        cursor.execute(sql, [Sentiment.GOOD, Sentiment.NEUTRAL, Sentiment.BAD, *params])
        for record in cursor.fetchall():
            grouped_out = record[: len(GROUPINGS)]
            kind, values = record[len(GROUPINGS)], record[len(GROUPINGS) + 1 : 2 * len(GROUPINGS) + 1]
            count, good, neutral, bad, average = record[2 * len(GROUPINGS) + 1 :]
            row = {"kind": kind, "count": count, "good": good, "neutral": neutral, "bad": bad, "average": average}
            kept = [i for i, out in enumerate(grouped_out) if not out]
            if not kept:
                groups[""][kind] = row
            else:
                groups[GROUPINGS[kept[0]]][values[kept[0]]][kind] = row
    return groups


def _satisfaction_groups_from_rollup(
    start: datetime, end: datetime, window: str, filters: Filters, responses: QuerySet[SurveyResponse]
) -> dict[str, dict[Any, dict]] | None:
    """_satisfaction_groups' result from the SurveyDailyVolume counts of a period of whole days without a filter;
    None (group the responses) otherwise, or when the counts do not hold exactly the period's responses (an answer
    whose counting failed, a time zone change: `analytics_rebuild` repairs)."""
    days = _whole_days(start, end)
    if filters != Filters() or days is None:
        return None
    sums: dict[tuple[str, Any, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for day, kind, dimension, key, *counts in SurveyDailyVolume.objects.filter(
        window=window, day__gte=days[0], day__lte=days[1]
    ).values_list("day", "kind", "dimension", "key", "count", "good", "neutral", "bad", "score_sum"):
        if dimension == "all":
            places: list[tuple[str, Any]] = [("", None), ("week", day - timedelta(days=day.weekday()))]
        else:
            places = [(f"{dimension}_id", key or None)]
        for grouping, value in places:
            total = sums[(grouping, value, kind)]
            for i, n in enumerate(counts):
                total[i] += n
    if sum(c[0] for (grouping, _v, _k), c in sums.items() if grouping == "") != responses.count():
        return None
    groups: dict[str, dict[Any, dict]] = {name: defaultdict(dict) for name in ("", *GROUPINGS)}
    for (grouping, value, kind), (count, good, neutral, bad, score_sum) in sums.items():
        row = {"kind": kind, "count": count, "good": good, "neutral": neutral, "bad": bad}
        row["average"] = score_sum / count if count else None
        if grouping == "":
            groups[""][kind] = row
        else:
            groups[grouping][value][kind] = row
    return groups


def satisfaction_report(*, start: datetime, end: datetime, window: str, filters: Filters) -> list[Table]:
    field_name = "rated_at" if window == Window.RATED else "solved_at"
    responses = _responses(start=start, end=end, window=window, filters=filters)
    kinds = [SurveyKind.CSAT, SurveyKind.CES, SurveyKind.NPS]
    groups = _satisfaction_groups_from_rollup(start, end, window, filters, responses)
    if groups is None:
        groups = _satisfaction_groups(responses, field_name)
    headline_rows = groups[""]
    empty = {"count": 0, "good": 0, "neutral": 0, "bad": 0, "average": None}
    headline = [
        [
            str(SurveyKind(k).label),
            (r := headline_rows.get(k, empty))["count"],
            r["good"],
            r["neutral"],
            r["bad"],
            _score(k, r),
        ]
        for k in kinds
    ]
    weekly: dict[date, dict[str, dict[str, Any]]] = defaultdict(dict)
    for week_start, per_kind in groups["week"].items():
        weekly[week_start.date() if isinstance(week_start, datetime) else week_start] = per_kind
    weeks = sorted(weekly)
    over_time = [
        [
            w.isoformat(),
            *_kind_cells(weekly[w], kinds),
        ]
        for w in weeks
    ]
    tables = [
        Table(
            key="headline",
            title=_("CSAT, CES and NPS in the period"),
            columns=[
                _("Survey"),
                _("Responses"),
                _("Good / promoters"),
                _("Neutral / passives"),
                _("Bad / detractors"),
                _("Score"),
            ],
            rows=headline,
            note=_(
                "CSAT: % good answers. CES: mean score (1-7, higher is easier). NPS: % promoters - % detractors. "
                "NPS is sent to contacts, not about tickets: it has no solved date."
            ),
        ),
        Table(
            key="over_time",
            title=_("Scores per week"),
            columns=[
                _("Week"),
                _("CSAT responses"),
                _("CSAT %"),
                _("CES responses"),
                _("CES"),
                _("NPS responses"),
                _("NPS"),
            ],
            rows=over_time,
            chart=Chart(
                kind="line",
                labels=[r[0] for r in over_time],
                series={_("CSAT %"): [r[2] for r in over_time], _("NPS"): [r[6] for r in over_time]},
            ),
        ),
    ]
    named = {"product_area": ProductArea, "contact_reason": ContactReason, "team": Team, "macro": Macro}
    for key, column, label in BREAKDOWNS:
        grouped = groups[column]
        names = _user_names(set(grouped)) if key == "agent" else _names(named[key], set(grouped))
        rows = []
        for value, per_kind in grouped.items():
            rows.append([names.get(value, _("(none)")), *_kind_cells(per_kind, kinds)])
        rows.sort(key=lambda r: (-(r[1] or 0), str(r[0])))
        tables.append(
            Table(
                key=f"by_{key}",
                title=_("Satisfaction by %(what)s") % {"what": label},
                columns=[
                    str(label).capitalize(),
                    _("CSAT responses"),
                    _("CSAT %"),
                    _("CES responses"),
                    _("CES"),
                    _("NPS responses"),
                    _("NPS"),
                ],
                rows=rows,
                chart=Chart(
                    kind="bar",
                    labels=[str(r[0]) for r in rows if r[2] is not None],
                    series={_("CSAT %"): [float(r[2]) for r in rows if r[2] is not None]},
                ),
            )
        )
    wall = list(
        responses.exclude(comment="").select_related("ticket", "agent").order_by(f"-{field_name}", "-id")[:WALL_SIZE]
    )
    tables.append(
        Table(
            key="feedback_wall",
            title=_("Feedback wall: the comments beside the scores"),
            columns=[_("When"), _("Survey"), _("Score"), _("Sentiment"), _("Comment"), _("Ticket"), _("Agent")],
            rows=[
                [
                    timezone.localtime(getattr(r, field_name) or r.rated_at).strftime("%Y-%m-%d %H:%M"),
                    r.get_kind_display(),
                    r.score,
                    r.get_sentiment_display(),
                    r.comment,
                    r.ticket.number if r.ticket else "",
                    r.agent.display_name if r.agent else "",
                ]
                for r in wall
            ],
        )
    )
    return tables


# Macros ------------------------------------------------------------------------------------------------------


def _macro_counts_from_rollup(
    start: datetime, end: datetime, filters: Filters
) -> list[tuple[int, int, date, int]] | None:
    """(macro, product area key, local day, uses) from the MacroDailyVolume counts of a period of whole days; None
    (read the uses) when the period is not whole days or the counts do not hold exactly the period's uses
    (a rollup not rebuilt since an upgrade, uses written in bulk: `analytics_rebuild` repairs)."""
    days = _whole_days(start, end)
    if days is None:
        return None
    counts = MacroDailyVolume.objects.filter(day__gte=days[0], day__lte=days[1]).order_by()
    rows = list(
        counts.filter(_volume_filter(filters))
        .values_list("macro_key", "product_area_key", "day")
        .annotate(n=Sum("count"))
    )
    total = sum(n for *_key, n in rows) if filters == Filters() else counts.aggregate(n=Sum("count"))["n"]
    uses = MacroApplication.objects.filter(applied_at__gte=start, applied_at__lt=end).count()
    if not uses or (total or 0) != uses:
        return None
    return [(macro, area, day, n) for macro, area, day, n in rows if n > 0]


def _macro_counts(start: datetime, end: datetime, filters: Filters) -> list[tuple[int, int, date, int]]:
    """(macro, product area key, local day or week, uses) of the period's macro uses with the filters: from the
    daily rollup when it holds them, else grouped from the uses joined to their tickets."""
    from_rollup = _macro_counts_from_rollup(start, end, filters)
    if from_rollup is not None:
        return from_rollup
    apps = MacroApplication.objects.filter(applied_at__gte=start, applied_at__lt=end)
    if filters.product_area_id:
        apps = apps.filter(ticket__product_area_id=filters.product_area_id)
    if filters.contact_reason_id:
        apps = apps.filter(ticket__contact_reason_id=filters.contact_reason_id)
    if filters.channel:
        apps = apps.filter(ticket__channel=filters.channel)
    rows = (
        apps.annotate(week=TruncWeek("applied_at", tzinfo=workspace_tz()))
        .values_list("macro_id", "ticket__product_area_id", "week")
        .annotate(n=Count("*"))
        .order_by()
    )
    return [(macro, area or 0, week.date() if isinstance(week, datetime) else week, n) for macro, area, week, n in rows]


def macros_report(*, start: datetime, end: datetime, filters: Filters) -> list[Table]:
    # One pass over the period's counts per macro x product area x day or week (a few thousand groups): the top
    # list, each top macro's product areas and the weekly series all come from it.
    totals: Counter[int] = Counter()
    areas: dict[int, Counter[int]] = defaultdict(Counter)
    weekly_all: dict[date, Counter[int]] = defaultdict(Counter)
    for macro_id, area, day, n in _macro_counts(start, end, filters):
        totals[macro_id] += n
        areas[macro_id][area] += n
        weekly_all[day - timedelta(days=day.weekday())][macro_id] += n  # weeks start on Monday (local)
    names = _names(Macro, set(totals))
    top_ids = sorted(totals, key=lambda m: (-totals[m], names.get(m, "")))[:TOP_MACROS]
    area_names = _names(ProductArea, {a for m in top_ids for a in areas[m] if a})

    def _areas_cell(macro_id: int) -> str:
        counts: Counter[str] = Counter()
        for area, n in areas[macro_id].items():
            counts[area_names.get(area, _("(none)")) if area else _("(none)")] += n
        return ", ".join(f"{name} ({n})" for name, n in sorted(counts.items(), key=lambda a: (-a[1], a[0])))

    top_rows: list[list[Any]] = [[names.get(m, ""), totals[m], _areas_cell(m)] for m in top_ids]
    weeks = sorted(w for w in weekly_all if any(weekly_all[w][m] for m in top_ids[:5]))
    over_time: list[list[Any]] = [[w.isoformat(), *[weekly_all[w][m] for m in top_ids[:5]]] for w in weeks]
    return [
        Table(
            key="top",
            title=_("Top macros by applications"),
            columns=[_("Macro"), _("Applications"), _("Product areas of the tickets")],
            rows=top_rows,
            chart=Chart(
                kind="bar", labels=[r[0] for r in top_rows], series={_("Applications"): [float(r[1]) for r in top_rows]}
            ),
            note=_("The most used macros point at what to fix in the product."),
        ),
        Table(
            key="over_time",
            title=_("Applications per week (top five)"),
            columns=[_("Week"), *[names[m] for m in top_ids[:5]]],
            rows=over_time,
            chart=Chart(
                kind="line",
                labels=[r[0] for r in over_time],
                series={names[m]: [float(r[i + 1]) for r in over_time] for i, m in enumerate(top_ids[:5])},
            ),
        ),
    ]


def tag_quality_tables(*, start: datetime, end: datetime) -> list[Table]:
    rows = tag_quality_report(since=start, until=end)
    return [
        Table(
            key="by_agent",
            title=_("Tag quality per agent"),
            columns=[
                _("Agent"),
                _("Tickets"),
                _("Without area"),
                _("Without reason"),
                _("Catch-all"),
                _("Poorly tagged"),
                _("Poorly tagged %"),
            ],
            rows=[
                [
                    r["agent"],
                    r["tickets"],
                    r["without_area"],
                    r["without_reason"],
                    r["catch_all"],
                    r["poorly_tagged"],
                    r["poorly_tagged_share"],
                ]
                for r in rows
            ],
            chart=Chart(
                kind="bar",
                labels=[r["agent"] for r in rows],
                series={_("Poorly tagged %"): [r["poorly_tagged_share"] for r in rows]},
            ),
            note=_("Tickets created in the period without a product area or contact reason, or under a catch-all."),
        )
    ]


def dashboard_report(
    *,
    dashboard: str,
    start: datetime,
    end: datetime,
    window: str = Window.RATED,
    filters: Filters | None = None,
    only: str | None = None,
) -> Report:
    """One dashboard's tables over [start, end); with `only` (a table's key, for its CSV) the volume dashboard
    computes that table alone."""
    filters = filters or Filters()
    if dashboard not in Dashboard.values:
        raise ValidationFailed(
            "Unknown dashboard.", errors={"dashboard": f"must be one of {', '.join(Dashboard.values)}"}
        )
    _check(start, end, window, filters)
    report = Report(dashboard=dashboard, start=start, end=end, window=window, filters=filters)
    if dashboard == Dashboard.VOLUME:
        if only is not None and only not in VOLUME_TABLES:
            raise ValidationFailed("Unknown table.", errors={"table": f"must be one of {', '.join(VOLUME_TABLES)}"})
        report.tables = volume_report(start=start, end=end, filters=filters, only=only)
    elif dashboard == Dashboard.TIMES:
        report.tables = times_report(start=start, end=end, filters=filters)
    elif dashboard == Dashboard.SATISFACTION:
        report.tables = satisfaction_report(start=start, end=end, window=window, filters=filters)
    elif dashboard == Dashboard.MACROS:
        report.tables = macros_report(start=start, end=end, filters=filters)
    else:
        report.tables = tag_quality_tables(start=start, end=end)
    return report


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value  # a spreadsheet must not run a customer's comment as a formula
    return "" if value is None else value


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(str(c)) for c in table.columns])
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def headline_figures(*, start: datetime, end: datetime) -> dict[str, Any]:
    """The weekly lead mail's figures over [start, end): volume, first response and resolution medians (hours),
    CSAT % and NPS by rated date, the backlog now, and the top macros."""
    filters = Filters()
    created = TicketFact.objects.filter(created_at__gte=start, created_at__lt=end).count()
    stats = time_stats(start=start, end=end, filters=filters)
    responses = _responses(start=start, end=end, window=Window.RATED, filters=filters)
    scores = {r["kind"]: r for r in responses.values("kind").annotate(**_AGG).order_by()}
    empty = {"count": 0, "good": 0, "neutral": 0, "bad": 0, "average": None}
    top = list(
        MacroApplication.objects.filter(applied_at__gte=start, applied_at__lt=end)
        .values("macro__name")
        .annotate(n=Count("id"))
        .order_by("-n", "macro__name")[:3]
    )
    return {
        "created": created,
        "first_response_median_hours": stats["first_response"]["overall"]["median"],
        "resolution_median_hours": stats["resolution"]["overall"]["median"],
        "csat": _score(SurveyKind.CSAT, scores.get(SurveyKind.CSAT, empty)),
        "csat_responses": scores.get(SurveyKind.CSAT, empty)["count"],
        "nps": _score(SurveyKind.NPS, scores.get(SurveyKind.NPS, empty)),
        "nps_responses": scores.get(SurveyKind.NPS, empty)["count"],
        "backlog": TicketFact.objects.filter(solved_at__isnull=True).count(),
        "top_macros": [(r["macro__name"], r["n"]) for r in top],
    }
