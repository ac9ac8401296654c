"""Role-matrix rows of the analytics dashboards API (merged by api/tests/role_matrix_cases.all_cases())."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case

CASES = {
    ("GET", "/api/v1/analytics/dashboards/{dashboard}"): Case(
        "report.dashboards", lambda w: "analytics/dashboards/volume?window=rated"
    ),
    ("GET", "/api/v1/analytics/dashboards/{dashboard}/{table}.csv"): Case(
        "report.dashboards", lambda w: "analytics/dashboards/satisfaction/headline.csv?window=solved"
    ),
}
