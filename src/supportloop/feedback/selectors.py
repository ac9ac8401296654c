"""Reads of feedback shared by the pages and the API: ranking, item figures, roadmap, digest, exports.

Counting rules live in rollups.py. The ranking reads the rollups (ItemStats, ItemWeek) when no period or
plan filter is given; with one, it aggregates the matching evidence in SQL (still exact, slower).
"""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Count, Exists, ExpressionWrapper, F, FloatField, OuterRef, Prefetch, Q, QuerySet, Sum, Value,
)
from django.db.models.functions import Cast, Coalesce, TruncWeek
from django.utils import timezone

from supportloop.core.errors import NotFound, ValidationFailed
from supportloop.customers.choices import Plan
from supportloop.customers.models import Company
from supportloop.feedback.choices import ItemStatus, Kind, NoticeStatus, Severity
from supportloop.feedback.models import (
    BugReport, ClosingNotice, Evidence, FeedbackItem, FeedbackSettings, ItemWeek, StatusChange,
)
from supportloop.feedback.rollups import (
    WEEKS, feedback_settings, figure_aggregates, stats_refresh_stale_mrr, stats_refresh_stale_trend, week_bounds_dt,
    week_start, week_starts,
)
from supportloop.tickets.models import ProductArea, ProductFeature

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
ROW_FIELDS = ("id", "title", "kind", "status", "product_area_id", "product_feature_id", "owner_id", "is_public",
              "created_at", "mentions", "unique_contacts", "unique_companies", "blocker_contacts", "mrr",
              "first_heard", "last_heard", "recent_4w", "previous_4w", "growth", "score")


# ---------------------------------------------------------------------------------------------- score
def score_expression(weights: FeedbackSettings, *, contacts, companies, mrr, blockers, recent, previous):
    """The score in SQL; the same formula as `score_of` (docs/feedback-scoring.md)."""
    def fl(expr):
        return Cast(expr, FloatField())

    return ExpressionWrapper(
        Value(weights.w_contacts) * fl(contacts) + Value(weights.w_companies) * fl(companies)
        + Value(weights.w_mrr) * fl(mrr) / Value(1000.0) + Value(weights.w_blockers) * fl(blockers)
        + Value(weights.w_trend) * (fl(recent) - fl(previous)),
        output_field=FloatField())


def score_of(figures: dict, weights: FeedbackSettings | None = None) -> float:
    w = weights or feedback_settings()
    return round(w.w_contacts * figures["unique_contacts"] + w.w_companies * figures["unique_companies"]
                 + w.w_mrr * float(figures["mrr"]) / 1000.0 + w.w_blockers * figures["blocker_contacts"]
                 + w.w_trend * (figures["recent_4w"] - figures["previous_4w"]), 4)


def growth_pct(recent: int, previous: int) -> float | None:
    """Percent change of the last 4 weeks against the 4 before; None when nothing was heard before."""
    if previous == 0:
        return None
    return round((recent - previous) * 100.0 / previous, 1)


# ---------------------------------------------------------------------------------------------- filters
def _as_list(value) -> list:
    if value is None or value == "" or value == []:
        return []
    return list(value) if isinstance(value, (list, tuple, set)) else [value]


def _pk(value) -> int | None:
    if value is None or value == "":
        return None
    return value.pk if hasattr(value, "pk") else int(value)


def _taxonomy_pk(value, model) -> int | None:
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


def _item_filters(qs: QuerySet, *, kind, product_area, status, product_feature=None, owner=None,
                  q: str | None = None) -> QuerySet:
    kinds = _as_list(kind)
    if set(kinds) - set(Kind.values):
        raise ValidationFailed("Unknown kind filter.", errors={"kind": ", ".join(sorted(set(kinds) - set(Kind.values)))})
    statuses = _as_list(status)
    if set(statuses) - set(ItemStatus.values):
        raise ValidationFailed("Unknown status filter.",
                               errors={"status": ", ".join(sorted(set(statuses) - set(ItemStatus.values)))})
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if statuses:
        qs = qs.filter(status__in=statuses)
    else:
        qs = qs.exclude(status=ItemStatus.MERGED)
    area_pk, feature_pk = _taxonomy_pk(product_area, ProductArea), _taxonomy_pk(product_feature, ProductFeature)
    if area_pk is not None:
        qs = qs.filter(product_area_id=area_pk)
    if feature_pk is not None:
        qs = qs.filter(product_feature_id=feature_pk)
    if _pk(owner) is not None:
        qs = qs.filter(owner_id=_pk(owner))
    if q:
        qs = qs.filter(title__icontains=q.strip())
    return qs


def _aware(value):
    """Accept a date (midnight in the workspace time zone), a naive or an aware datetime."""
    if value is None:
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return week_bounds_dt(value)
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


def _evidence_q(*, plan, since, until, prefix: str = "") -> Q | None:
    plans = _as_list(plan)
    if set(plans) - set(Plan.values):
        raise ValidationFailed("Unknown plan filter.", errors={"plan": ", ".join(sorted(set(plans) - set(Plan.values)))})
    since, until = _aware(since), _aware(until)
    parts = []
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


def _order(sort: str, order: str | None) -> list:
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
def _rollup_queryset(*, kind=None, product_area=None, status=None, product_feature=None, owner=None,
                     q=None, weights: FeedbackSettings | None = None) -> QuerySet:
    """Ranking from the rollups: items joined to ItemStats, no aggregation (one sort over ≤ N items)."""
    weights = weights or feedback_settings()
    items = _item_filters(FeedbackItem.objects.order_by(), kind=kind, product_area=product_area, status=status,
                          product_feature=product_feature, owner=owner, q=q)
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
        score=score_expression(weights, contacts=F("unique_contacts"), companies=F("unique_companies"),
                               mrr=F("mrr"), blockers=F("blocker_contacts"), recent=F("recent_4w"),
                               previous=F("previous_4w")),
    )


def _mrr_by_item(evidence: QuerySet[Evidence]) -> dict[int, Decimal]:
    """SUM of current company MRR per item over the DISTINCT (item, company) pairs of the given evidence.

    Two-level aggregate in one statement; a correlated subquery per item would be re-evaluated per evidence row
    once grouped, and SUM(DISTINCT mrr) would merge companies paying the same amount.
    """
    pairs = evidence.filter(company_id__isnull=False).order_by().values("item_id", "company_id").distinct()
    inner, params = pairs.query.sql_with_params()
    table = connection.ops.quote_name(Company._meta.db_table)
    sql = (f"SELECT p.item_id, SUM(c.mrr) FROM ({inner}) p INNER JOIN {table} c ON c.id = p.company_id "
           f"GROUP BY p.item_id")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {item_id: Decimal(str(total or 0)) for item_id, total in cursor.fetchall()}


@contextmanager
def _more_sort_memory():
    """On PostgreSQL, let this transaction's DISTINCT aggregates sort in memory (SET LOCAL ends with it)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'")
    yield


def _live_rows(*, kind=None, product_area=None, status=None, plan=None, since=None, until=None,
               product_feature=None, owner=None, q=None) -> list[dict]:
    """Ranking rows aggregated live from the evidence matching a plan or period filter (exact, no rollup)."""
    weights = feedback_settings()
    weeks = week_starts()
    recent_from, previous_from = week_bounds_dt(weeks[-4]), week_bounds_dt(weeks[-8])
    items = _item_filters(FeedbackItem.objects.order_by(), kind=kind, product_area=product_area, status=status,
                          product_feature=product_feature, owner=owner, q=q)
    evidence = Evidence.objects.filter(_evidence_q(plan=plan, since=since, until=until))
    if any(v not in (None, "", [], ()) for v in (kind, product_area, status, product_feature, owner, q)):
        evidence = evidence.filter(item__in=items.values("pk"))
    # (Without item filters no join is needed: merged items keep no evidence, their rows moved to the target.)
    with transaction.atomic(), _more_sort_memory():
        figures = {row["item_id"]: row for row in evidence.order_by().values("item_id").annotate(
            **figure_aggregates(),
            recent_4w=Count("id", filter=Q(created_at__gte=recent_from)),
            previous_4w=Count("id", filter=Q(created_at__gte=previous_from, created_at__lt=recent_from)),
        )}
        mrr = _mrr_by_item(evidence)
    rows = [row for row in items.values("id", "title", "kind", "status", "product_area_id", "product_feature_id",
                                        "owner_id", "is_public", "created_at") if row["id"] in figures]
    for row in rows:
        row.update({k: v for k, v in figures[row["id"]].items() if k != "item_id"})
        row["mrr"] = mrr.get(row["id"], Decimal("0"))
        row["growth"] = row["recent_4w"] - row["previous_4w"]
        row["score"] = score_of(row, weights)
    return rows


def _python_sort(rows: list[dict], sort: str, order: str | None) -> list[dict]:
    [primary, _tiebreak] = _order(sort, order)
    alias, descending = primary.expression.name, primary.descending
    present = [r for r in rows if r[alias] is not None]
    missing = [r for r in rows if r[alias] is None]
    present.sort(key=lambda r: r["id"], reverse=True)  # tie-break: newest id first (stable sorts keep it)
    present.sort(key=lambda r: r[alias], reverse=descending)
    missing.sort(key=lambda r: r["id"], reverse=True)
    return present + missing


def _weekly_for(ids: list[int], evidence_filter: Q | None) -> dict[int, list[int]]:
    weeks = week_starts()
    index = {w: i for i, w in enumerate(weeks)}
    out = {i: [0] * WEEKS for i in ids}
    if evidence_filter is None:
        for item_id, start, n in (ItemWeek.objects.filter(item_id__in=ids, week_start__gte=weeks[0]).order_by()
                                  .values_list("item_id", "week_start", "mentions")):
            if start in index:
                out[item_id][index[start]] += n
        return out
    rows = (Evidence.objects.filter(evidence_filter, item_id__in=ids, created_at__gte=week_bounds_dt(weeks[0]))
            .annotate(week=TruncWeek("created_at")).values("item_id", "week").annotate(n=Count("id")).order_by())
    for row in rows:
        wk = row["week"]
        day = week_start(timezone.localtime(wk).date() if isinstance(wk, datetime) else wk)
        if day in index:
            out[row["item_id"]][index[day]] += row["n"]
    return out


def feedback_ranking(*, kind=None, product_area=None, status=None, plan=None, since=None, until=None,
                     sort: str = "score", limit: int = 50, offset: int = 0, order: str | None = None,
                     product_feature=None, owner=None, q: str | None = None) -> list[dict]:
    """Ranked items with their figures. Merged items are left out unless `status` asks for them.

    Filters: kind(s), product area, status(es), plan(s) of the requesting companies (current plan), period of
    the evidence [since, until). Sort by any figure or by the workspace score, biggest first ("+name" or
    order="asc" to reverse). Each row: id, title, kind, status, mentions, unique_contacts, unique_companies,
    mrr, score, weekly (12 ints, oldest first), growth (mentions last 4 weeks minus the 4 before), growth_pct,
    recent_4w, previous_4w, first_heard, last_heard, blocker_contacts, product_area_id, owner_id.

    Without a plan or period filter the rollups answer (one query for the page, one for its weekly counts);
    with one, the matching evidence is aggregated live (two grouped queries) and sorted in Python.
    """
    limit = max(1, min(int(limit), 500))
    offset = max(0, int(offset))
    evq = _evidence_q(plan=plan, since=since, until=until)
    filters = dict(kind=kind, product_area=product_area, status=status, product_feature=product_feature,
                   owner=owner, q=q)
    if evq is None:
        ordering = _order(sort, order)
        weights = feedback_settings()
        stats_refresh_stale_mrr(settings_row=weights)
        stats_refresh_stale_trend()
        rows = list(_rollup_queryset(**filters, weights=weights).order_by(*ordering).values(*ROW_FIELDS)[offset:offset + limit])
    else:
        rows = _python_sort(_live_rows(**filters, plan=plan, since=since, until=until), sort, order)
        rows = rows[offset:offset + limit]
    weekly = _weekly_for([r["id"] for r in rows], evq)
    for row in rows:
        row["weekly"] = weekly[row["id"]]
        row["mrr"] = Decimal(row["mrr"] or 0).quantize(Decimal("0.01"))
        row["score"] = round(float(row["score"] or 0), 4)
        row["growth_pct"] = growth_pct(row["recent_4w"], row["previous_4w"])
    return rows


def feedback_ranking_count(*, kind=None, product_area=None, status=None, plan=None, since=None, until=None,
                           product_feature=None, owner=None, q: str | None = None) -> int:
    """How many rows feedback_ranking would return without a limit."""
    items = _item_filters(FeedbackItem.objects.order_by(), kind=kind, product_area=product_area, status=status,
                          product_feature=product_feature, owner=owner, q=q)
    evq = _evidence_q(plan=plan, since=since, until=until)
    if evq is not None:
        items = items.filter(Exists(Evidence.objects.filter(evq, item_id=OuterRef("pk"))))
    return items.count()


# ---------------------------------------------------------------------------------------------- one item
def feedback_item_stats(*, item: FeedbackItem) -> dict:
    """An item's figures computed live from its evidence (exact), plus the breakdown by current plan."""
    ev = Evidence.objects.filter(item=item)
    figures = ev.aggregate(**figure_aggregates())
    company_ids = ev.filter(company__isnull=False).values("company_id")
    figures["mrr"] = (Company.objects.filter(pk__in=company_ids).aggregate(s=Sum("mrr"))["s"]
                      or Decimal("0")).quantize(Decimal("0.01"))
    weekly = _weekly_for([item.pk], Q())[item.pk]
    figures["weekly"] = weekly
    figures["recent_4w"], figures["previous_4w"] = sum(weekly[-4:]), sum(weekly[-8:-4])
    figures["growth"] = figures["recent_4w"] - figures["previous_4w"]
    figures["growth_pct"] = growth_pct(figures["recent_4w"], figures["previous_4w"])
    figures["score"] = score_of(figures)
    by_plan: dict[str, dict[str, Any]] = {}
    for row in (ev.values(plan=F("company__plan")).annotate(
            contacts=Count("contact", distinct=True), mentions=Count("id")).order_by()):
        by_plan[row["plan"] or "none"] = {"contacts": row["contacts"], "mentions": row["mentions"],
                                          "companies": 0, "mrr": Decimal("0.00")}
    for row in Company.objects.filter(pk__in=company_ids).values("plan").annotate(
            companies=Count("id"), mrr=Sum("mrr")).order_by():
        entry = by_plan.setdefault(row["plan"], {"contacts": 0, "mentions": 0, "companies": 0, "mrr": Decimal("0")})
        entry["companies"] = row["companies"]
        entry["mrr"] = (row["mrr"] or Decimal("0")).quantize(Decimal("0.01"))
    order = {p: i for i, p in enumerate([*Plan.values, "none"])}
    figures["by_plan"] = dict(sorted(by_plan.items(), key=lambda kv: order.get(kv[0], 99)))
    figures.update(id=item.pk, title=item.title, kind=item.kind, status=item.status)
    return figures


def _item_queryset() -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.select_related("product_area", "product_feature__area", "owner", "merged_into",
                                               "stats", "bug_report", "created_by")


def feedback_item_get(*, item_id: int) -> FeedbackItem:
    """The item row, merged or not (pages and the API redirect a merged item to `merged_into`)."""
    try:
        return _item_queryset().get(pk=item_id)
    except (FeedbackItem.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"Feedback item FB-{item_id} does not exist.")


def feedback_item_resolve(*, item_id: int) -> FeedbackItem:
    """The item a reference now means: follows merged_into to the surviving item."""
    item = feedback_item_get(item_id=item_id)
    seen = set()
    while item.merged_into_id and item.pk not in seen:
        seen.add(item.pk)
        item = feedback_item_get(item_id=item.merged_into_id)
    return item


def feedback_item_detail(*, item_id: int) -> FeedbackItem:
    """The item with its evidence (contact, company, ticket, linker), history, links and merged items."""
    evidence = Evidence.objects.select_related("contact", "company", "ticket", "linked_by", "merged_from")
    try:
        return (_item_queryset().prefetch_related(
            Prefetch("evidence", queryset=evidence.order_by("-created_at", "-id")),
            Prefetch("status_changes", queryset=StatusChange.objects.select_related("actor").order_by("created_at", "id")),
            "links", "merged_items", "bug_report__attachments").get(pk=item_id))
    except FeedbackItem.DoesNotExist:
        raise NotFound(f"Feedback item FB-{item_id} does not exist.")


def evidence_for_item(*, item: FeedbackItem) -> QuerySet[Evidence]:
    return (Evidence.objects.filter(item=item)
            .select_related("contact", "company", "ticket", "linked_by", "merged_from")
            .prefetch_related("contact__emails").order_by("-created_at", "-id"))


def evidence_get(*, evidence_id: int) -> Evidence:
    try:
        return Evidence.objects.select_related("item").get(pk=evidence_id)
    except (Evidence.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"Evidence {evidence_id} does not exist.")


def status_history(*, item: FeedbackItem) -> list[StatusChange]:
    return list(StatusChange.objects.filter(item=item).select_related("actor").order_by("created_at", "id"))


def feedback_search(*, q: str, limit: int = 10) -> list[FeedbackItem]:
    """Type-ahead for linking: title contains `q`, or a reference like FB-12 / 12; merged items left out."""
    q = (q or "").strip()
    if not q:
        return []
    qs = FeedbackItem.objects.exclude(status=ItemStatus.MERGED).select_related("product_area", "stats")
    ref = q.upper().removeprefix("FB-").strip()
    cond = Q(title__icontains=q)
    if ref.isdigit():
        cond |= Q(pk=int(ref))
    return list(qs.filter(cond).order_by("-stats__unique_contacts", "-updated_at", "-id")[:limit])


def feedback_items_for_contact(*, contact) -> list[FeedbackItem]:
    """Items this contact asked for (their evidence follows merges), most recently heard first."""
    return list(FeedbackItem.objects.filter(evidence__contact=contact).select_related("product_area", "stats")
                .annotate(mentions_by_contact=Count("evidence")).order_by("-stats__last_heard", "-id"))


def feedback_items_for_ticket(*, ticket) -> list[FeedbackItem]:
    """Items linked from this ticket (by evidence, or as the ticket a bug was filed from)."""
    return list(FeedbackItem.objects.filter(Q(evidence__ticket=ticket) | Q(bug_report__ticket=ticket))
                .select_related("product_area", "stats").distinct().order_by("-updated_at", "-id"))


def notices_for_ticket(*, ticket) -> list[ClosingNotice]:
    """Closing-the-loop messages recorded on this ticket."""
    return list(ClosingNotice.objects.filter(ticket=ticket).select_related("item", "contact").order_by("created_at"))


def notices_for_item(*, item: FeedbackItem) -> QuerySet[ClosingNotice]:
    return ClosingNotice.objects.filter(item=item).select_related("contact", "ticket").order_by("-created_at", "-id")


# ---------------------------------------------------------------------------------------------- export
REQUESTER_COLUMNS = ["contact", "email", "company", "plan", "mrr", "plan_when_asked", "mrr_when_asked",
                     "importance", "quote", "heard_at", "ticket", "source"]


def requesters_rows(*, item: FeedbackItem) -> list[dict]:
    """One row per piece of evidence (a contact may appear more than once, with each quote)."""
    rows = []
    for ev in evidence_for_item(item=item):
        company = ev.company
        rows.append({
            "contact": ev.contact.name if ev.contact_id else "",
            "email": ev.contact.primary_email if ev.contact_id else "",
            "company": company.name if company else "",
            "plan": company.plan if company else "",
            "mrr": str(company.mrr) if company else "",
            "plan_when_asked": ev.company_plan,
            "mrr_when_asked": str(ev.company_mrr) if company or ev.company_plan else "",
            "importance": ev.importance,
            "quote": ev.quote,
            "heard_at": ev.created_at.isoformat(),
            "ticket": ev.ticket.number if ev.ticket_id else "",
            "source": ev.source,
        })
    return rows


def _csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def requesters_csv(*, item: FeedbackItem) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REQUESTER_COLUMNS)
    writer.writeheader()
    for row in requesters_rows(item=item):
        writer.writerow({k: _csv_safe(v) for k, v in row.items()})
    return out.getvalue()


# ---------------------------------------------------------------------------------------------- roadmap
SHIPPED_RECENT_DAYS = 90
PUBLIC_FIELDS = ("id", "title", "kind", "status", "product_area__name", "shipped_at", "release_note")


def roadmap(*, public: bool = False) -> dict[str, list]:
    """Planned, in progress and recently shipped (90 days) items.

    public=True: only items marked public, and only title, kind, area, status, ship date and release note —
    never problem statements, names, emails, companies or counts of customers.
    """
    since = timezone.now() - timedelta(days=SHIPPED_RECENT_DAYS)
    qs = FeedbackItem.objects.filter(
        Q(status__in=[ItemStatus.PLANNED, ItemStatus.IN_PROGRESS]) | Q(status=ItemStatus.SHIPPED, shipped_at__gte=since))
    if public:
        qs = qs.filter(is_public=True)
        rows = list(qs.order_by("product_area__position", "product_area__name", "title", "id").values(*PUBLIC_FIELDS))
        for row in rows:
            row["product_area"] = row.pop("product_area__name") or ""
            if row["status"] != ItemStatus.SHIPPED:
                row["release_note"] = ""
    else:
        rows = list(qs.annotate(
            unique_contacts=Coalesce(F("stats__unique_contacts"), Value(0)),
            unique_companies=Coalesce(F("stats__unique_companies"), Value(0)),
            mrr=Coalesce(F("stats__mrr"), Value(Decimal("0"))),
        ).order_by("product_area__position", "product_area__name", "-unique_contacts", "id").values(
            *PUBLIC_FIELDS, "problem", "is_public", "owner_id", "owner__username", "unique_contacts",
            "unique_companies", "mrr"))
        for row in rows:
            row["product_area"] = row.pop("product_area__name") or ""
            row["owner"] = row.pop("owner__username") or ""
            row["mrr"] = Decimal(row["mrr"] or 0).quantize(Decimal("0.01"))
    board: dict[str, list] = {"planned": [], "in_progress": [], "shipped": []}
    for row in rows:
        board[row["status"]].append(row)
    board["shipped"].sort(key=lambda r: r["shipped_at"], reverse=True)
    return board


# ---------------------------------------------------------------------------------------------- digest
def weekly_digest(*, week_start: date | None = None) -> dict:
    """The product digest of one week (Monday to Sunday, workspace time zone); default: the last full week.

    new items and fastest growing items per product area, new bugs by severity, items shipped and how many
    customers were told.
    """
    from supportloop.feedback.rollups import week_start as monday

    start = monday(week_start) if week_start else monday(timezone.localdate()) - timedelta(days=7)
    end = start + timedelta(days=7)
    start_dt, end_dt = week_bounds_dt(start), week_bounds_dt(end)
    live = FeedbackItem.objects.exclude(status=ItemStatus.MERGED)

    new_items = list(live.filter(created_at__gte=start_dt, created_at__lt=end_dt)
                     .annotate(unique_contacts=Coalesce(F("stats__unique_contacts"), Value(0)))
                     .order_by("product_area__position", "product_area__name", "-unique_contacts", "id")
                     .values("id", "title", "kind", "product_area__name", "unique_contacts"))
    new_by_area: dict[str, list] = defaultdict(list)
    for row in new_items:
        new_by_area[row.pop("product_area__name") or "—"].append(row)

    # Growth: mentions in the 4 weeks ending with this week against the 4 weeks before.
    recent_from, previous_from = start - timedelta(weeks=3), start - timedelta(weeks=7)
    growing = (ItemWeek.objects.filter(week_start__gte=previous_from, week_start__lt=end,
                                       item__in=live.values("pk"))
               .values("item_id", "item__title", "item__kind", "item__product_area__name")
               .annotate(recent=Coalesce(Sum("mentions", filter=Q(week_start__gte=recent_from)), Value(0)),
                         previous=Coalesce(Sum("mentions", filter=Q(week_start__lt=recent_from)), Value(0)))
               .annotate(growth=F("recent") - F("previous")).filter(growth__gt=0)
               .order_by("-growth", "item_id"))
    growing_by_area: dict[str, list] = defaultdict(list)
    for row in growing:
        area = row["item__product_area__name"] or "—"
        if len(growing_by_area[area]) < 5:
            growing_by_area[area].append({"id": row["item_id"], "title": row["item__title"],
                                          "kind": row["item__kind"], "recent_4w": row["recent"],
                                          "previous_4w": row["previous"], "growth": row["growth"]})

    bugs = (BugReport.objects.filter(item__created_at__gte=start_dt, item__created_at__lt=end_dt)
            .exclude(item__status=ItemStatus.MERGED)
            .values("item_id", "item__title", "severity").order_by("item_id"))
    bugs_by_severity: dict[str, list] = {s: [] for s in Severity.values}
    for row in bugs:
        bugs_by_severity[row["severity"]].append({"id": row["item_id"], "title": row["item__title"]})

    shipped = list(FeedbackItem.objects.filter(status=ItemStatus.SHIPPED, shipped_at__gte=start_dt,
                                               shipped_at__lt=end_dt)
                   .annotate(told=Count("notices", filter=Q(notices__status=NoticeStatus.SENT,
                                                             notices__kind="shipped")))
                   .order_by("shipped_at", "id").values("id", "title", "kind", "told"))
    evidence = Evidence.objects.filter(created_at__gte=start_dt, created_at__lt=end_dt)
    heard = evidence.aggregate(mentions=Count("id"), contacts=Count("contact", distinct=True))
    return {
        "week_start": start, "week_end": end - timedelta(days=1),
        "new_by_area": dict(new_by_area), "growing_by_area": dict(growing_by_area),
        "bugs_by_severity": bugs_by_severity, "shipped": shipped,
        "customers_told": sum(r["told"] for r in shipped),
        "totals": {"new_items": len(new_items), "mentions": heard["mentions"], "contacts_heard": heard["contacts"],
                   "new_bugs": sum(len(v) for v in bugs_by_severity.values()), "shipped": len(shipped)},
    }


def weekly_digest_text(digest: dict) -> str:
    """The digest as plain text for the email."""
    lines = [f"Feedback digest — week of {digest['week_start']:%d %b %Y}", ""]
    t = digest["totals"]
    lines.append(f"{t['mentions']} mentions from {t['contacts_heard']} contacts; {t['new_items']} new items; "
                 f"{t['new_bugs']} new bugs; {t['shipped']} shipped, {digest['customers_told']} customers told.")
    lines += ["", "New items by product area"]
    for area, rows in digest["new_by_area"].items() or [("—", [])]:
        if rows:
            lines.append(f"  {area}")
            lines += [f"    FB-{r['id']} {r['title']} ({r['unique_contacts']} contacts)" for r in rows]
    lines += ["", "Fastest growing"]
    for area, rows in digest["growing_by_area"].items():
        lines.append(f"  {area}")
        lines += [f"    FB-{r['id']} {r['title']} (+{r['growth']}: {r['recent_4w']} vs {r['previous_4w']})" for r in rows]
    lines += ["", "New bugs by severity"]
    for severity, rows in digest["bugs_by_severity"].items():
        if rows:
            lines.append(f"  {severity}: " + ", ".join(f"FB-{r['id']} {r['title']}" for r in rows))
    lines += ["", "Shipped"]
    lines += [f"  FB-{r['id']} {r['title']} — {r['told']} customers told" for r in digest["shipped"]] or ["  none"]
    return "\n".join(lines) + "\n"
