"""Ranking: the figures of every item, filtered and sorted (rollups without evidence filters, live SQL with).

Counting rules live in rollups.py; the score formula in docs/feedback-scoring.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, TypeAlias, cast

from django.db import connection, transaction
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import Combinable, OrderBy
from django.db.models.functions import Cast, Coalesce, TruncWeek
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from supportloop.accounts.models import User
from supportloop.core.db import report_memory_raised
from supportloop.core.errors import ValidationFailed
from supportloop.core.indexing import FEEDBACK, text_matches
from supportloop.customers.choices import Plan
from supportloop.customers.models import Company
from supportloop.feedback.choices import Importance, ItemStatus, Kind
from supportloop.feedback.models import Evidence, FeedbackItem, FeedbackSettings, ItemPlanStats, ItemStats, ItemWeek
from supportloop.feedback.rollups import (
    WEEKS,
    feedback_settings,
    plan_stats_fill_missing,
    plan_stats_refresh_stale_trend,
    stats_refresh_stale_mrr,
    stats_refresh_stale_trend,
    week_bounds_dt,
    week_start,
    week_starts,
    window_stats_fill_missing,
)
from supportloop.tickets.models import ProductArea, ProductFeature

# Filters as the pages and the API pass them: one choice or several; a product area or feature as an object, an
# id or a slug; an owner as a user or an id; a moment as a date (its midnight) or a datetime.
Choices: TypeAlias = str | list[str] | tuple[str, ...] | set[str] | None
TaxonomyRef: TypeAlias = ProductArea | ProductFeature | int | str | None
OwnerRef: TypeAlias = User | int | str | None
Moment: TypeAlias = date | datetime | None
# One ranking row: the ROW_FIELDS, then weekly and growth_pct (see feedback_ranking's docstring).
Row: TypeAlias = dict[str, Any]
SORTS = {
    # name: (expression alias, descending by default)
    "score": ("score", True),
    "mentions": ("mentions", True),
    "unique_contacts": ("unique_contacts", True),
    "unique_companies": ("unique_companies", True),
    "mrr": ("mrr", True),
    "growth": ("growth", True),
    "blocker_contacts": ("blocker_contacts", True),
    "first_heard": ("first_heard", False),
    "last_heard": ("last_heard", True),
    "created_at": ("created_at", True),
    "title": ("title", False),
}
ROW_FIELDS = (
    "id",
    "title",
    "kind",
    "status",
    "product_area_id",
    "product_feature_id",
    "owner_id",
    "is_public",
    "created_at",
    "mentions",
    "unique_contacts",
    "unique_companies",
    "blocker_contacts",
    "mrr",
    "first_heard",
    "last_heard",
    "recent_4w",
    "previous_4w",
    "growth",
    "score",
)


# ---------------------------------------------------------------------------------------------- score
def score_expression(
    weights: FeedbackSettings,
    *,
    contacts: Combinable,
    companies: Combinable,
    mrr: Combinable,
    blockers: Combinable,
    recent: Combinable,
    previous: Combinable,
) -> ExpressionWrapper[Combinable]:
    """The score in SQL; the same formula as `score_of` (docs/feedback-scoring.md)."""

    def fl(expr: Combinable) -> Cast:
        return Cast(expr, FloatField())

    return ExpressionWrapper(
        Value(weights.w_contacts) * fl(contacts)
        + Value(weights.w_companies) * fl(companies)
        + Value(weights.w_mrr) * fl(mrr) / Value(1000.0)
        + Value(weights.w_blockers) * fl(blockers)
        + Value(weights.w_trend) * (fl(recent) - fl(previous)),
        output_field=FloatField(),
    )


def score_of(figures: Mapping[str, Any], weights: FeedbackSettings | None = None) -> float:
    w = weights or feedback_settings()
    score: float = round(
        w.w_contacts * figures["unique_contacts"]
        + w.w_companies * figures["unique_companies"]
        + w.w_mrr * float(figures["mrr"]) / 1000.0
        + w.w_blockers * figures["blocker_contacts"]
        + w.w_trend * (figures["recent_4w"] - figures["previous_4w"]),
        4,
    )
    return score


def growth_pct(recent: int, previous: int) -> float | None:
    """Percent change of the last 4 weeks against the 4 before; None when nothing was heard before."""
    if previous == 0:
        return None
    return round((recent - previous) * 100.0 / previous, 1)


# ---------------------------------------------------------------------------------------------- filters
def _as_list(value: Choices) -> list[str]:
    if value is None or value == "" or value == []:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def _pk(value: OwnerRef) -> int | None:
    if value is None or value == "":
        return None
    return value.pk if hasattr(value, "pk") else int(value)


def _taxonomy_pk(value: TaxonomyRef, model: type[ProductArea] | type[ProductFeature]) -> int | None:
    """An area or feature given as an object, an id or a slug."""
    if value is None or value == "":
        return None
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, int) or str(value).isdigit():
        return int(value)
    pk = model.objects.filter(slug=value).values_list("pk", flat=True).first()
    if pk is None:
        field = "product_area" if model is ProductArea else "product_feature"
        raise ValidationFailed(f"Unknown {field} {value!r}.", errors={field: "no such slug"})
    return pk


def _item_filters(
    qs: QuerySet[FeedbackItem],
    *,
    kind: Choices,
    product_area: TaxonomyRef,
    status: Choices,
    product_feature: TaxonomyRef = None,
    owner: OwnerRef = None,
    q: str | None = None,
) -> QuerySet[FeedbackItem]:
    kinds = _as_list(kind)
    if set(kinds) - set(Kind.values):
        raise ValidationFailed(
            "Unknown kind filter.", errors={"kind": ", ".join(sorted(set(kinds) - set(Kind.values)))}
        )
    statuses = _as_list(status)
    if set(statuses) - set(ItemStatus.values):
        raise ValidationFailed(
            "Unknown status filter.", errors={"status": ", ".join(sorted(set(statuses) - set(ItemStatus.values)))}
        )
    if kinds:
        qs = qs.filter(kind__in=kinds)
    qs = qs.filter(status__in=statuses) if statuses else qs.exclude(status=ItemStatus.MERGED)
    area_pk, feature_pk = _taxonomy_pk(product_area, ProductArea), _taxonomy_pk(product_feature, ProductFeature)
    if area_pk is not None:
        qs = qs.filter(product_area_id=area_pk)
    if feature_pk is not None:
        qs = qs.filter(product_feature_id=feature_pk)
    if _pk(owner) is not None:
        qs = qs.filter(owner_id=_pk(owner))
    if q and q.strip():
        # The search engine's matches (stemmed, segmented, best MATCH_LIMIT), when it is installed.
        ids = text_matches(FEEDBACK, q.strip())
        qs = qs.filter(pk__in=ids) if ids is not None else qs.filter(title__icontains=q.strip())
    return qs


def _aware(value: Moment) -> datetime | None:
    """Accept a date (midnight in the workspace time zone), a naive or an aware datetime."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return week_bounds_dt(value)
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _evidence_q(*, plan: Choices, since: Moment, until: Moment, prefix: str = "") -> Q | None:
    plans = _as_list(plan)
    if set(plans) - set(Plan.values):
        raise ValidationFailed(
            "Unknown plan filter.", errors={"plan": ", ".join(sorted(set(plans) - set(Plan.values)))}
        )
    since, until = _aware(since), _aware(until)
    parts: list[Q] = []
    if since is not None:
        parts.append(Q(**{f"{prefix}created_at__gte": since}))
    if until is not None:
        parts.append(Q(**{f"{prefix}created_at__lt": until}))
    if plans:
        parts.append(Q(**{f"{prefix}company__plan__in": plans}))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined &= part
    return combined


def _order(sort: str, order: str | None) -> list[OrderBy]:
    name = sort or "score"
    descending = None
    if name.startswith("-"):
        name, descending = name[1:], True
    elif name.startswith("+"):
        name, descending = name[1:], False
    if name not in SORTS:
        raise ValidationFailed(f"Unknown sort {sort!r}.", errors={"sort": f"must be one of {', '.join(SORTS)}"})
    alias, default_desc = SORTS[name]
    if order is not None:
        if order not in ("asc", "desc"):
            raise ValidationFailed("order is asc or desc.", errors={"order": "must be asc or desc"})
        descending = order == "desc"
    if descending is None:
        descending = default_desc
    expr = F(alias).desc(nulls_last=True) if descending else F(alias).asc(nulls_last=True)
    return [expr, F("id").desc()]


# ---------------------------------------------------------------------------------------------- ranking
def _rollup_queryset(
    *,
    kind: Choices = None,
    product_area: TaxonomyRef = None,
    status: Choices = None,
    product_feature: TaxonomyRef = None,
    owner: OwnerRef = None,
    q: str | None = None,
    weights: FeedbackSettings | None = None,
) -> QuerySet[FeedbackItem]:
    """Ranking from the rollups: items joined to ItemStats, no aggregation (one sort over ≤ N items)."""
    weights = weights or feedback_settings()
    items = _item_filters(
        FeedbackItem.objects.order_by(),
        kind=kind,
        product_area=product_area,
        status=status,
        product_feature=product_feature,
        owner=owner,
        q=q,
    )
    return items.annotate(
        mentions=Coalesce(F("stats__mentions"), Value(0)),
        unique_contacts=Coalesce(F("stats__unique_contacts"), Value(0)),
        unique_companies=Coalesce(F("stats__unique_companies"), Value(0)),
        blocker_contacts=Coalesce(F("stats__blocker_contacts"), Value(0)),
        mrr=Coalesce(F("stats__mrr"), Value(Decimal("0"))),
        first_heard=F("stats__first_heard"),
        last_heard=F("stats__last_heard"),
        recent_4w=Coalesce(F("stats__recent_4w"), Value(0)),
        previous_4w=Coalesce(F("stats__previous_4w"), Value(0)),
    ).annotate(
        growth=F("recent_4w") - F("previous_4w"),
        score=score_expression(
            weights,
            contacts=F("unique_contacts"),
            companies=F("unique_companies"),
            mrr=F("mrr"),
            blockers=F("blocker_contacts"),
            recent=F("recent_4w"),
            previous=F("previous_4w"),
        ),
    )


def _plan_rollup_queryset(
    plans: list[str],
    *,
    kind: Choices = None,
    product_area: TaxonomyRef = None,
    status: Choices = None,
    product_feature: TaxonomyRef = None,
    owner: OwnerRef = None,
    q: str | None = None,
    weights: FeedbackSettings | None = None,
) -> QuerySet[FeedbackItem]:
    """Ranking with a plan filter (no period) from the per-plan rollups: items joined to their ItemPlanStats rows
    of the chosen plans, summed per item (one row per plan at most, so ≤ 4 rows per item).

    Exact because a company is on one plan (mentions, companies, MRR add up) and, for several plans, only when
    no contact of the item spans plans (ItemStats.plan_overlap; the caller checks it).
    """
    weights = weights or feedback_settings()
    items = _item_filters(
        FeedbackItem.objects.order_by(),
        kind=kind,
        product_area=product_area,
        status=status,
        product_feature=product_feature,
        owner=owner,
        q=q,
    )
    return (
        items.filter(plan_stats__plan__in=plans)
        .annotate(
            mentions=Sum("plan_stats__mentions"),
            unique_contacts=Sum("plan_stats__unique_contacts"),
            unique_companies=Sum("plan_stats__unique_companies"),
            blocker_contacts=Sum("plan_stats__blocker_contacts"),
            mrr=Sum("plan_stats__mrr"),
            first_heard=Min("plan_stats__first_heard"),
            last_heard=Max("plan_stats__last_heard"),
            recent_4w=Sum("plan_stats__recent_4w"),
            previous_4w=Sum("plan_stats__previous_4w"),
        )
        .annotate(
            growth=ExpressionWrapper(F("recent_4w") - F("previous_4w"), output_field=IntegerField()),
            score=score_expression(
                weights,
                contacts=F("unique_contacts"),
                companies=F("unique_companies"),
                mrr=F("mrr"),
                blockers=F("blocker_contacts"),
                recent=F("recent_4w"),
                previous=F("previous_4w"),
            ),
        )
    )


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


def _as_datetime(value: str | datetime | None) -> datetime | None:
    """Raw cursors give SQLite timestamps as text; PostgreSQL gives aware datetimes."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def _company_figures_by_item(evidence: QuerySet[Evidence]) -> dict[int, tuple[int, Decimal]]:
    """Distinct companies and the SUM of their current MRR per item, over the DISTINCT (item, company) pairs.

    Two-level aggregate in one statement; a correlated subquery per item would be re-evaluated per evidence row
    once grouped, and SUM(DISTINCT mrr) would merge companies paying the same amount.
    """
    pairs = evidence.filter(company_id__isnull=False).order_by().values("item_id", "company_id").distinct()
    inner, params = pairs.query.sql_with_params()
    table = connection.ops.quote_name(Company._meta.db_table)
    sql = (
        f"SELECT p.item_id, COUNT(*), SUM(c.mrr) FROM ({inner}) p INNER JOIN {table} c ON c.id = p.company_id "  # noqa: S608 - a Django-compiled subquery (with its parameters) and the model's table
        f"GROUP BY p.item_id"
    )
    return {item_id: (n, Decimal(str(total or 0))) for item_id, n, total in _fetch(sql, params)}


def _contact_figures_by_item(
    evidence: QuerySet[Evidence], recent_from: datetime, previous_from: datetime
) -> dict[int, dict[str, Any]]:
    """Mentions, distinct contacts, blocker contacts, first/last heard and the trend per item, in two levels:
    GROUP BY (item, contact) then GROUP BY item. The inner level is a hash aggregate fed by an index-only scan;
    it replaces COUNT(DISTINCT), which sorts every item's rows. A NULL contact forms one inner group that
    counts its mentions but is not a contact (as COUNT(DISTINCT contact) ignores NULL).
    """
    blocker = Q(importance=Importance.BLOCKER)
    pairs = (
        evidence.order_by()
        .values("item_id", "contact_id")
        .annotate(
            n=Count("id"),
            b=Count("id", filter=blocker),
            f=Min("created_at"),
            l=Max("created_at"),
            r=Count("id", filter=Q(created_at__gte=recent_from)),
            p=Count("id", filter=Q(created_at__gte=previous_from, created_at__lt=recent_from)),
        )
    )
    inner, params = pairs.query.sql_with_params()
    sql = (
        "SELECT s.item_id, SUM(s.n), COUNT(s.contact_id), "  # noqa: S608 - a Django-compiled subquery (with its parameters)
        "SUM(CASE WHEN s.b > 0 AND s.contact_id IS NOT NULL THEN 1 ELSE 0 END), MIN(s.f), MAX(s.l), "
        f"SUM(s.r), SUM(s.p) FROM ({inner}) s GROUP BY s.item_id"
    )
    out: dict[int, dict[str, Any]] = {}
    for item_id, n, contacts, blockers, first, last, recent, previous in _fetch(sql, params):
        out[item_id] = {
            "mentions": int(n),
            "unique_contacts": int(contacts),
            "blocker_contacts": int(blockers or 0),
            "first_heard": _as_datetime(first),
            "last_heard": _as_datetime(last),
            "recent_4w": int(recent or 0),
            "previous_4w": int(previous or 0),
        }
    return out


@contextmanager
def _more_sort_memory() -> Iterator[None]:
    """On PostgreSQL, let this transaction's DISTINCT aggregates sort in memory (SET LOCAL ends with it), unless
    a report block (core/db.py reading_reports) already raised work_mem on this connection."""
    if connection.vendor == "postgresql" and not report_memory_raised(connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
    yield


def _live_rows(
    *,
    kind: Choices = None,
    product_area: TaxonomyRef = None,
    status: Choices = None,
    plan: Choices = None,
    since: Moment = None,
    until: Moment = None,
    product_feature: TaxonomyRef = None,
    owner: OwnerRef = None,
    q: str | None = None,
    item_ids: Iterable[int] | None = None,
) -> list[Row]:
    """Ranking rows aggregated live from the evidence matching a plan or period filter (exact, no rollup)."""
    weights = feedback_settings()
    weeks = week_starts()
    recent_from, previous_from = week_bounds_dt(weeks[-4]), week_bounds_dt(weeks[-8])
    items = _item_filters(
        FeedbackItem.objects.order_by(),
        kind=kind,
        product_area=product_area,
        status=status,
        product_feature=product_feature,
        owner=owner,
        q=q,
    )
    evidence = Evidence.objects.filter(_evidence_q(plan=plan, since=since, until=until))
    if any(v not in (None, "", [], ()) for v in (kind, product_area, status, product_feature, owner, q)):
        evidence = evidence.filter(item__in=items.values("pk"))
    if item_ids is not None:
        evidence = evidence.filter(item_id__in=item_ids)
    # (Without item filters no join is needed: merged items keep no evidence, their rows moved to the target.)
    with transaction.atomic(), _more_sort_memory():
        figures = _contact_figures_by_item(evidence, recent_from, previous_from)
        companies = _company_figures_by_item(evidence)
    rows: list[Row] = [
        dict(row)  # a plain dict: the figures are added below
        for row in items.values(
            "id",
            "title",
            "kind",
            "status",
            "product_area_id",
            "product_feature_id",
            "owner_id",
            "is_public",
            "created_at",
        )
        if row["id"] in figures
    ]
    for row in rows:
        row.update(figures[row["id"]])
        row["unique_companies"], row["mrr"] = companies.get(row["id"], (0, Decimal("0")))
        row["growth"] = row["recent_4w"] - row["previous_4w"]
        row["score"] = score_of(row, weights)
    return rows


def week_aligned(since: Moment) -> date | None:
    """The Monday `since` is the midnight of (workspace time zone), or None when it is another moment."""
    local = timezone.localtime(_aware(since))
    return local.date() if local.weekday() == 0 and local.time() == time.min else None


# The figures of a week window, in the order _window_figures gives them.
_WINDOW_FIGURES = (
    "mentions",
    "unique_contacts",
    "unique_companies",
    "blocker_contacts",
    "mrr",
    "recent_4w",
    "previous_4w",
)


def _window_figures(day: date, *, first_at: bool = False) -> dict[int, tuple[Any, ...]]:
    """{item id: figures (_WINDOW_FIGURES)} of the items heard since the Monday `day`: each item's first ItemWeek
    row at or after `day` (one index probe per item). The 4-week trend within the window comes from the item's
    trend (ItemStats) and its "since" mentions: the window either holds both trend windows, cuts the earlier
    one (previous = heard since `day` minus the last 4 weeks) or lies inside the last 4 weeks.
    `first_at`: also the first evidence since `day` (an eighth value), for a sort by first heard."""
    since = week_bounds_dt(day)
    table, stats = ItemWeek._meta.db_table, ItemStats._meta.db_table
    rows: Iterable[tuple[Any, ...]]
    if connection.vendor == "postgresql":
        rows = _fetch(
            f"SELECT s.item_id, w.since_mentions, w.since_contacts, w.since_companies, w.since_blocker_contacts, "  # noqa: S608 - the models' table names and a fixed column; the dates are parameters
            f"w.since_mrr, s.recent_4w, s.previous_4w{', w.first_at' if first_at else ''} FROM {stats} s "
            f"CROSS JOIN LATERAL (SELECT * FROM {table} w "
            f"WHERE w.item_id = s.item_id AND w.week_start >= %s ORDER BY w.week_start LIMIT 1) w "
            f"WHERE s.last_heard >= %s",
            [day, since],
        )
    else:  # no LATERAL: the first rows' ids, then the rows
        first_week = (
            ItemWeek.objects.filter(item_id=OuterRef("item_id"), week_start__gte=day)
            .order_by("week_start")
            .values("pk")[:1]
        )
        ids = list(
            ItemStats.objects.filter(last_heard__gte=since).order_by().values_list(Subquery(first_week), flat=True)
        )
        rows = (
            ItemWeek.objects.filter(pk__in=ids)
            .order_by()
            .values_list(
                "item_id",
                "since_mentions",
                "since_contacts",
                "since_companies",
                "since_blocker_contacts",
                "since_mrr",
                "item__stats__recent_4w",
                "item__stats__previous_4w",
                *(["first_at"] if first_at else []),
            )
        )
    weeks = week_starts()
    out: dict[int, tuple[Any, ...]] = {}
    for item_id, mentions, contacts, companies, blockers, mrr, recent, previous, *first in rows:
        if day > weeks[-4]:
            recent, previous = mentions, 0
        elif day > weeks[-8]:
            previous = mentions - recent
        out[item_id] = (mentions, contacts, companies, blockers, mrr, recent, previous, *first)
    return out


def _window_page(
    day: date,
    *,
    sort: str,
    order: str | None,
    offset: int,
    limit: int,
    kind: Choices = None,
    product_area: TaxonomyRef = None,
    status: Choices = None,
    product_feature: TaxonomyRef = None,
    owner: OwnerRef = None,
    q: str | None = None,
) -> list[Row]:
    """A page of the ranking of evidence heard since the Monday `day`, from the ItemWeek "since" figures.
    Exact: the same figures as _live_rows computes from the evidence (docs/feedback-scoring.md).
    Only the sort value is built for every item and whole rows for the page: building 10,000 rows (and
    converting their timestamps) cost more than the queries."""
    weights = feedback_settings()
    window_stats_fill_missing()
    stats_refresh_stale_mrr(settings_row=weights)
    stats_refresh_stale_trend()
    alias = cast(F, _order(sort, order)[0].expression).name  # _order orders by F(alias)
    figures = _window_figures(day, first_at=alias == "first_heard")
    items = _item_filters(
        FeedbackItem.objects.order_by(),
        kind=kind,
        product_area=product_area,
        status=status,
        product_feature=product_feature,
        owner=owner,
        q=q,
    )
    keyed: list[Row] = []
    if alias in ("title", "created_at", "last_heard"):
        column = {"title": "title", "created_at": "created_at", "last_heard": "stats__last_heard"}[alias]
        keyed = [
            {"id": item_id, alias: value} for item_id, value in items.values_list("id", column) if item_id in figures
        ]
    else:
        for item_id in items.values_list("id", flat=True):
            if item_id in figures:
                value = (
                    figures[item_id][7]
                    if alias == "first_heard"
                    else _window_row({}, figures[item_id][:7], weights)[alias]
                )
                keyed.append({"id": item_id, alias: value})
    page_ids = [row["id"] for row in _python_sort(keyed, sort, order)[offset : offset + limit]]
    fields = ("id", "title", "kind", "status", "product_area_id", "product_feature_id", "owner_id", "is_public")
    by_id = {row["id"]: row for row in FeedbackItem.objects.filter(pk__in=page_ids).values(*fields)}
    rows = [_window_row(by_id[item_id], figures[item_id][:7], weights) for item_id in page_ids]
    _add_times(rows, day)
    return rows


def _window_row(row: Row, figures: tuple[Any, ...], weights: FeedbackSettings) -> Row:
    row.update(zip(_WINDOW_FIGURES, figures, strict=True))
    row["growth"] = row["recent_4w"] - row["previous_4w"]
    row["score"] = score_of(row, weights)
    return row


def _add_times(rows: list[Row], day: date) -> None:
    """created_at, first heard (the first week's earliest evidence) and last heard since the Monday `day`."""
    ids = [row["id"] for row in rows]
    created = dict(FeedbackItem.objects.filter(pk__in=ids).values_list("pk", "created_at"))
    last = dict(ItemStats.objects.filter(item_id__in=ids).values_list("item_id", "last_heard"))
    first = dict(
        ItemWeek.objects.filter(item_id__in=ids, week_start__gte=day)
        .order_by("item_id", "-week_start")
        .values_list("item_id", "first_at")
    )  # the earliest week comes last and wins
    for row in rows:
        row["created_at"], row["last_heard"], row["first_heard"] = created[row["id"]], last[row["id"]], first[row["id"]]


def _python_sort(rows: list[Row], sort: str, order: str | None) -> list[Row]:
    [primary, _tiebreak] = _order(sort, order)
    alias, descending = cast(F, primary.expression).name, primary.descending  # _order orders by F(alias)
    present = [r for r in rows if r[alias] is not None]
    missing = [r for r in rows if r[alias] is None]
    present.sort(key=lambda r: r["id"], reverse=True)  # tie-break: newest id first (stable sorts keep it)
    present.sort(key=lambda r: r[alias], reverse=descending)
    missing.sort(key=lambda r: r["id"], reverse=True)
    return present + missing


def _weekly_for(ids: list[int], evidence_filter: Q | None, from_week: date | None = None) -> dict[int, list[int]]:
    """Mentions per week of the last 12, per item: from ItemWeek without an evidence filter or with a
    week-aligned `from_week` (earlier weeks stay 0), else from the matching evidence."""
    weeks = week_starts()
    index = {w: i for i, w in enumerate(weeks)}
    out = {i: [0] * WEEKS for i in ids}
    if evidence_filter is None or from_week is not None:
        first = max(weeks[0], from_week or weeks[0])
        for item_id, start, n in (
            ItemWeek.objects.filter(item_id__in=ids, week_start__gte=first)
            .order_by()
            .values_list("item_id", "week_start", "mentions")
        ):
            if start in index:
                out[item_id][index[start]] += n
        return out
    rows = (
        Evidence.objects.filter(evidence_filter, item_id__in=ids, created_at__gte=week_bounds_dt(weeks[0]))
        .annotate(week=TruncWeek("created_at"))
        .values("item_id", "week")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        wk = row["week"]
        day = week_start(timezone.localtime(wk).date() if isinstance(wk, datetime) else wk)
        if day in index:
            out[row["item_id"]][index[day]] += row["n"]
    return out


def _plan_rollups_exact(plans: list[str], filters: dict[str, Any]) -> bool:
    """Bring the per-plan rollups up to date; False when they cannot answer exactly (then aggregate live).

    Several plans: a contact heard through companies now on different plans would be counted once per plan,
    so items flagged plan_overlap send the ranking to the live aggregation (rare: the contact moved company).
    """
    stats_refresh_stale_mrr()
    plan_stats_fill_missing()
    plan_stats_refresh_stale_trend()
    if len(set(plans)) < 2:
        return True
    items = _item_filters(FeedbackItem.objects.order_by(), **filters)
    return not ItemStats.objects.filter(plan_overlap=True, item__in=items.values("pk")).exists()


def feedback_ranking(
    *,
    kind: Choices = None,
    product_area: TaxonomyRef = None,
    status: Choices = None,
    plan: Choices = None,
    since: Moment = None,
    until: Moment = None,
    sort: str = "score",
    limit: int = 50,
    offset: int = 0,
    order: str | None = None,
    product_feature: TaxonomyRef = None,
    owner: OwnerRef = None,
    q: str | None = None,
) -> list[Row]:
    """Ranked items with their figures. Merged items are left out unless `status` asks for them.

    Filters: kind(s), product area, status(es), plan(s) of the requesting companies (current plan), period of
    the evidence [since, until). Sort by any figure or by the workspace score, biggest first ("+name" or
    order="asc" to reverse). Each row: id, title, kind, status, mentions, unique_contacts, unique_companies,
    mrr, score, weekly (12 ints, oldest first), growth (mentions last 4 weeks minus the 4 before), growth_pct,
    recent_4w, previous_4w, first_heard, last_heard, blocker_contacts, product_area_id, owner_id.

    Without a plan or period filter the rollups answer (one query for the page, one for its weekly counts);
    with a plan filter alone, the per-plan rollups (ItemPlanStats); with only a `since` that is a Monday's
    midnight (the ranking page's "last N weeks"), the ItemWeek "since" figures; with any other period, the
    matching evidence is aggregated live (two grouped queries over covering indexes). The last two are
    sorted in Python.
    """
    limit = max(1, min(int(limit), 500))
    offset = max(0, int(offset))
    evq = _evidence_q(plan=plan, since=since, until=until)
    filters: dict[str, Any] = dict(
        kind=kind, product_area=product_area, status=status, product_feature=product_feature, owner=owner, q=q
    )
    plans = _as_list(plan)
    from_week = week_aligned(since) if since is not None and until is None and not plans else None
    if evq is None:
        ordering = _order(sort, order)
        weights = feedback_settings()
        stats_refresh_stale_mrr(settings_row=weights)
        stats_refresh_stale_trend()
        rows = list(
            _rollup_queryset(**filters, weights=weights)
            .order_by(*ordering)
            .values(*ROW_FIELDS)[offset : offset + limit]
        )
    elif plans and since is None and until is None and _plan_rollups_exact(plans, filters):
        ordering = _order(sort, order)
        weights = feedback_settings()
        rows = list(
            _plan_rollup_queryset(plans, **filters, weights=weights)
            .order_by(*ordering)
            .values(*ROW_FIELDS)[offset : offset + limit]
        )
    elif from_week is not None:
        rows = _window_page(from_week, sort=sort, order=order, offset=offset, limit=limit, **filters)
    else:
        rows = _python_sort(_live_rows(**filters, plan=plan, since=since, until=until), sort, order)
        rows = rows[offset : offset + limit]
    weekly = _weekly_for([r["id"] for r in rows], evq, from_week)
    for row in rows:
        row["weekly"] = weekly[row["id"]]
        row["mrr"] = Decimal(row["mrr"] or 0).quantize(Decimal("0.01"))
        row["score"] = round(float(row["score"] or 0), 4)
        row["growth_pct"] = growth_pct(row["recent_4w"], row["previous_4w"])
    return rows


def feedback_ranking_count(
    *,
    kind: Choices = None,
    product_area: TaxonomyRef = None,
    status: Choices = None,
    plan: Choices = None,
    since: Moment = None,
    until: Moment = None,
    product_feature: TaxonomyRef = None,
    owner: OwnerRef = None,
    q: str | None = None,
) -> int:
    """How many rows feedback_ranking would return without a limit."""
    items = _item_filters(
        FeedbackItem.objects.order_by(),
        kind=kind,
        product_area=product_area,
        status=status,
        product_feature=product_feature,
        owner=owner,
        q=q,
    )
    evq = _evidence_q(plan=plan, since=since, until=until)
    plans = _as_list(plan)
    if evq is not None and plans and since is None and until is None:
        # A per-plan rollup row exists exactly when the item has evidence from a company now on that plan.
        stats_refresh_stale_mrr()
        plan_stats_fill_missing()
        items = items.filter(Exists(ItemPlanStats.objects.filter(item_id=OuterRef("pk"), plan__in=plans)))
    elif evq is not None and not plans and until is None:
        items = items.filter(stats__last_heard__gte=_aware(since))  # heard since then: its last evidence is
    elif evq is not None:
        items = items.filter(Exists(Evidence.objects.filter(evq, item_id=OuterRef("pk"))))
    return items.count()
