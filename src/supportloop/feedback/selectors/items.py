"""Reads of one item: live figures with the by-plan breakdown, detail, evidence, history, look-ups, export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any, TypedDict

from django.db.models import Count, F, Prefetch, Q, QuerySet, Sum

from supportloop.core.lookup import object_or_404, reference_or_422
from supportloop.customers.choices import Plan
from supportloop.customers.models import Company, Contact
from supportloop.feedback.choices import OPEN_STATUSES
from supportloop.feedback.models import (
    BugReport,
    ClosingNotice,
    EngineeringLink,
    Evidence,
    FeedbackItem,
    PickListOption,
    StatusChange,
)
from supportloop.feedback.rollups import figure_aggregates
from supportloop.feedback.selectors.ranking import _weekly_for, growth_pct, score_of
from supportloop.tickets.models import Ticket


def feedback_item_stats(*, item: FeedbackItem) -> dict[str, Any]:
    """An item's figures computed live from its evidence (exact), plus the breakdown by current plan."""
    ev = Evidence.objects.filter(item=item)
    figures = ev.aggregate(**figure_aggregates())
    company_ids = ev.filter(company__isnull=False).values("company_id")
    figures["mrr"] = (Company.objects.filter(pk__in=company_ids).aggregate(s=Sum("mrr"))["s"] or Decimal("0")).quantize(
        Decimal("0.01")
    )
    weekly = _weekly_for([item.pk], Q())[item.pk]
    figures["weekly"] = weekly
    figures["recent_4w"], figures["previous_4w"] = sum(weekly[-4:]), sum(weekly[-8:-4])
    figures["growth"] = figures["recent_4w"] - figures["previous_4w"]
    figures["growth_pct"] = growth_pct(figures["recent_4w"], figures["previous_4w"])
    figures["score"] = score_of(figures)
    by_plan: dict[str, dict[str, Any]] = {}
    for row in (
        ev.values(plan=F("company__plan"))
        .annotate(contacts=Count("contact", distinct=True), mentions=Count("id"))
        .order_by()
    ):
        by_plan[row["plan"] or "none"] = {
            "contacts": row["contacts"],
            "mentions": row["mentions"],
            "companies": 0,
            "mrr": Decimal("0.00"),
        }
    for row in (
        Company.objects.filter(pk__in=company_ids)
        .values("plan")
        .annotate(companies=Count("id"), mrr=Sum("mrr"))
        .order_by()
    ):
        entry = by_plan.setdefault(row["plan"], {"contacts": 0, "mentions": 0, "companies": 0, "mrr": Decimal("0")})
        entry["companies"] = row["companies"]
        entry["mrr"] = (row["mrr"] or Decimal("0")).quantize(Decimal("0.01"))
    order = {p: i for i, p in enumerate([*Plan.values, "none"])}
    figures["by_plan"] = dict(sorted(by_plan.items(), key=lambda kv: order.get(kv[0], 99)))
    figures.update(id=item.pk, title=item.title, kind=item.kind, status=item.status)
    return figures


def _item_queryset() -> QuerySet[FeedbackItem]:
    return FeedbackItem.objects.select_related(
        "product_area", "product_feature__area", "owner", "merged_into", "stats", "bug_report", "created_by"
    )


def feedback_item_get(*, item_id: int) -> FeedbackItem:
    """The item row, merged or not (pages and the API redirect a merged item to `merged_into`)."""
    return object_or_404(_item_queryset(), pk=item_id)


def feedback_item_ref(*, item_id: int, field: str) -> FeedbackItem:
    """An item named in a request body (a merge target): unknown is a 422 on `field`."""
    return reference_or_422(_item_queryset(), field, item_id)


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
    qs = _item_queryset().prefetch_related(
        Prefetch("evidence", queryset=evidence.order_by("-created_at", "-id")),
        Prefetch("status_changes", queryset=StatusChange.objects.select_related("actor").order_by("created_at", "id")),
        "links",
        "merged_items",
        "bug_report__attachments",
    )
    return object_or_404(qs, pk=item_id)


def bug_report_of(item: FeedbackItem) -> BugReport | None:
    """The item's bug report, if it was filed as a bug (read from the join the item queryset made)."""
    try:
        return item.bug_report
    except BugReport.DoesNotExist:
        return None


def evidence_for_item(*, item: FeedbackItem) -> QuerySet[Evidence]:
    return (
        Evidence.objects.filter(item=item)
        .select_related("contact", "company", "ticket", "linked_by", "merged_from")
        .prefetch_related("contact__emails")
        .order_by("-created_at", "-id")
    )


def evidence_get(*, evidence_id: int) -> Evidence:
    return object_or_404(Evidence.objects.select_related("item"), pk=evidence_id)


def evidence_of_item(*, item: FeedbackItem, evidence_id: int) -> Evidence:
    """One evidence row of the item, with what its API row shows."""
    return object_or_404(evidence_for_item(item=item), pk=evidence_id)


def engineering_link_get(*, link_id: int) -> EngineeringLink:
    return object_or_404(EngineeringLink.objects.select_related("item"), label="link", pk=link_id)


def bug_picklist_values() -> list[tuple[str, str]]:
    """(field, value) of every active pick-list option of the bug form, in their order."""
    return list(PickListOption.objects.filter(is_active=True).values_list("field", "value"))


def status_history(*, item: FeedbackItem) -> list[StatusChange]:
    return list(StatusChange.objects.filter(item=item).select_related("actor").order_by("created_at", "id"))


def feedback_items_for_contact(*, contact: Contact) -> list[FeedbackItem]:
    """Items this contact asked for (their evidence follows merges), most recently heard first."""
    return list(
        FeedbackItem.objects.filter(evidence__contact=contact)
        .select_related("product_area", "stats")
        .annotate(mentions_by_contact=Count("evidence"))
        .order_by("-stats__last_heard", "-id")
    )


def feedback_items_asked_by(*, contact_id: int) -> QuerySet[FeedbackItem]:
    """Items this contact asked for (their evidence follows merges), most recently heard first: one row each,
    without joins beyond the stats, for a page that reads them inside a larger query (web/jsonrows.py)."""
    return FeedbackItem.objects.filter(
        pk__in=Evidence.objects.filter(contact_id=contact_id).values("item_id")
    ).order_by("-stats__last_heard", "-id")


def feedback_items_linked_to(*, ticket_id: int) -> QuerySet[FeedbackItem]:
    """Items linked from the ticket (by evidence, or as the ticket a bug was filed from), newest change first,
    without joins or DISTINCT, for a page that reads them inside a larger query (web/jsonrows.py)."""
    return FeedbackItem.objects.filter(
        Q(pk__in=Evidence.objects.filter(ticket_id=ticket_id).values("item_id"))
        | Q(pk__in=BugReport.objects.filter(ticket_id=ticket_id).values("item_id"))
    ).order_by("-updated_at", "-id")


def feedback_items_for_ticket(*, ticket: Ticket) -> list[FeedbackItem]:
    """Items linked from this ticket (by evidence, or as the ticket a bug was filed from), each with its
    engineering links (one more query, and only when the ticket has linked items)."""
    return list(
        FeedbackItem.objects.filter(Q(evidence__ticket=ticket) | Q(bug_report__ticket=ticket))
        .select_related("product_area", "stats")
        .prefetch_related("links")
        .distinct()
        .order_by("-updated_at", "-id")
    )


def notices_for_ticket(*, ticket: Ticket) -> list[ClosingNotice]:
    """Closing-the-loop messages recorded on this ticket."""
    return list(ClosingNotice.objects.filter(ticket=ticket).select_related("item", "contact").order_by("created_at"))


def notices_for_item(*, item: FeedbackItem) -> QuerySet[ClosingNotice]:
    return ClosingNotice.objects.filter(item=item).select_related("contact", "ticket").order_by("-created_at", "-id")


# ---------------------------------------------------------------------------------------------- export
REQUESTER_COLUMNS = [
    "contact",
    "email",
    "company",
    "plan",
    "mrr",
    "plan_when_asked",
    "mrr_when_asked",
    "importance",
    "quote",
    "heard_at",
    "ticket",
    "source",
]


class RequesterRow(TypedDict):
    """One line of the requester export; the keys are REQUESTER_COLUMNS."""

    contact: str
    email: str
    company: str
    plan: str
    mrr: str
    plan_when_asked: str
    mrr_when_asked: str
    importance: str
    quote: str
    heard_at: str
    ticket: int | str  # the ticket number, "" when the evidence has no ticket
    source: str


def requesters_rows(*, item: FeedbackItem) -> list[RequesterRow]:
    """One row per piece of evidence (a contact may appear more than once, with each quote)."""
    rows: list[RequesterRow] = []
    for ev in evidence_for_item(item=item):
        company = ev.company
        rows.append(
            {
                "contact": ev.contact.name if ev.contact else "",
                "email": ev.contact.primary_email if ev.contact else "",
                "company": company.name if company else "",
                "plan": company.plan if company else "",
                "mrr": str(company.mrr) if company else "",
                "plan_when_asked": ev.company_plan,
                "mrr_when_asked": str(ev.company_mrr) if company or ev.company_plan else "",
                "importance": ev.importance,
                "quote": ev.quote,
                "heard_at": ev.created_at.isoformat(),
                "ticket": ev.ticket.number if ev.ticket else "",
                "source": ev.source,
            }
        )
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


def feedback_items() -> QuerySet[FeedbackItem]:
    """Every item: the scope in which an item id from a form is looked up."""
    return FeedbackItem.objects.all()


def feedback_items_to_pick(*, limit: int = 50) -> list[FeedbackItem]:
    """Open items for a pick-list (a lead linking a bad rating to a product issue): the most evidenced first, then
    the newest, at most `limit`, so the list stays short and the likely item is near the top. One query."""
    return list(
        FeedbackItem.objects.filter(status__in=OPEN_STATUSES, merged_into__isnull=True)
        .select_related("stats")
        .order_by(F("stats__mentions").desc(nulls_last=True), "-created_at", "-id")[:limit]
    )


def items_merged_into(*, item: FeedbackItem, limit: int = 50) -> list[FeedbackItem]:
    """The duplicates merged into `item`, oldest first."""
    return list(FeedbackItem.objects.filter(merged_into=item).order_by("id")[:limit])


def evidence_for_customer(
    *, company_id: int | None = None, contact_id: int | None = None, limit: int = 30
) -> list[Evidence]:
    """Feedback evidence given by a company or a contact, newest first, with its item: one query."""
    where: dict[str, int | None] = {"company_id": company_id} if company_id is not None else {"contact_id": contact_id}
    return list(
        Evidence.objects.filter(**where).select_related("item", "contact", "ticket").order_by("-created_at")[:limit]
    )
