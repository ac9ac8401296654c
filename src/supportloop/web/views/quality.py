"""Quality review pages: the reviews list (to review, my reviews, all), the scoring page beside the thread, the
lead's scorecards, sampling settings and run, and the quality report (/reports/quality/) with its CSV.
Thin: parse, call one service or selector, render."""

from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from supportloop.accounts.permissions import can
from supportloop.accounts.selectors import people, teams
from supportloop.core.errors import DomainError, ValidationFailed
from supportloop.quality import selectors, services
from supportloop.quality.choices import ReviewStatus, Scale
from supportloop.quality.models import Review
from supportloop.surveys.choices import Window
from supportloop.tickets.selectors import ticket_messages
from supportloop.web.charts import weekly_lines_svg
from supportloop.web.views.common import PageRequest, int_or_none, page, render_page, require_page

TABS = ("to_review", "mine", "all")
SCORECARD_ROWS = 6  # criteria lines the scorecard form offers


def _error_text(exc: DomainError) -> str:
    return " ".join([exc.detail, *[f"{k}: {v}" for k, v in exc.errors.items()]])


@page("quality.review")
def reviews(request: PageRequest) -> HttpResponseBase:
    """Reviews assigned to me, done reviews of my own conversations, and (leads) all reviews with the tools."""
    tab = request.GET.get("tab", "to_review")
    manage = can(request.user, "quality.manage")
    if tab not in TABS or (tab == "all" and not manage):
        tab = "to_review"
    week = request.GET.get("week") or None
    if week:
        try:
            services.week_parse(week)
        except ValidationFailed:
            week = None
    rows = list(selectors.review_list_for_user(user=request.user, scope=tab, week=week)[:200])
    context: dict[str, Any] = {
        "section": "reviews",
        "tab": tab,
        "week": week or "",
        "rows": rows,
        "manage": manage,
        "pending": sum(1 for r in rows if r.status == ReviewStatus.ASSIGNED) if tab == "to_review" else None,
    }
    if manage:
        current, reviewer_ids = selectors.settings_get()
        context.update(
            {
                "scorecards": list(selectors.scorecard_list()),
                "settings": current,
                "reviewer_ids": set(reviewer_ids),
                "people": [u for u in people() if u.role in ("admin", "lead", "agent")],
                "runs": list(selectors.sample_runs()),
                "last_week": services.previous_week(),
                "scales": Scale.choices,
                "blank_rows": range(SCORECARD_ROWS),
            }
        )
    return render(request, "web/quality/reviews.html", context)


def _thread(review: Review) -> list[Any]:
    return list(
        ticket_messages(ticket=review.ticket)
        .select_related("author_user", "author_contact")
        .order_by("created_at", "id")[:200]
    )


def _form_rows(review: Review, values: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **c,
            "field": f"score-{i}",
            "value": str(values.get(c["label"], "")),
            "choices": [("1", _("Pass")), ("0", _("Fail"))]
            if c["scale"] == Scale.PASS_FAIL
            else [(str(v), str(v)) for v in range(1, 6)],
        }
        for i, c in enumerate(review.criteria)
    ]


@page("quality.review")
def review_detail(request: PageRequest, pk: int) -> HttpResponseBase:
    """The thread read-only beside the scorecard form. POST scores it (htmx swaps the form panel); the agent
    reviewed sees the scores and comment once it is done, without the form."""
    review = selectors.review_get_for_user(user=request.user, pk=pk)
    may_score = review.agent_id != request.user.pk and services.review_may_score(review=review, user=request.user)
    values: dict[str, Any] = {s.label: s.value for s in review.scores.all()}
    errors: dict[str, str] = {}
    error = ""
    status = 200
    comment = review.comment
    if request.method == "POST":
        require_page(request.user, "quality.review")
        comment = request.POST.get("comment", "")
        posted = {c["label"]: request.POST.get(f"score-{i}", "") for i, c in enumerate(review.criteria)}
        try:
            services.review_score(review=review, values=posted, comment=comment, actor=request.user)
            messages.success(request, _("Review saved."))
            if not getattr(request, "htmx", False):
                return redirect("quality:review", pk=review.pk)
            review = selectors.review_get_for_user(user=request.user, pk=pk)
            values = {s.label: s.value for s in review.scores.all()}
        except DomainError as exc:
            error, errors, status = exc.detail, exc.errors, exc.status
            values = posted
    context = {
        "section": "reviews",
        "review": review,
        "thread": _thread(review),
        "may_score": may_score,
        "rows": [{**r, "error": errors.get(r["label"], "")} for r in _form_rows(review, values)],
        "comment": comment,
        "error": error,
        "saved": request.method == "POST" and not error,
    }
    return render_page(
        request, "web/quality/review.html", context, partial="web/quality/score_form.html", status=status
    )


@require_POST
@page("quality.manage")
def scorecard_save(request: PageRequest) -> HttpResponseBase:
    """Create a scorecard, or (with `scorecard`) rename, (de)activate and replace its criteria."""
    criteria = []
    for i in range(SCORECARD_ROWS + 20):
        label = request.POST.get(f"label-{i}", "").strip()
        if not label:
            continue
        weight = request.POST.get(f"weight-{i}", "1")
        criteria.append(
            {
                "label": label,
                "weight": int(weight) if weight.isdigit() else -1,
                "scale": request.POST.get(f"scale-{i}", Scale.ONE_TO_FIVE),
            }
        )
    try:
        pk = int_or_none(request.POST.get("scorecard"))
        active = request.POST.get("active") == "1"
        if pk:
            services.scorecard_update(
                scorecard=selectors.scorecard_get(pk=pk),
                actor=request.user,
                name=request.POST.get("name", ""),
                active=active,
                criteria=criteria,
            )
        else:
            services.scorecard_create(
                name=request.POST.get("name", ""), criteria=criteria, active=active, actor=request.user
            )
        messages.success(request, _("Scorecard saved."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect(reverse("quality:reviews") + "?tab=all")


@require_POST
@page("quality.manage")
def settings_save(request: PageRequest) -> HttpResponseBase:
    size = request.POST.get("sample_size", "")
    try:
        services.quality_settings_update(
            actor=request.user,
            sample_size=int(size) if size.isdigit() else -1,
            reviewer_ids=[int(v) for v in request.POST.getlist("reviewers") if v.isdigit()],
        )
        messages.success(request, _("Sampling settings saved."))
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect(reverse("quality:reviews") + "?tab=all")


@require_POST
@page("quality.manage")
def sample_now(request: PageRequest) -> HttpResponseBase:
    try:
        run = services.sample_week(week=request.POST.get("week", ""), actor=request.user)
        messages.success(
            request,
            _("Week %(week)s: %(random)s random and %(bad)s bad-CSAT conversations to review.")
            % {"week": run.week, "random": run.random_count, "bad": run.bad_csat_count},
        )
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect(reverse("quality:reviews") + "?tab=all")


def _report_params(request: PageRequest) -> dict[str, Any]:
    weeks = int_or_none(request.GET.get("weeks")) or 8
    last = request.GET.get("last") or None
    if last:
        try:
            services.week_parse(last)
        except ValidationFailed:
            last = None
    return {
        "weeks": max(1, min(weeks, selectors.MAX_REPORT_WEEKS)),
        "last": last,
        "team_id": team if (team := int_or_none(request.GET.get("team"))) and 0 < team < 2**31 else None,
        # an unknown window falls back to the default, as an unknown week or team does here
        "window": window if (window := request.GET.get("window")) in Window.values else Window.RATED,
    }


@page("quality.report")
def report(request: PageRequest) -> HttpResponseBase:
    """Quality by week (chart and table beside CSAT), by agent, by team, agent and team by week, and by
    criterion; CSAT by the calculation window chosen (`window`: rated, the default, or solved)."""
    params = _report_params(request)
    r = selectors.quality_report(**params)
    chart = weekly_lines_svg(
        title=_("Quality and CSAT by week (%)"),
        labels=r.weeks,
        series=[
            (_("Quality %"), [f.quality for f in r.by_week]),
            (_("CSAT %"), [f.csat for f in r.by_week]),
        ],
    )
    query = "&".join(f"{k}={v}" for k, v in request.GET.items() if k in ("weeks", "last", "team", "window") and v)
    context = {
        "section": "reviews",
        "r": r,
        "chart": chart,
        "params": params,
        "teams": list(teams()),
        "windows": Window.choices,
        "weekly_tables": [
            (_("Agents by week"), "quality-agent-weeks", _("Agent"), r.by_agent_week),
            (_("Teams by week"), "quality-team-weeks", _("Team"), r.by_team_week),
        ],
        "weekly_colspan": 1 + 2 * len(r.weeks),  # the name, then quality and CSAT per week
        "query": query,
    }
    return render(request, "web/quality/report.html", context)


@page("quality.report")
def report_csv(request: PageRequest) -> HttpResponseBase:
    """One row per slice: by week, by agent, by team, then one per agent and week, per team and week, and per
    criterion and week."""
    r = selectors.quality_report(**_report_params(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="quality-report.csv"'
    writer = csv.writer(response)
    writer.writerow(["slice", "label", "week", "reviews", "quality_percent", "csat_responses", "csat_percent"])
    for kind, rows in (("week", r.by_week), ("agent", r.by_agent), ("team", r.by_team)):
        for f in rows:
            writer.writerow(
                [
                    kind,
                    _csv_text(f.label),
                    f.label if kind == "week" else "",
                    f.reviews,
                    "" if f.quality is None else f.quality,
                    f.csat_count,
                    "" if f.csat is None else f.csat,
                ]
            )
    for kind, weekly in (("agent_week", r.by_agent_week), ("team_week", r.by_team_week)):
        for row in weekly:
            for f in row.weeks:
                writer.writerow(
                    [
                        kind,
                        _csv_text(row.label),
                        f.label,
                        f.reviews,
                        "" if f.quality is None else f.quality,
                        f.csat_count,
                        "" if f.csat is None else f.csat,
                    ]
                )
    for c in r.by_criterion:
        for week, cell in zip(r.weeks, c.cells, strict=True):
            writer.writerow(["criterion", _csv_text(c.label), week, "", "" if cell is None else cell, "", ""])
    return response


def _csv_text(value: str) -> str:
    """Names typed by people: a leading =, +, - or @ would be a formula in a spreadsheet."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
