"""Reports over tickets and feedback. Read-only; every figure comes from an SQL aggregate."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.analytics.models import DailyTagging, TvLink
from supportloop.core.errors import ValidationFailed
from supportloop.tickets.models import ContactReason, ProductArea, Ticket

# Contact reasons and product areas that say nothing: flagged `is_catch_all`, or named like these.
CATCH_ALL_SLUGS = ("general", "other", "misc", "miscellaneous", "uncategorized", "uncategorised")


def _share(part: int, whole: int) -> float:
    return round(part * 100.0 / whole, 1) if whole else 0.0


def tag_quality_report(*, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per agent (the ticket's assignee), how well their tickets created in [since, until) are tagged.

    Each row: agent_id, agent (name; "Unassigned" for tickets without an assignee), tickets, without_area,
    without_reason, catch_all (reason or area is a catch-all such as "general" or "other"), poorly_tagged (any of
    the three, each ticket once) and the shares in percent. Worst first.
    """
    if since is None or until is None or since >= until:
        raise ValidationFailed("Choose a period: since must be before until.", errors={"since": "must be before until"})
    # Counted per (agent, area, reason) from the daily rollup and the tickets of part days at the edges; the few
    # catch-all areas and reasons are read apart.
    catch_all_reasons = set(
        ContactReason.objects.filter(Q(is_catch_all=True) | Q(slug__in=CATCH_ALL_SLUGS)).values_list("pk", flat=True)
    )
    catch_all_areas = set(ProductArea.objects.filter(slug__in=CATCH_ALL_SLUGS).values_list("pk", flat=True))
    per_agent: dict[int | None, dict[str, int]] = {}
    for assignee_id, area_id, reason_id, count in _tagging_counts(since, until):
        counts = per_agent.setdefault(
            assignee_id, {"tickets": 0, "without_area": 0, "without_reason": 0, "catch_all": 0, "poorly_tagged": 0}
        )
        vague = reason_id in catch_all_reasons or area_id in catch_all_areas
        counts["tickets"] += count
        counts["without_area"] += count if area_id is None else 0
        counts["without_reason"] += count if reason_id is None else 0
        counts["catch_all"] += count if vague else 0
        counts["poorly_tagged"] += count if (area_id is None or reason_id is None or vague) else 0
    users = {u.pk: u for u in User.objects.filter(pk__in=[pk for pk in per_agent if pk is not None])}
    report: list[dict[str, Any]] = []
    worst_first: list[tuple[float, int, str]] = []
    for assignee_id, row in per_agent.items():
        user = users.get(assignee_id) if assignee_id is not None else None
        full = f"{user.first_name or ''} {user.last_name or ''}".strip() if user else ""
        name = "Unassigned" if assignee_id is None else (full or (user.username if user else str(assignee_id)))
        total = row["tickets"]
        worst_first.append((-_share(row["poorly_tagged"], total), -total, name))
        report.append(
            {
                "agent_id": assignee_id,
                "agent": name,
                **row,
                "without_area_share": _share(row["without_area"], total),
                "without_reason_share": _share(row["without_reason"], total),
                "catch_all_share": _share(row["catch_all"], total),
                "poorly_tagged_share": _share(row["poorly_tagged"], total),
            }
        )
    return [row for _key, row in sorted(zip(worst_first, report, strict=True), key=lambda pair: pair[0])]


def _tagging_counts(since: datetime, until: datetime) -> list[tuple[int | None, int | None, int | None, int]]:
    """(assignee, product area, contact reason, tickets) created in [since, until), None for none: DailyTagging for
    the whole local days inside the period, the tickets themselves for the part days at either edge (the API takes
    any moments). Groups that hold no ticket are left out."""
    tz = timezone.get_default_timezone()
    first, last = since.astimezone(tz).date(), until.astimezone(tz).date()
    if _midnight(first, tz) < since:
        first += timedelta(days=1)
    rows: list[tuple[int | None, int | None, int | None, int]] = []
    edges = [(since, until)]
    if first < last:
        edges = [(since, _midnight(first, tz)), (_midnight(last, tz), until)]
        days = (
            DailyTagging.objects.filter(day__gte=first, day__lt=last)
            .values_list("assignee_key", "product_area_key", "contact_reason_key")
            .annotate(n=Sum("created"))
            .order_by()
        )
        rows += [(agent or None, area or None, reason or None, n) for agent, area, reason, n in days]
    for start, end in edges:
        if start < end:
            rows += (
                Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
                .values_list("assignee_id", "product_area_id", "contact_reason_id")
                .annotate(n=Count("id"))
                .order_by()
            )
    return [row for row in rows if row[3]]


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz)


def tv_link_list() -> QuerySet[TvLink]:
    """TV links for the leads' page, newest first, with who made them."""
    return TvLink.objects.select_related("created_by").order_by("-created_at", "-id")
