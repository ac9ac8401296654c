"""Reports across domains. The tag-quality report is served under /feedback/reports/ (its address since it was
first published), so `router` is mounted at /feedback next to the feedback router; the dashboards' series (JSON)
and CSV exports are `dashboards` at /analytics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from ninja import Query, Router

from supportloop.accounts.permissions import require
from supportloop.analytics.dashboards import Filters, Report, dashboard_report, table_csv
from supportloop.analytics.selectors import tag_quality_report
from supportloop.api.auth import ApiRequest
from supportloop.api.schemas import PROBLEMS
from supportloop.api.schemas.analytics import (
    DashboardOut,
    DashboardQuery,
    DashboardT,
    TagQualityQuery,
    TagQualityRowOut,
)
from supportloop.core.db import reading_reports

router = Router(tags=["analytics"])


@router.get(
    "/reports/tag-quality",
    response={200: list[TagQualityRowOut], **PROBLEMS},
    summary="Per agent: share of tickets without product area or contact reason, or under a catch-all",
    operation_id="tag_quality_report",
)
def tag_quality(request: ApiRequest, query: Query[TagQualityQuery]) -> list[dict[str, Any]]:
    require(request.auth, "report.view")
    with reading_reports():  # may read from the replica (core/db.py)
        return tag_quality_report(since=query.since, until=query.until)


dashboards = Router(tags=["analytics"])


def _report(dashboard: str, query: DashboardQuery, only: str | None = None) -> Report:
    until = query.until or timezone.now()
    since = query.since or until - timedelta(days=30)
    filters = Filters(channel=query.channel, product_area_id=query.product_area, contact_reason_id=query.contact_reason)
    with reading_reports():  # may read from the replica (core/db.py)
        return dashboard_report(
            dashboard=dashboard, start=since, end=until, window=query.window, filters=filters, only=only
        )


@dashboards.get(
    "/dashboards/{dashboard}",
    response={200: DashboardOut, **PROBLEMS},
    summary="One dashboard's series over a period (at most 366 days): the tables its charts draw",
    operation_id="analytics_dashboard",
)
def dashboard_series(request: ApiRequest, dashboard: DashboardT, query: Query[DashboardQuery]) -> dict[str, Any]:
    require(request.auth, "report.dashboards")
    report = _report(dashboard, query)
    return {
        "dashboard": report.dashboard,
        "window": report.window,
        "since": report.start,
        "until": report.end,
        "tables": [
            {"key": t.key, "title": t.title, "columns": [str(c) for c in t.columns], "rows": t.rows, "note": t.note}
            for t in report.tables
        ],
    }


@dashboards.get(
    "/dashboards/{dashboard}/{table}.csv",
    response={200: str, **PROBLEMS},
    summary="One table of a dashboard as CSV",
    operation_id="analytics_dashboard_csv",
)
def dashboard_csv(request: ApiRequest, dashboard: DashboardT, table: str, query: Query[DashboardQuery]) -> HttpResponse:
    require(request.auth, "report.dashboards")
    report = _report(dashboard, query, only=table)
    found = report.table(table)
    response = HttpResponse(table_csv(found), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report.dashboard}-{found.key}.csv"'
    return response
