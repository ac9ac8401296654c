"""Role-matrix rows of the surveys API (merged by api/tests/role_matrix_cases.all_cases())."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case

CASES = {
    ("GET", "/api/v1/surveys/responses"): Case("survey.view", lambda w: "surveys/responses"),
    ("GET", "/api/v1/surveys/figures"): Case("survey.view", lambda w: "surveys/figures?kind=csat&window=rated"),
    ("GET", "/api/v1/surveys/settings"): Case("survey.configure", lambda w: "surveys/settings"),
    ("PATCH", "/api/v1/surveys/settings"): Case(
        "survey.configure", lambda w: "surveys/settings", body=lambda w: {"throttle_days": 14}
    ),
}
