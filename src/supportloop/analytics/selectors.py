"""Reports over tickets and feedback. Read-only; every figure is one SQL aggregate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Q

from supportloop.core.errors import ValidationFailed
from supportloop.tickets.models import Ticket

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
    catch_all = (
        Q(contact_reason__is_catch_all=True)
        | Q(contact_reason__slug__in=CATCH_ALL_SLUGS)
        | Q(product_area__slug__in=CATCH_ALL_SLUGS)
    )
    no_area, no_reason = Q(product_area__isnull=True), Q(contact_reason__isnull=True)
    rows = (
        Ticket.objects.filter(created_at__gte=since, created_at__lt=until)
        .values("assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name")
        .annotate(
            tickets=Count("id"),
            without_area=Count("id", filter=no_area),
            without_reason=Count("id", filter=no_reason),
            catch_all=Count("id", filter=catch_all),
            poorly_tagged=Count("id", filter=no_area | no_reason | catch_all),
        )
        .order_by()
    )
    report = []
    for row in rows:
        full = f"{row['assignee__first_name'] or ''} {row['assignee__last_name'] or ''}".strip()
        name = "Unassigned" if row["assignee_id"] is None else (full or row["assignee__username"])
        total = row["tickets"]
        report.append(
            {
                "agent_id": row["assignee_id"],
                "agent": name,
                "tickets": total,
                "without_area": row["without_area"],
                "without_reason": row["without_reason"],
                "catch_all": row["catch_all"],
                "poorly_tagged": row["poorly_tagged"],
                "without_area_share": _share(row["without_area"], total),
                "without_reason_share": _share(row["without_reason"], total),
                "catch_all_share": _share(row["catch_all"], total),
                "poorly_tagged_share": _share(row["poorly_tagged"], total),
            }
        )
    report.sort(key=lambda r: (-r["poorly_tagged_share"], -r["tickets"], r["agent"]))
    return report
