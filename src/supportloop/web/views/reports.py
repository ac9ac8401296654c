"""The Reports pages (issue 15's dashboards): Volume, Times, Satisfaction, Macros and Tag quality over a chosen
period, each chart (pygal SVG, web/charts.py) followed by its table and a CSV link; the TV links leads hand out
(signed, read-only, no sign-in) and the TV page itself. Thin: analytics selectors and services do the work."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from supportloop.accounts.permissions import can
from supportloop.analytics.dashboards import (
    Filters,
    Report,
    Table,
    dashboard_report,
    local_midnight,
    period_days,
    table_csv,
    workspace_tz,
)
from supportloop.analytics.models import Dashboard
from supportloop.analytics.selectors import tv_link_list
from supportloop.analytics.services import (
    TvLinkRefused,
    tv_link_create,
    tv_link_resolve,
    tv_link_revoke,
    tv_link_rotate,
    tv_token,
)
from supportloop.core.db import reading_reports
from supportloop.core.errors import DomainError, ValidationFailed
from supportloop.surveys.choices import Window
from supportloop.tickets.choices import Channel
from supportloop.tickets.selectors import contact_reasons, product_area_list
from supportloop.web.charts import bar_chart_svg, line_chart_svg
from supportloop.web.views.common import PageRequest, page

TV_REFRESH_SECONDS = 300
PERIODS = (7, 30, 90, 365)


def _int(value: str | None, field: str) -> int | None:
    if not value:
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationFailed("Not a number.", errors={field: "must be a whole number"}) from exc
    if not 1 <= number <= 2**62:
        raise ValidationFailed("Out of range.", errors={field: "out of range"})
    return number


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed("Not a date.", errors={field: "must be a date (YYYY-MM-DD)"}) from exc


def parse_report_query(params: Any) -> dict[str, Any]:
    """Period (`days`, or `since` and `until` dates, both included), window and filters from a query string."""
    since, until = params.get("since", ""), params.get("until", "")
    if since or until:
        first, last = _date(since, "since"), _date(until, "until")
        if last < first:
            raise ValidationFailed("The period ends before it starts.", errors={"until": "must not be before since"})
        start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
        days = None
    else:
        days = _int(params.get("days"), "days") or 30
        if days > 366:
            raise ValidationFailed("At most 366 days.", errors={"days": "1-366"})
        start, end = period_days(days=days)
    window = params.get("window") or Window.RATED
    if window not in Window.values:
        raise ValidationFailed("Unknown calculation window.", errors={"window": "must be rated or solved"})
    channel = params.get("channel") or None
    filters = Filters(
        channel=channel,
        product_area_id=_int(params.get("product_area"), "product_area"),
        contact_reason_id=_int(params.get("contact_reason"), "contact_reason"),
    )
    return {"start": start, "end": end, "days": days, "window": window, "filters": filters}


def _chart(table: Table) -> Any:
    chart = table.chart
    if chart is None or not chart.labels or chart.kind == "heatmap":  # a heatmap is its shaded table (_display)
        return None
    if chart.kind == "line":
        return line_chart_svg(
            title=table.title, labels=chart.labels, series=chart.series, label_every=chart.label_every
        )
    name, values = next(iter(chart.series.items()))
    return bar_chart_svg(
        title=table.title,
        labels=chart.labels,
        values=[v or 0.0 for v in values],
        series=name,
        label_every=chart.label_every,
    )


def _display(table: Table) -> list[list[tuple[Any, str]]]:
    """Rows as (value, inline style); a heatmap's cells are shaded by their share of the busiest one (the first and
    last columns are the row's name and total), with light text on the dark ones."""
    if table.chart is None or table.chart.kind != "heatmap":
        return [[(v, "") for v in row] for row in table.rows]
    peak = max((v for row in table.rows for v in row[1:-1]), default=0) or 1
    return [[(row[0], ""), *[(v, _heat(v / peak)) for v in row[1:-1]], (row[-1], "")] for row in table.rows]


def _heat(share: float) -> str:
    return f"background:rgba(37,99,235,{share:.2f})" + (";color:#fff" if share > 0.55 else "")


def _sections(report: Report) -> list[dict[str, Any]]:
    return [{"table": t, "svg": _chart(t), "rows": _display(t)} for t in report.tables]


def _csv_response(report: Report, key: str) -> HttpResponse:
    table = report.table(key)
    response = HttpResponse(table_csv(table), content_type="text/csv; charset=utf-8")
    name = f"{report.dashboard}-{table.key}-{report.start.astimezone(workspace_tz()):%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@page("report.dashboards")
@reading_reports  # the figures may come from the read replica; the page says how old they are
def reports(request: PageRequest, dashboard: str = Dashboard.VOLUME) -> HttpResponseBase:
    if dashboard not in Dashboard.values:
        raise Http404("no such dashboard")
    error = ""
    status = 200
    try:
        query = parse_report_query(request.GET)
        csv_table = request.GET.get("csv") or None
        report = dashboard_report(
            dashboard=dashboard,
            start=query["start"],
            end=query["end"],
            window=query["window"],
            filters=query["filters"],
            only=csv_table,
        )
        if csv_table:
            return _csv_response(report, csv_table)
    except DomainError as exc:
        error = "; ".join(f"{k}: {v}" for k, v in (exc.errors or {}).items()) or str(exc)
        status = 422
        query = parse_report_query({})
        report = dashboard_report(dashboard=dashboard, start=query["start"], end=query["end"], window=query["window"])
    params = request.GET.copy()
    params.pop("csv", None)
    tz = workspace_tz()
    return render(
        request,
        "web/reports/report.html",
        {
            "section": "reports",
            "dashboard": dashboard,
            "dashboards": Dashboard.choices,
            "report": report,
            "sections": _sections(report),
            "query": query,
            "csv_base": f"?{params.urlencode()}&" if params else "?",
            "can_tv": can(request.user, "report.tv_links"),
            "periods": PERIODS,
            "since": report.start.astimezone(tz).date().isoformat(),
            "until": (report.end.astimezone(tz) - timedelta(days=1)).date().isoformat(),
            "windows": Window.choices,
            "channels": Channel.choices,
            "areas": list(product_area_list()),
            "reasons": list(contact_reasons()),
            "error": error,
        },
        status=status,
    )


@page("report.tv_links")
@require_http_methods(["GET", "POST"])
def tv_links(request: PageRequest) -> HttpResponseBase:
    error = ""
    status = 200
    if request.method == "POST":
        try:
            tv_link_create(
                name=request.POST.get("name", ""),
                dashboard=request.POST.get("dashboard", ""),
                days=_int(request.POST.get("days"), "days") or 90,
                actor=request.user,
            )
            return redirect("web:tv_links")
        except DomainError as exc:
            error = str(exc)
            status = 422
    links = [
        {"link": link, "url": request.build_absolute_uri(reverse("web:tv", args=[tv_token(link)]))}
        for link in tv_link_list()
    ]
    return render(
        request,
        "web/reports/tv_links.html",
        {"section": "reports", "dashboard": "tv", "dashboards": Dashboard.choices, "links": links, "error": error},
        status=status,
    )


@page("report.tv_links")
@require_POST
def tv_link_action(request: PageRequest, pk: int, action: str) -> HttpResponseBase:
    if action == "rotate":
        tv_link_rotate(link_id=pk, actor=request.user)
    elif action == "revoke":
        tv_link_revoke(link_id=pk, actor=request.user)
    else:
        raise Http404("no such action")
    return redirect("web:tv_links")


@require_http_methods(["GET", "HEAD"])
@reading_reports
def tv(request: HttpRequest, token: str) -> HttpResponseBase:
    """One dashboard for a wall screen, last 30 days, refreshed every five minutes; no sign-in, nothing else
    reachable from it (no links, no filters, no CSV)."""
    try:
        link = tv_link_resolve(token=token)
    except TvLinkRefused:
        response = render(request, "web/reports/tv_refused.html", status=404)
    else:
        start, end = period_days(days=30)
        report = dashboard_report(dashboard=link.dashboard, start=start, end=end, window=Window.RATED)
        response = render(
            request,
            "web/reports/tv.html",
            {
                "link": link,
                "title": Dashboard(link.dashboard).label,
                "report": report,
                "sections": _sections(report),
                "refresh": TV_REFRESH_SECONDS,
                "period": _("Last 30 days"),
            },
        )
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
