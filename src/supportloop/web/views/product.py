"""Product pages: feedback ranking with trend lines, item page (evidence, merge, status with the
close-the-loop preview), roadmap board and the weekly digest."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from supportloop.accounts.permissions import can
from supportloop.core.db import reading_reports
from supportloop.core.errors import DomainError, ValidationFailed
from supportloop.customers.choices import Plan
from supportloop.feedback.choices import ItemStatus, Kind, NoticeStatus
from supportloop.feedback.rollups import week_bounds_dt, week_starts
from supportloop.feedback.selectors import (
    evidence_for_item,
    feedback_item_get,
    feedback_item_stats,
    feedback_ranking,
    feedback_ranking_count,
    items_merged_into,
    notices_for_item,
    status_history,
    weekly_digest,
)
from supportloop.feedback.selectors import roadmap as board
from supportloop.feedback.services import (
    close_the_loop_preview,
    closing_notices_retry,
    feedback_item_merge,
    feedback_item_set_status,
    feedback_item_status_check,
)
from supportloop.feedback.services.loop import MAX_ATTEMPTS
from supportloop.feedback.services.proposals import SETTLED_STATUSES, ship_proposals_pending
from supportloop.tickets.selectors import product_area_list
from supportloop.web.forms import ItemStatusForm, MergeForm, add_domain_error
from supportloop.web.views.common import PageRequest, int_or_none, page

PAGE_SIZE = 50
EVIDENCE_LIMIT = 100
SPARK_W, SPARK_H = 96, 22
RANKING_SORTS = ("score", "unique_contacts", "unique_companies", "mrr", "mentions", "growth", "last_heard")


def sparkline_points(weekly: list[int], width: int = SPARK_W, height: int = SPARK_H) -> str:
    """SVG polyline points for a small trend line; the highest week touches the top."""
    if not weekly:
        return ""
    top = max(weekly) or 1
    step = width / max(len(weekly) - 1, 1)
    return " ".join(f"{i * step:.1f},{height - 1 - (v / top) * (height - 2):.1f}" for i, v in enumerate(weekly))


@page("feedback.view")
@reading_reports  # a report: reads from the replica when there is a fresh one (core/db.py)
def ranking(request):
    params = request.GET
    kind = params.get("kind") if params.get("kind") in Kind.values else None
    status = params.get("status") if params.get("status") in ItemStatus.values else None
    plan = params.get("plan") if params.get("plan") in Plan.values else None
    area = int_or_none(params.get("area"))
    sort = params.get("sort", "")
    if sort not in RANKING_SORTS:
        sort = "score"
    weeks = int_or_none(params.get("weeks"))
    # "Last N weeks" is this week and the N-1 before, from a Monday: the week rollups answer it (fast, exact).
    since = week_bounds_dt(week_starts(weeks=weeks)[0]) if weeks in (4, 12, 26, 52) else None
    offset = max(0, int_or_none(params.get("offset")) or 0)
    q = " ".join((params.get("q") or "").split())[:500]
    filters: dict[str, Any] = {
        "kind": kind,
        "status": status,
        "plan": plan,
        "product_area": area,
        "since": since,
        "q": q or None,
    }
    search_error = None
    try:
        rows = feedback_ranking(sort=sort, limit=PAGE_SIZE, offset=offset, **filters)
        total = feedback_ranking_count(**filters)
    except ValidationFailed as error:  # the search box's text is a query the search language refuses
        search_error, rows, total = error.detail, [], 0
    kinds, statuses = dict(Kind.choices), dict(ItemStatus.choices)
    for rank, row in enumerate(rows, start=offset + 1):
        row["rank"] = rank
        row["points"] = sparkline_points(row["weekly"])
        row["kind_label"] = kinds.get(row["kind"], row["kind"])
        row["status_label"] = statuses.get(row["status"], row["status"])
    query = "&".join(f"{k}={v}" for k, v in params.items() if k != "offset" and v)
    return render(
        request,
        "web/product/ranking.html",
        {
            "section": "product",
            "rows": rows,
            "total": total,
            "params": params,
            "sort": sort,
            "kinds": Kind.choices,
            "statuses": [c for c in ItemStatus.choices if c[0] != "merged"],
            "plans": Plan.choices,
            "areas": list(product_area_list()),
            "sorts": [(s, _SORT_LABELS()[s]) for s in RANKING_SORTS],
            "spark_w": SPARK_W,
            "spark_h": SPARK_H,
            "prev_offset": max(offset - PAGE_SIZE, 0) if offset else None,
            "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < total else None,
            "query": query,
            "q": q,
            "search_error": search_error,
        },
    )


def _SORT_LABELS() -> dict[str, Any]:
    return {
        "score": _("Score"),
        "unique_contacts": _("Unique customers"),
        "unique_companies": _("Companies"),
        "mrr": _("MRR"),
        "mentions": _("Mentions"),
        "growth": _("Growth"),
        "last_heard": _("Last heard"),
    }


def _item_context(request, item, *, status_form=None, merge_form=None) -> dict:
    stats = feedback_item_stats(item=item)
    preview_status = (status_form.data.get("status") if status_form is not None else None) or item.status
    preview = (
        close_the_loop_preview(item=item, kind=preview_status) if preview_status in ("shipped", "declined") else []
    )
    notices = list(notices_for_item(item=item)[:200])
    return {
        "section": "product",
        "item": item,
        "stats": stats,
        "points": sparkline_points(stats["weekly"], 240, 48),
        "evidence": list(evidence_for_item(item=item)[:EVIDENCE_LIMIT]),
        "history": status_history(item=item),
        "merged_items": items_merged_into(item=item, limit=50),
        "preview": preview,
        "will_tell": sum(1 for r in preview if r["will_be_told"]),
        "notify": bool(status_form is not None and status_form.data.get("notify")),
        "preview_status": preview_status,
        "notices": notices,
        "notices_under_way": any(n.status in (NoticeStatus.PENDING, NoticeStatus.SENDING) for n in notices),
        "max_attempts": MAX_ATTEMPTS,
        "failed_notices": sum(1 for n in notices if n.status == NoticeStatus.FAILED),
        "status_form": status_form
        or ItemStatusForm(initial={"status": item.status, "release_note": item.release_note}),
        "merge_form": merge_form or MergeForm(),
        "can_manage": can(request.user, "feedback.manage"),
        # A tracker closed a linked issue: the product manager accepts (the status change below) or dismisses.
        "ship_proposals": ship_proposals_pending(item=item) if item.status not in SETTLED_STATUSES else [],
    }


@page("feedback.view")
def item(request, pk: int):
    obj = feedback_item_get(item_id=pk)
    if obj.merged_into_id:
        messages.info(request, _("%(ref)s was merged into this item.") % {"ref": obj.reference})
        return redirect("web:item", pk=obj.merged_into_id)
    return render(request, "web/product/item.html", _item_context(request, obj))


@require_POST
@page("feedback.manage")
def item_status(request, pk: int):
    obj = feedback_item_get(item_id=pk)
    form = ItemStatusForm(request.POST)
    step = request.POST.get("confirmed", "")
    if form.is_valid() and step == "back":  # from the confirm step: the form again, as it was filled in
        return render(request, "web/product/item.html", _item_context(request, obj, status_form=form))
    if form.is_valid() and step != "yes":
        confirm = _status_confirm(request, obj, form)
        if confirm is not None:
            return confirm
    if form.is_valid():
        data = form.cleaned_data
        try:
            feedback_item_set_status(
                item=obj,
                status=data["status"],
                actor=request.user,
                note=data["note"],
                notify=data["notify"],
                release_note=data["release_note"] or None,
                decline_reason=data["decline_reason"] or None,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("web:item", pk=pk)
    obj = feedback_item_get(item_id=pk)
    return render(request, "web/product/item.html", _item_context(request, obj, status_form=form), status=422)


def _status_confirm(request, obj, form):
    """Shipping or declining with the box ticked asks first: "Ship and email N customers?" (a page of its own,
    so it works without JavaScript). None when there is nothing to confirm; the form carries the service's
    errors when the change would be refused."""
    data = form.cleaned_data
    if data["status"] not in ("shipped", "declined") or not data["notify"]:
        return None
    try:
        feedback_item_status_check(
            item=obj,
            status=data["status"],
            notify=True,
            release_note=data["release_note"] or None,
            decline_reason=data["decline_reason"] or None,
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return render(request, "web/product/item.html", _item_context(request, obj, status_form=form), status=422)
    rows = [r for r in close_the_loop_preview(item=obj, kind=data["status"]) if r["will_be_told"]]
    if not rows:
        return None
    n = len(rows)
    if data["status"] == "shipped":
        question = ngettext("Ship and email %(n)s customer?", "Ship and email %(n)s customers?", n) % {"n": n}
        action = ngettext("Ship and email %(n)s customer", "Ship and email %(n)s customers", n) % {"n": n}
    else:
        question = ngettext("Decline and email %(n)s customer?", "Decline and email %(n)s customers?", n) % {"n": n}
        action = ngettext("Decline and email %(n)s customer", "Decline and email %(n)s customers", n) % {"n": n}
    return render(
        request,
        "web/product/confirm_status.html",
        {"section": "product", "item": obj, "data": data, "rows": rows, "question": question, "action": action},
    )


@page("feedback.view")
def item_notices(request, pk: int):
    """The item's "Customers told" panel alone: the page polls it (htmx) while notices are queued or sending."""
    obj = feedback_item_get(item_id=pk)
    notices = list(notices_for_item(item=obj)[:200])
    return render(
        request,
        "web/product/_notices.html",
        {
            "item": obj,
            "notices": notices,
            "max_attempts": MAX_ATTEMPTS,
            "failed_notices": sum(1 for n in notices if n.status == NoticeStatus.FAILED),
            "notices_under_way": any(n.status in (NoticeStatus.PENDING, NoticeStatus.SENDING) for n in notices),
            "can_manage": can(request.user, "feedback.manage"),
        },
    )


@require_POST
@page("feedback.manage")
def item_merge(request: PageRequest, pk: int) -> HttpResponseBase:
    """Merge this item (a duplicate) into the target; the page then shows the target."""
    source = feedback_item_get(item_id=pk)
    form = MergeForm(request.POST)
    if form.is_valid():
        try:
            target = feedback_item_get(item_id=form.cleaned_data["target"])
            feedback_item_merge(source=source, target=target, actor=request.user)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, _("Merged %(source)s into this item.") % {"source": source.reference})
            return redirect("web:item", pk=target.pk)
    obj = feedback_item_get(item_id=pk)
    return render(request, "web/product/item.html", _item_context(request, obj, merge_form=form), status=422)


@require_POST
@page("feedback.manage")
def notices_retry(request: PageRequest, pk: int) -> HttpResponseBase:
    """Queue again the closing-the-loop notices that gave up; they go out in the background."""
    obj = feedback_item_get(item_id=pk)
    try:
        retried = closing_notices_retry(item=obj, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(
            request,
            ngettext("%(n)s notice queued again.", "%(n)s notices queued again.", len(retried)) % {"n": len(retried)},
        )
    return redirect("web:item", pk=pk)


@page("feedback.view")
def loop_preview(request: PageRequest, pk: int) -> HttpResponseBase:
    """Who a status change would tell (htmx fragment for the status form): nobody while the box is unticked."""
    obj = feedback_item_get(item_id=pk)
    status = request.GET.get("status")
    rows = close_the_loop_preview(item=obj, kind=status) if status in ("shipped", "declined") else []
    return render(
        request,
        "web/product/_preview.html",
        {
            "preview": rows,
            "status": status,
            "notify": bool(request.GET.get("notify")),
            "will_tell": sum(1 for r in rows if r["will_be_told"]),
        },
    )


@page("feedback.view")
def roadmap(request):
    columns = board()
    return render(
        request,
        "web/product/roadmap.html",
        {
            "section": "roadmap",
            "columns": [
                ("planned", _("Planned"), columns["planned"]),
                ("in_progress", _("In progress"), columns["in_progress"]),
                ("shipped", _("Shipped recently"), columns["shipped"]),
            ],
        },
    )


@page("feedback.view")
def digest(request):
    week = None
    raw = request.GET.get("week")
    if raw:
        try:
            week = date.fromisoformat(raw)
        except ValueError:
            week = None
    data = weekly_digest(week_start=week)
    return render(
        request,
        "web/product/digest.html",
        {
            "section": "digest",
            "d": data,
            "prev_week": (data["week_start"] - timedelta(days=7)).isoformat(),
            "next_week": (data["week_start"] + timedelta(days=7)).isoformat(),
        },
    )
