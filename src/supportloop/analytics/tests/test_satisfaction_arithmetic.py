"""The Satisfaction dashboard's per-week table and its breakdowns (agent, team, contact reason, macro) on one
hand-built case, with the right answers worked out by hand, under both calculation windows and through both
reads (the responses themselves, then the daily rollup after `analytics_rebuild`).

The case spans two ISO weeks, W1 = 2026-11-02..08 and W2 = 2026-11-09..15 (TIME_ZONE is UTC in tests). Several
responses are rated in one week and their ticket solved in the other, or one of the two dates falls outside the
period, so the rated and solved windows give different figures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportloop.accounts.services import team_create
from supportloop.analytics.dashboards import dashboard_report
from supportloop.analytics.rollups import analytics_rebuild
from supportloop.surveys.models import SurveyResponse, SurveySend
from supportloop.tickets.models import ContactReason, Macro

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)  # Monday of W1
END = datetime(2026, 11, 16, tzinfo=UTC)  # Monday after W2
W1, W2 = "2026-11-02", "2026-11-09"
SENTIMENT = {"G": "good", "N": "neutral", "B": "bad"}


def _day(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


@pytest.fixture
def survey_case(make_user, make_contact):
    """Seven CSAT (1-5 and good/bad), four CES (1-7) and six NPS (0-10) answers; the comments give each one's
    name, sentiment, and its rated and solved days (`-` none, `Oct30` before the period, `17` after it)."""
    ann = make_user("agent", username="ann")
    bob = make_user("agent", username="bob")
    billing = team_create(name="Billing", slug="billing")
    support = team_create(name="Support", slug="support")
    refund = ContactReason.objects.create(name="Refund", slug="refund")
    login = ContactReason.objects.create(name="Login", slug="login")
    apology = Macro.objects.create(name="Apology", body="...")
    steps = Macro.objects.create(name="Steps", body="...")
    contact = make_contact("Carol")
    rows = [
        # kind, scale, score, sentiment, rated, solved, agent, team, reason, macro
        ("csat", "five", 5, "G", _day(3), _day(3), ann, billing, refund, apology),  # c1 W1 / W1
        ("csat", "five", 2, "B", _day(10), _day(6), ann, billing, login, apology),  # c2 W2 / W1
        ("csat", "good_bad", 1, "G", _day(11), _day(11), bob, support, login, steps),  # c3 W2 / W2
        ("csat", "five", 3, "N", _day(4), _day(30, 10), bob, support, refund, None),  # c4 W1 / Oct30
        ("csat", "good_bad", 1, "G", _day(17), _day(12), bob, billing, refund, steps),  # c5 17 / W2
        ("csat", "five", 4, "G", _day(12), _day(8), ann, support, refund, steps),  # c6 W2 / W1 (Sunday)
        ("csat", "five", 1, "B", _day(5), _day(5), bob, billing, login, apology),  # c7 W1 / W1
        ("ces", "", 7, "G", _day(3), _day(2), ann, billing, refund, apology),  # e1 W1 / W1
        ("ces", "", 2, "B", _day(9), _day(5), bob, support, login, steps),  # e2 W2 / W1
        ("ces", "", 4, "N", _day(10), _day(10), ann, support, login, None),  # e3 W2 / W2
        ("ces", "", 6, "G", _day(18), _day(13), bob, billing, refund, apology),  # e4 18 / W2
        # NPS is about the contact, not a ticket: no solved date and no ticket dimensions
        ("nps", "", 10, "G", _day(3), None, None, None, None, None),  # n1 W1
        ("nps", "", 6, "B", _day(4), None, None, None, None, None),  # n2 W1
        ("nps", "", 9, "G", _day(10), None, None, None, None, None),  # n3 W2
        ("nps", "", 7, "N", _day(11), None, None, None, None, None),  # n4 W2
        ("nps", "", 8, "N", _day(12), None, None, None, None, None),  # n5 W2
        ("nps", "", 0, "B", _day(20), None, None, None, None, None),  # n6 after the period
    ]
    for kind, scale, score, sentiment, rated, solved, agent, team, reason, macro in rows:
        send = SurveySend.objects.create(kind=kind, scale=scale, contact=contact, expires_at=rated + timedelta(days=9))
        SurveyResponse.objects.create(
            send=send,
            kind=kind,
            scale=scale,
            score=score,
            sentiment=SENTIMENT[sentiment],
            contact=contact,
            rated_at=rated,
            solved_at=solved,
            agent=agent,
            team=team,
            contact_reason=reason,
            macro=macro,
        )


def _tables(window: str) -> dict[str, list[list]]:
    report = dashboard_report(dashboard="satisfaction", start=START, end=END, window=window)
    return {t.key: t.rows for t in report.tables}


def _by_name(rows: list[list]) -> dict[str, list]:
    return {str(r[0]): r[1:] for r in rows}


# Each row: CSAT responses, CSAT %, CES responses, CES mean, NPS responses, NPS.
RATED = {
    # rated in the period: c1 c2 c3 c4 c6 c7, e1 e2 e3, n1..n5
    "headline": {"CSAT": [6, 3, 1, 2, 50.0], "CES": [3, 1, 1, 1, 4.33], "NPS": [5, 2, 2, 1, 20.0]},
    "over_time": [
        # W1: c1 G, c4 N, c7 B -> 1/3 = 33.3; e1 7 -> 7.0; n1 promoter, n2 detractor -> 50 - 50 = 0.0
        [W1, 3, 33.3, 1, 7.0, 2, 0.0],
        # W2: c2 B, c3 G, c6 G -> 2/3 = 66.7; e2 2, e3 4 -> 3.0; n3 promoter, n4 n5 passives -> 33.3
        [W2, 3, 66.7, 2, 3.0, 3, 33.3],
    ],
    "by_agent": {
        "ann": [3, 66.7, 2, 5.5, 0, None],  # c1 G c2 B c6 G; e1 7 e3 4
        "bob": [3, 33.3, 1, 2.0, 0, None],  # c3 G c4 N c7 B; e2 2
        "(none)": [0, None, 0, None, 5, 20.0],  # the NPS answers
    },
    "by_team": {
        "Billing": [3, 33.3, 1, 7.0, 0, None],  # c1 G c2 B c7 B; e1 7
        "Support": [3, 66.7, 2, 3.0, 0, None],  # c3 G c4 N c6 G; e2 2 e3 4
        "(none)": [0, None, 0, None, 5, 20.0],
    },
    "by_contact_reason": {
        "Refund": [3, 66.7, 1, 7.0, 0, None],  # c1 G c4 N c6 G; e1 7
        "Login": [3, 33.3, 2, 3.0, 0, None],  # c2 B c3 G c7 B; e2 2 e3 4
        "(none)": [0, None, 0, None, 5, 20.0],
    },
    "by_macro": {
        "Apology": [3, 33.3, 1, 7.0, 0, None],  # c1 G c2 B c7 B; e1 7
        "Steps": [2, 100.0, 1, 2.0, 0, None],  # c3 G c6 G; e2 2
        "(none)": [1, 0.0, 1, 4.0, 5, 20.0],  # c4 N; e3 4; the NPS answers
    },
}
SOLVED = {
    # solved in the period: c1 c2 c3 c5 c6 c7, e1..e4; NPS has no solved date
    "headline": {"CSAT": [6, 4, 0, 2, 66.7], "CES": [4, 2, 1, 1, 4.75], "NPS": [0, 0, 0, 0, None]},
    "over_time": [
        # W1: c1 G, c2 B, c6 G, c7 B -> 2/4 = 50.0; e1 7, e2 2 -> 4.5
        [W1, 4, 50.0, 2, 4.5, 0, None],
        # W2: c3 G, c5 G -> 100.0; e3 4, e4 6 -> 5.0
        [W2, 2, 100.0, 2, 5.0, 0, None],
    ],
    "by_agent": {
        "ann": [3, 66.7, 2, 5.5, 0, None],  # c1 G c2 B c6 G; e1 7 e3 4
        "bob": [3, 66.7, 2, 4.0, 0, None],  # c3 G c5 G c7 B; e2 2 e4 6
    },
    "by_team": {
        "Billing": [4, 50.0, 2, 6.5, 0, None],  # c1 G c2 B c5 G c7 B; e1 7 e4 6
        "Support": [2, 100.0, 2, 3.0, 0, None],  # c3 G c6 G; e2 2 e3 4
    },
    "by_contact_reason": {
        "Refund": [3, 100.0, 2, 6.5, 0, None],  # c1 G c5 G c6 G; e1 7 e4 6
        "Login": [3, 33.3, 2, 3.0, 0, None],  # c2 B c3 G c7 B; e2 2 e3 4
    },
    "by_macro": {
        "Apology": [3, 33.3, 2, 6.5, 0, None],  # c1 G c2 B c7 B; e1 7 e4 6
        "Steps": [3, 100.0, 1, 2.0, 0, None],  # c3 G c5 G c6 G; e2 2
        "(none)": [0, None, 1, 4.0, 0, None],  # e3 4
    },
}


@pytest.mark.parametrize("rebuilt", [False, True], ids=["from_responses", "from_rollup"])
@pytest.mark.parametrize("window, expected", [("rated", RATED), ("solved", SOLVED)], ids=["rated", "solved"])
def test_satisfaction_per_week_and_per_breakdown_by_hand(survey_case, window, expected, rebuilt):
    if rebuilt:
        analytics_rebuild()  # the responses were written without the service: the rebuild counts them
    tables = _tables(window)
    assert _by_name(tables["headline"]) == expected["headline"]
    assert tables["over_time"] == expected["over_time"]
    for key in ("by_agent", "by_team", "by_contact_reason", "by_macro"):
        assert _by_name(tables[key]) == expected[key], key


def test_the_two_windows_disagree_on_this_case(survey_case):
    """Guards the case itself: were both windows to give the same weeks, the tests above would not tell a report
    that ignores the window from one that honours it."""
    assert RATED["over_time"] != SOLVED["over_time"]
    assert _tables("rated")["over_time"] != _tables("solved")["over_time"]
