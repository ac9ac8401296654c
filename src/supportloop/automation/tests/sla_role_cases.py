"""Role matrix rows of the SLA API (merged by automation/tests/role_matrix_cases.py). Bodies make fresh
names: the role-matrix test sends the same case once per allowed role."""

from __future__ import annotations

from supportloop.api.tests.role_matrix_cases import Case, World

HOURS = [{"day": d, "start": "09:00", "end": "17:00"} for d in range(5)]


def _setup(w: World) -> None:
    from supportloop.automation.services.sla_config import business_calendar_create, sla_policy_create

    w.extra["calendar"] = business_calendar_create(
        name=f"Office {w.n()}", time_zone="Europe/Berlin", hours=HOURS, actor=w.admin
    )
    w.extra["policy"] = sla_policy_create(
        name=f"Policy {w.n()}", targets={"normal": {"first_response": 60}}, actor=w.admin
    )


def _calendar(w: World) -> str:
    if "calendar" not in w.extra:
        _setup(w)
    return f"sla/calendars/{w.extra['calendar'].pk}"


def _policy(w: World) -> str:
    if "policy" not in w.extra:
        _setup(w)
    return f"sla/policies/{w.extra['policy'].pk}"


CASES = {
    ("GET", "/api/v1/sla/calendars"): Case("sla.manage", lambda w: "sla/calendars"),
    ("POST", "/api/v1/sla/calendars"): Case(
        "sla.manage",
        lambda w: "sla/calendars",
        body=lambda w: {"name": f"Office {w.n()}", "time_zone": "Asia/Tokyo", "hours": HOURS, "holidays_country": "JP"},
        status=201,
    ),
    ("GET", "/api/v1/sla/calendars/{calendar_id}"): Case("sla.manage", _calendar),
    ("PATCH", "/api/v1/sla/calendars/{calendar_id}"): Case(
        "sla.manage", _calendar, body=lambda w: {"custom_closed_dates": [{"date": "2026-12-24", "name": "Eve"}]}
    ),
    ("GET", "/api/v1/sla/policies"): Case("sla.manage", lambda w: "sla/policies"),
    ("POST", "/api/v1/sla/policies"): Case(
        "sla.manage",
        lambda w: "sla/policies",
        body=lambda w: {"name": f"Policy {w.n()}", "targets": {"urgent": {"first_response": 30}}},
        status=201,
    ),
    ("GET", "/api/v1/sla/policies/{policy_id}"): Case("sla.manage", _policy),
    ("PATCH", "/api/v1/sla/policies/{policy_id}"): Case(
        "sla.manage", _policy, body=lambda w: {"warn_before_minutes": 15}
    ),
    ("GET", "/api/v1/sla/report"): Case("sla.report", lambda w: "sla/report?group_by=team"),
    ("GET", "/api/v1/tickets/{number}/sla"): Case("ticket.view", lambda w: f"tickets/{w.ticket.number}/sla"),
}
