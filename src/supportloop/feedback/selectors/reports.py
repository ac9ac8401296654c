"""Roadmap (team and public) and the weekly digest."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from supportloop.feedback.choices import ItemStatus, NoticeStatus, Severity
from supportloop.feedback.models import BugReport, Evidence, FeedbackItem, ItemWeek
from supportloop.feedback.rollups import week_bounds_dt

SHIPPED_RECENT_DAYS = 90
PUBLIC_FIELDS = ("id", "title", "kind", "status", "product_area__name", "shipped_at", "release_note")


def roadmap(*, public: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Planned, in progress and recently shipped (90 days) items.

    public=True: only items marked public, and only title, kind, area, status, ship date and release note —
    never problem statements, names, emails, companies or counts of customers.
    """
    since = timezone.now() - timedelta(days=SHIPPED_RECENT_DAYS)
    qs = FeedbackItem.objects.filter(
        Q(status__in=[ItemStatus.PLANNED, ItemStatus.IN_PROGRESS]) | Q(status=ItemStatus.SHIPPED, shipped_at__gte=since)
    )
    if public:
        qs = qs.filter(is_public=True)
        rows = list(qs.order_by("product_area__position", "product_area__name", "title", "id").values(*PUBLIC_FIELDS))
        for row in rows:
            row["product_area"] = row.pop("product_area__name") or ""
            if row["status"] != ItemStatus.SHIPPED:
                row["release_note"] = ""
    else:
        rows = list(
            qs.annotate(
                unique_contacts=Coalesce(F("stats__unique_contacts"), Value(0)),
                unique_companies=Coalesce(F("stats__unique_companies"), Value(0)),
                mrr=Coalesce(F("stats__mrr"), Value(Decimal("0"))),
            )
            .order_by("product_area__position", "product_area__name", "-unique_contacts", "id")
            .values(
                *PUBLIC_FIELDS,
                "problem",
                "is_public",
                "owner_id",
                "owner__username",
                "unique_contacts",
                "unique_companies",
                "mrr",
            )
        )
        for row in rows:
            row["product_area"] = row.pop("product_area__name") or ""
            row["owner"] = row.pop("owner__username") or ""
            row["mrr"] = Decimal(row["mrr"] or 0).quantize(Decimal("0.01"))
    board: dict[str, list[dict[str, Any]]] = {"planned": [], "in_progress": [], "shipped": []}
    for row in rows:
        board[row["status"]].append(row)
    board["shipped"].sort(key=lambda r: r["shipped_at"], reverse=True)
    return board


# ---------------------------------------------------------------------------------------------- digest
class DigestTotals(TypedDict):
    new_items: int
    mentions: int
    contacts_heard: int
    new_bugs: int
    shipped: int


class WeeklyDigest(TypedDict):
    """What weekly_digest returns; each item row has at least id and title."""

    week_start: date
    week_end: date
    new_by_area: dict[str, list[dict[str, Any]]]  # id, title, kind, unique_contacts
    growing_by_area: dict[str, list[dict[str, Any]]]  # id, title, kind, recent_4w, previous_4w, growth
    bugs_by_severity: dict[str, list[dict[str, Any]]]  # id, title
    shipped: list[dict[str, Any]]  # id, title, kind, told
    customers_told: int
    totals: DigestTotals


def weekly_digest(*, week_start: date | None = None) -> WeeklyDigest:
    """The product digest of one week (Monday to Sunday, workspace time zone); default: the last full week.

    new items and fastest growing items per product area, new bugs by severity, items shipped and how many
    customers were told.
    """
    from supportloop.feedback.rollups import week_start as monday

    start = monday(week_start) if week_start else monday(timezone.localdate()) - timedelta(days=7)
    end = start + timedelta(days=7)
    start_dt, end_dt = week_bounds_dt(start), week_bounds_dt(end)
    live = FeedbackItem.objects.exclude(status=ItemStatus.MERGED)

    new_items = list(
        live.filter(created_at__gte=start_dt, created_at__lt=end_dt)
        .annotate(unique_contacts=Coalesce(F("stats__unique_contacts"), Value(0)))
        .order_by("product_area__position", "product_area__name", "-unique_contacts", "id")
        .values("id", "title", "kind", "product_area__name", "unique_contacts")
    )
    new_by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in new_items:
        new_by_area[row.pop("product_area__name") or "—"].append(row)

    # Growth: mentions in the 4 weeks ending with this week against the 4 weeks before.
    recent_from, previous_from = start - timedelta(weeks=3), start - timedelta(weeks=7)
    growing = (
        ItemWeek.objects.filter(week_start__gte=previous_from, week_start__lt=end, item__in=live.values("pk"))
        .values("item_id", "item__title", "item__kind", "item__product_area__name")
        .annotate(
            recent=Coalesce(Sum("mentions", filter=Q(week_start__gte=recent_from)), Value(0)),
            previous=Coalesce(Sum("mentions", filter=Q(week_start__lt=recent_from)), Value(0)),
        )
        .annotate(growth=F("recent") - F("previous"))
        .filter(growth__gt=0)
        .order_by("-growth", "item_id")
    )
    growing_by_area: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in growing:
        area = row["item__product_area__name"] or "—"
        if len(growing_by_area[area]) < 5:
            growing_by_area[area].append(
                {
                    "id": row["item_id"],
                    "title": row["item__title"],
                    "kind": row["item__kind"],
                    "recent_4w": row["recent"],
                    "previous_4w": row["previous"],
                    "growth": row["growth"],
                }
            )

    bugs = (
        BugReport.objects.filter(item__created_at__gte=start_dt, item__created_at__lt=end_dt)
        .exclude(item__status=ItemStatus.MERGED)
        .values("item_id", "item__title", "severity")
        .order_by("item_id")
    )
    bugs_by_severity: dict[str, list[dict[str, Any]]] = {s: [] for s in Severity.values}
    for bug in bugs:
        bugs_by_severity[bug["severity"]].append({"id": bug["item_id"], "title": bug["item__title"]})

    shipped = list(
        FeedbackItem.objects.filter(status=ItemStatus.SHIPPED, shipped_at__gte=start_dt, shipped_at__lt=end_dt)
        .annotate(told=Count("notices", filter=Q(notices__status=NoticeStatus.SENT, notices__kind="shipped")))
        .order_by("shipped_at", "id")
        .values("id", "title", "kind", "told")
    )
    evidence = Evidence.objects.filter(created_at__gte=start_dt, created_at__lt=end_dt)
    heard = evidence.aggregate(mentions=Count("id"), contacts=Count("contact", distinct=True))
    return {
        "week_start": start,
        "week_end": end - timedelta(days=1),
        "new_by_area": dict(new_by_area),
        "growing_by_area": dict(growing_by_area),
        "bugs_by_severity": bugs_by_severity,
        "shipped": shipped,
        "customers_told": sum(r["told"] for r in shipped),
        "totals": {
            "new_items": len(new_items),
            "mentions": heard["mentions"],
            "contacts_heard": heard["contacts"],
            "new_bugs": sum(len(v) for v in bugs_by_severity.values()),
            "shipped": len(shipped),
        },
    }


def weekly_digest_text(digest: WeeklyDigest) -> str:
    """The digest as plain text for the email."""
    lines = [f"Feedback digest — week of {digest['week_start']:%d %b %Y}", ""]
    t = digest["totals"]
    lines.append(
        f"{t['mentions']} mentions from {t['contacts_heard']} contacts; {t['new_items']} new items; "
        f"{t['new_bugs']} new bugs; {t['shipped']} shipped, {digest['customers_told']} customers told."
    )
    lines += ["", "New items by product area"]
    for area, rows in digest["new_by_area"].items() or [("—", [])]:
        if rows:
            lines.append(f"  {area}")
            lines += [f"    FB-{r['id']} {r['title']} ({r['unique_contacts']} contacts)" for r in rows]
    lines += ["", "Fastest growing"]
    for area, rows in digest["growing_by_area"].items():
        lines.append(f"  {area}")
        lines += [
            f"    FB-{r['id']} {r['title']} (+{r['growth']}: {r['recent_4w']} vs {r['previous_4w']})" for r in rows
        ]
    lines += ["", "New bugs by severity"]
    for severity, rows in digest["bugs_by_severity"].items():
        if rows:
            lines.append(f"  {severity}: " + ", ".join(f"FB-{r['id']} {r['title']}" for r in rows))
    lines += ["", "Shipped"]
    lines += [f"  FB-{r['id']} {r['title']} — {r['told']} customers told" for r in digest["shipped"]] or ["  none"]
    return "\n".join(lines) + "\n"
