"""The counting rules in SQL, and the rollup rows (ItemStats, ItemWeek) that keep ranking fast.

Counting an item's evidence (the one definition, used live for one item and to rebuild the rollups):
- mentions: evidence rows;
- unique contacts / unique companies: COUNT(DISTINCT ...), so a contact heard twice is one customer;
- MRR: the sum of the *current* MRR of the distinct companies. It is a correlated subquery
  `SUM(company.mrr) WHERE company.id IN (companies of the item's evidence)`, never `SUM(DISTINCT mrr)`,
  which would merge two companies that happen to pay the same amount;
- first/last heard: MIN/MAX of the evidence time;
- weekly mentions bucketed by the Monday of the week in the workspace time zone.

Services call `stats_recompute(item_ids=...)` in the same transaction as any evidence change, merge or
deletion, so the rollups are exact (ItemStats, ItemWeek with its "since this week" figures, and the per-plan
ItemPlanStats). Recomputing one item reads only that item's evidence (index on item).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DecimalField, F, Func, Max, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from supportloop.customers.models import Company
from supportloop.feedback.choices import Importance
from supportloop.feedback.models import Evidence, FeedbackItem, FeedbackSettings, ItemPlanStats, ItemStats, ItemWeek

WEEKS = 12


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_starts(*, today: date | None = None, weeks: int = WEEKS) -> list[date]:
    """The Mondays of the last `weeks` weeks, oldest first; the last one is the current (partial) week."""
    this_monday = week_start(today or timezone.localdate())
    return [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def week_bounds_dt(day: date) -> datetime:
    """Midnight at the start of `day` in the workspace time zone, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def mrr_subquery(item_ref, evidence_filter: Q | None = None) -> Coalesce:
    """SUM of current company MRR over the distinct companies of one item's (filtered) evidence."""
    companies = Evidence.objects.filter(evidence_filter or Q(), item_id=item_ref, company_id__isnull=False)
    total = (
        Company.objects.filter(pk__in=companies.values("company_id"))
        .order_by()
        .annotate(total=Func(F("mrr"), function="SUM"))
        .values("total")[:1]
    )
    return Coalesce(
        Subquery(total, output_field=DecimalField(max_digits=14, decimal_places=2)),
        Value(Decimal("0")),
        output_field=DecimalField(max_digits=14, decimal_places=2),
    )


def figure_aggregates(prefix: str = "", evidence_filter: Q | None = None) -> dict:
    """Aggregates over evidence rows; `prefix` is "evidence__" when aggregating from FeedbackItem."""

    def q(extra: Q | None = None) -> Q | None:
        parts = [p for p in (evidence_filter, extra) if p is not None]
        if not parts:
            return None
        combined = parts[0]
        for p in parts[1:]:
            combined &= p
        return combined

    blocker = Q(**{f"{prefix}importance": Importance.BLOCKER})
    return {
        "mentions": Count(f"{prefix}id", filter=q()),
        "unique_contacts": Count(f"{prefix}contact", distinct=True, filter=q()),
        "unique_companies": Count(f"{prefix}company", distinct=True, filter=q()),
        "blocker_contacts": Count(f"{prefix}contact", distinct=True, filter=q(blocker)),
        "first_heard": Min(f"{prefix}created_at", filter=q()),
        "last_heard": Max(f"{prefix}created_at", filter=q()),
    }


def _last_weeks(pairs, *, with_mrr: bool = False) -> dict[tuple[int, date], tuple[int, Decimal | None]]:
    """{(item, Monday): (how many, their companies' current MRR)} for `pairs` (evidence grouped by item and a
    contact or company), each counted in the week of its last evidence. Two levels in SQL: a hot item has
    tens of thousands of contacts, too many to bring into Python one by one."""
    inner, params = pairs.annotate(last=Max("created_at")).query.sql_with_params()
    week: str
    week_params: tuple[Any, ...]
    # Django (4.1+) returns (sql, params); django-stubs still declares a str.
    week, week_params = connection.ops.datetime_trunc_sql("week", "p.last", (), timezone.get_current_timezone_name())  # type: ignore[misc]
    mrr_sql, join = (
        ("SUM(c.mrr)", f" JOIN {connection.ops.quote_name(Company._meta.db_table)} c ON c.id = p.company_id")
        if with_mrr
        else ("NULL", "")
    )
    sql = f"SELECT p.item_id, {week}, COUNT(*), {mrr_sql} FROM ({inner}) p{join} GROUP BY 1, 2"  # noqa: S608 - Django-compiled subquery and week truncation (with their parameters), the model's table
    with connection.cursor() as cursor:
        cursor.execute(sql, (*week_params, *params))
        rows = cursor.fetchall()
    out: dict[tuple[int, date], tuple[int, Decimal | None]] = {}
    for item_id, truncated, n, mrr in rows:
        # The truncation is a local time without a zone (a string on SQLite): its date is the Monday.
        moment = parse_datetime(truncated) if isinstance(truncated, str) else truncated
        if moment is None:
            raise ValueError(f"unreadable week truncation {truncated!r}")
        out[(item_id, moment.date())] = (n, mrr)
    return out


def _weeks_for(ids: list[int]) -> list[ItemWeek]:
    """The ItemWeek rows of items: mentions and first evidence per week, and the "since this week" figures
    (each contact, company and blocker contact counted in the week of its last evidence, summed from the
    newest week back)."""
    evidence = Evidence.objects.filter(item_id__in=ids).order_by()
    rows: dict[tuple[int, date], ItemWeek] = {}
    for row in (
        evidence.annotate(week=TruncWeek("created_at"))
        .values("item_id", "week")
        .annotate(n=Count("id"), first=Min("created_at"))
    ):
        week = row["week"]
        day = week_start(timezone.localtime(week).date() if isinstance(week, datetime) else week)
        rows[(row["item_id"], day)] = ItemWeek(
            item_id=row["item_id"], week_start=day, mentions=row["n"], first_at=row["first"], since_mentions=row["n"]
        )
    contacts = evidence.filter(contact_id__isnull=False).values("item_id", "contact_id")
    for (item_id, day), (n, _mrr) in _last_weeks(contacts).items():
        rows[(item_id, day)].since_contacts += n
    for (item_id, day), (n, _mrr) in _last_weeks(contacts.filter(importance=Importance.BLOCKER)).items():
        rows[(item_id, day)].since_blocker_contacts += n
    companies = evidence.filter(company_id__isnull=False).values("item_id", "company_id")
    for (item_id, day), (n, mrr) in _last_weeks(companies, with_mrr=True).items():
        rows[(item_id, day)].since_companies += n
        rows[(item_id, day)].since_mrr += Decimal(str(mrr or 0))
    out = sorted(rows.values(), key=lambda w: (w.item_id, w.week_start), reverse=True)
    for later, week in pairwise(out):  # newest first: add what came after, within the same item
        if later.item_id == week.item_id:
            week.since_mentions += later.since_mentions
            week.since_contacts += later.since_contacts
            week.since_companies += later.since_companies
            week.since_blocker_contacts += later.since_blocker_contacts
            week.since_mrr += later.since_mrr
    return out


def _lock_items(ids: list[int]) -> None:
    """Lock the items' ItemStats rows (in id order, so two lockers cannot deadlock) before reading their
    evidence to rebuild a rollup: a ranking that refreshes rollups and a service that changes evidence then
    take turns instead of one overwriting the other's fresh rows with figures read before its commit."""
    list(ItemStats.objects.select_for_update().filter(item_id__in=ids).order_by("item_id").values_list("item_id"))


def _weeks_replace(ids: list[int]) -> list[ItemWeek]:
    _lock_items(ids)
    weeks = _weeks_for(ids)
    ItemWeek.objects.filter(item_id__in=ids).delete()
    ItemWeek.objects.bulk_create(weeks, batch_size=2000)
    ItemStats.objects.filter(item_id__in=ids).update(windows_computed=True)
    return weeks


def window_stats_fill_missing() -> int:
    """Compute the "since" figures of items that have none yet (after the migration that added them).

    One indexed probe when every item has them; returns the number of items computed.
    """
    ids = sorted(ItemStats.objects.filter(windows_computed=False).values_list("item_id", flat=True))
    if ids:
        with transaction.atomic():
            for start in range(0, len(ids), 500):
                _weeks_replace(ids[start : start + 500])
    return len(ids)


@transaction.atomic
def stats_recompute(*, item_ids: Iterable[int]) -> None:
    """Rebuild ItemStats and ItemWeek of the given items from their evidence (exact)."""
    ids = sorted({int(i) for i in item_ids if i is not None})
    if not ids:
        return
    now = timezone.now()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        _lock_items(chunk)
        rows = (
            FeedbackItem.objects.filter(pk__in=chunk)
            .order_by()
            .values("pk")  # group by the key alone: also runnable from a migration, whatever columns come later
            .annotate(**figure_aggregates("evidence__"))
            .values("pk", *figure_aggregates().keys())
        )
        mrr = dict(
            FeedbackItem.objects.filter(pk__in=chunk)
            .order_by()
            .annotate(m=mrr_subquery(OuterRef(OuterRef("pk"))))
            .values_list("pk", "m")
        )
        stats = [
            ItemStats(
                item_id=r["pk"],
                mentions=r["mentions"],
                unique_contacts=r["unique_contacts"],
                unique_companies=r["unique_companies"],
                blocker_contacts=r["blocker_contacts"],
                first_heard=r["first_heard"],
                last_heard=r["last_heard"],
                mrr=mrr.get(r["pk"]) or Decimal("0"),
                computed_at=now,
            )
            for r in rows
        ]
        weeks = _weeks_for(chunk)
        recent, previous = _trend_of(weeks)
        for row in stats:
            row.recent_4w, row.previous_4w = recent.get(row.item_id, 0), previous.get(row.item_id, 0)
            row.trend_week = current_week()
            row.windows_computed = True
        ItemStats.objects.filter(item_id__in=chunk).delete()
        ItemStats.objects.bulk_create(stats)
        ItemWeek.objects.filter(item_id__in=chunk).delete()
        ItemWeek.objects.bulk_create(weeks, batch_size=2000)
        _plan_rows_recompute(chunk)


def _plan_rows_recompute(ids: list[int]) -> None:
    """Rebuild the ItemPlanStats rows (figures per current company plan) and the plan_overlap flag of items.

    Same definitions as ItemStats, over the evidence whose company is now on each plan. MRR: the distinct
    (item, company) pairs with the company's current plan and MRR, summed once per company.
    """
    weeks = week_starts()
    recent_from, previous_from = week_bounds_dt(weeks[-4]), week_bounds_dt(weeks[-8])
    week = current_week()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        _lock_items(chunk)
        evidence = Evidence.objects.filter(item_id__in=chunk, company_id__isnull=False).order_by()
        rows = {}
        for r in evidence.values("item_id", plan=F("company__plan")).annotate(
            **figure_aggregates(),
            recent_4w=Count("id", filter=Q(created_at__gte=recent_from)),
            previous_4w=Count("id", filter=Q(created_at__gte=previous_from, created_at__lt=recent_from)),
        ):
            rows[(r["item_id"], r["plan"])] = ItemPlanStats(
                item_id=r["item_id"],
                plan=r["plan"],
                mentions=r["mentions"],
                unique_contacts=r["unique_contacts"],
                unique_companies=r["unique_companies"],
                blocker_contacts=r["blocker_contacts"],
                first_heard=r["first_heard"],
                last_heard=r["last_heard"],
                recent_4w=r["recent_4w"],
                previous_4w=r["previous_4w"],
                trend_week=week,
                mrr=Decimal("0"),
            )
        pairs = evidence.values_list("item_id", "company_id", "company__plan", "company__mrr").distinct()
        for item_id, _company_id, plan, mrr in pairs:
            rows[(item_id, plan)].mrr += mrr or Decimal("0")
        overlap = set(
            evidence.filter(contact_id__isnull=False)
            .values("item_id", "contact_id")
            .annotate(plans=Count("company__plan", distinct=True))
            .filter(plans__gt=1)
            .values_list("item_id", flat=True)
            .distinct()
        )
        ItemPlanStats.objects.filter(item_id__in=chunk).delete()
        ItemPlanStats.objects.bulk_create(rows.values(), batch_size=2000)
        ItemStats.objects.filter(item_id__in=chunk).update(plans_computed=True, plan_overlap=False)
        if overlap:
            ItemStats.objects.filter(item_id__in=overlap).update(plan_overlap=True)


def plan_stats_fill_missing() -> int:
    """Compute the per-plan rollups of items that have none yet (after the migration or a bulk load).

    One indexed probe when every item has them; returns the number of items computed.
    """
    ids = list(ItemStats.objects.filter(plans_computed=False).values_list("item_id", flat=True))
    if ids:
        with transaction.atomic():
            _plan_rows_recompute(sorted(ids))
    return len(ids)


def plan_stats_refresh_stale_trend() -> int:
    """Recompute the 4-week trend of per-plan rows computed in an earlier week (once a week); returns rows.

    Counts the plan's evidence of the last 8 weeks per row (index on evidence (item, time)).
    """
    week = current_week()
    stale = ItemPlanStats.objects.filter(Q(trend_week__isnull=True) | ~Q(trend_week=week))
    if not stale.exists():
        return 0
    starts = week_starts()
    recent_from, previous_from = week_bounds_dt(starts[-4]), week_bounds_dt(starts[-8])

    def window(lo: datetime, hi: datetime | None):
        rows = Evidence.objects.filter(item_id=OuterRef("item_id"), company__plan=OuterRef("plan"), created_at__gte=lo)
        if hi is not None:
            rows = rows.filter(created_at__lt=hi)
        total = rows.order_by().values("item_id").annotate(n=Count("id")).values("n")[:1]
        return Coalesce(Subquery(total), Value(0))

    with transaction.atomic():
        return stale.update(
            recent_4w=window(recent_from, None), previous_4w=window(previous_from, recent_from), trend_week=week
        )


def current_week() -> date:
    return week_start(timezone.localdate())


def _trend_of(weeks: list[ItemWeek]) -> tuple[dict[int, int], dict[int, int]]:
    """Mentions per item in the last 4 weeks (this one included) and in the 4 before."""
    starts = week_starts()
    recent_from, previous_from = starts[-4], starts[-8]
    recent: dict[int, int] = {}
    previous: dict[int, int] = {}
    for w in weeks:
        if w.week_start >= recent_from:
            recent[w.item_id] = recent.get(w.item_id, 0) + w.mentions
        elif w.week_start >= previous_from:
            previous[w.item_id] = previous.get(w.item_id, 0) + w.mentions
    return recent, previous


def stats_refresh_stale_trend() -> int:
    """Recompute the 4-week trend of rollup rows computed in an earlier week; returns rows refreshed.

    One indexed probe when nothing is stale; one UPDATE with two correlated sums per item once a week.
    """
    week = current_week()
    stale = ItemStats.objects.filter(Q(trend_week__isnull=True) | Q(trend_week__lt=week) | Q(trend_week__gt=week))
    if not stale.exists():
        return 0
    starts = week_starts()

    def window(lo: date, hi: date | None):
        rows = ItemWeek.objects.filter(item_id=OuterRef("item_id"), week_start__gte=lo)
        if hi is not None:
            rows = rows.filter(week_start__lt=hi)
        total = rows.order_by().values("item_id").annotate(s=Sum("mentions")).values("s")[:1]
        return Coalesce(Subquery(total), Value(0))

    with transaction.atomic():
        return stale.update(
            recent_4w=window(starts[-4], None), previous_4w=window(starts[-8], starts[-4]), trend_week=week
        )


def stats_rebuild_all() -> int:
    """Rebuild every item's rollups (after a bulk load or to repair); returns the number of items."""
    ids = list(FeedbackItem.objects.values_list("pk", flat=True))
    stats_recompute(item_ids=ids)
    settings_row = feedback_settings()
    FeedbackSettings.objects.filter(pk=settings_row.pk).update(mrr_watermark=timezone.now())
    return len(ids)


def feedback_settings() -> FeedbackSettings:
    """The workspace's one settings row, created with defaults on first use."""
    row = FeedbackSettings.objects.order_by("pk").first()
    if row is None:
        row, _ = FeedbackSettings.objects.get_or_create(pk=1)
    return row


def stats_refresh_stale_mrr(*, settings_row: FeedbackSettings | None = None) -> int:
    """Bring rollup MRR up to date with companies changed since the last refresh; returns items refreshed.

    Company.updated_at is indexed and set by customers.services.company_update, so this is one index probe
    when nothing changed.
    """
    row = settings_row or feedback_settings()
    qs = Company.objects.all()
    if row.mrr_watermark is not None:
        qs = qs.filter(updated_at__gt=row.mrr_watermark)
    latest = qs.aggregate(m=Max("updated_at"))["m"]
    if latest is None:
        if row.mrr_watermark is None:
            FeedbackSettings.objects.filter(pk=row.pk).update(mrr_watermark=timezone.now())
        return 0
    changed = qs.values("pk")
    item_ids = sorted(Evidence.objects.filter(company_id__in=changed).values_list("item_id", flat=True).distinct())
    if item_ids:
        with transaction.atomic():
            for start in range(0, len(item_ids), 500):
                chunk = item_ids[start : start + 500]
                _lock_items(chunk)
                mrr = dict(
                    FeedbackItem.objects.filter(pk__in=chunk)
                    .order_by()
                    .annotate(m=mrr_subquery(OuterRef(OuterRef("pk"))))
                    .values_list("pk", "m")
                )
                for item_id, value in mrr.items():
                    ItemStats.objects.filter(item_id=item_id).update(mrr=value or Decimal("0"))
            # A company may have changed plan as well as MRR: its items' per-plan rows move between plans.
            _plan_rows_recompute(item_ids)
            for start in range(0, len(item_ids), 500):  # and the "since" MRR of their weeks
                _weeks_replace(item_ids[start : start + 500])
    FeedbackSettings.objects.filter(pk=row.pk).update(mrr_watermark=latest)
    return len(item_ids)
