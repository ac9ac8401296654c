"""The quality report's arithmetic beside CSAT, on a hand-built case."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import assert_problem
from django.test import Client

from supportloop.accounts.services import team_create
from supportloop.core.errors import ValidationFailed
from supportloop.quality import selectors, services
from supportloop.quality.models import Review
from supportloop.quality.tests.helpers import WEEK, csat, scorecard, solved

pytestmark = pytest.mark.django_db


def test_report_by_week_agent_team_and_criterion_beside_csat(make_user, make_ticket):
    lead = make_user("lead")
    ann, bob = make_user("agent"), make_user("agent")
    team = team_create(name="Billing", slug="billing", actor=lead)
    scorecard(lead)
    services.quality_settings_update(actor=lead, sample_size=5, reviewer_ids=[lead.pk])
    a1 = solved(make_ticket, agent=ann, team=team, hours=1)
    a2 = solved(make_ticket, agent=ann, team=team, hours=2)
    b1 = solved(make_ticket, agent=bob, hours=3)
    csat(a1, agent=ann, score=5, team=team)
    csat(a2, agent=ann, score=3, team=team)  # neutral: counts among the answers only
    csat(b1, agent=bob, score=4)
    services.sample_week(week=WEEK)
    scores = {a1.pk: {"Tone": 5, "Accuracy": 1}, a2.pk: {"Tone": 3, "Accuracy": 0}, b1.pk: {"Tone": 1, "Accuracy": 1}}
    for review in Review.objects.all():
        services.review_score(review=review, values=scores[review.ticket_id], comment="", actor=lead)
    # Ann: 100 and (2*50 + 0)/5 = 20 -> mean 60.0; Bob: (0 + 300)/5 = 60.0; the week: (100+20+60)/3 = 60.0
    # CSAT: Ann 1 good of 2 = 50.0; Bob 1 of 1 = 100.0; the week 2 of 3 = 66.7
    report = selectors.quality_report(weeks=2, last=WEEK)
    assert report.weeks == ["2026-W09", WEEK]
    week = report.by_week[1]
    assert (week.reviews, week.quality, week.csat_count, week.csat) == (3, Decimal("60.0"), 3, Decimal("66.7"))
    assert report.by_week[0].reviews == 0 and report.by_week[0].quality is None
    agents = {f.label: (f.reviews, f.quality, f.csat_count, f.csat) for f in report.by_agent}
    assert agents[ann.display_name] == (2, Decimal("60.0"), 2, Decimal("50.0"))
    assert agents[bob.display_name] == (1, Decimal("60.0"), 1, Decimal("100.0"))
    teams = {f.label: (f.reviews, f.quality, f.csat) for f in report.by_team}
    assert teams["Billing"] == (2, Decimal("60.0"), Decimal("50.0"))
    # Tone: 100, 50, 0 -> 50.0; Accuracy: 100, 0, 100 -> 66.7
    criteria = {c.label: c.cells for c in report.by_criterion}
    assert criteria == {"Accuracy": [None, Decimal("66.7")], "Tone": [None, Decimal("50.0")]}
    # One team only.
    only = selectors.quality_report(weeks=1, last=WEEK, team_id=team.pk)
    assert [(f.label, f.reviews) for f in only.by_agent] == [(ann.display_name, 2)]


W09, W10, W11 = "2026-W09", WEEK, "2026-W11"


@pytest.fixture
def two_weeks(make_user, make_ticket):
    """Five reviews over W09 and W10 and six CSAT answers, three of them rated in another week than their ticket
    was solved (one solved in W08, one rated in W11), so the two windows put them in different weeks.

    Scores (Tone x2 on 1-5, Accuracy x3 pass/fail): a1 (5, pass) 100; b1 (1, pass) 60; a2 (3, fail) 20;
    a3 (5, fail) 40; b2 (5, pass) 100. Ann is in Billing; Bob's b1 in Support, his b2 in Billing."""
    lead = make_user("lead")
    ann = make_user("agent", username="ann")
    bob = make_user("agent", username="bob")
    billing = team_create(name="Billing", slug="billing", actor=lead)
    support = team_create(name="Support", slug="support", actor=lead)
    scorecard(lead)
    services.quality_settings_update(actor=lead, sample_size=5, reviewer_ids=[lead.pk])
    a1 = solved(make_ticket, agent=ann, team=billing, week=W09, hours=1)
    b1 = solved(make_ticket, agent=bob, team=support, week=W09, hours=2)
    a2 = solved(make_ticket, agent=ann, team=billing, hours=1)
    a3 = solved(make_ticket, agent=ann, team=billing, hours=2)
    b2 = solved(make_ticket, agent=bob, team=billing, hours=3)
    services.sample_week(week=W09)
    services.sample_week(week=W10)
    scores = {
        a1.pk: {"Tone": 5, "Accuracy": 1},
        b1.pk: {"Tone": 1, "Accuracy": 1},
        a2.pk: {"Tone": 3, "Accuracy": 0},
        a3.pk: {"Tone": 5, "Accuracy": 0},
        b2.pk: {"Tone": 5, "Accuracy": 1},
    }
    for review in Review.objects.all():
        services.review_score(review=review, values=scores[review.ticket_id], comment="", actor=lead)
    # After the sampling, so that no bad answer adds a pick of its own.
    old = solved(make_ticket, agent=ann, team=billing, week="2026-W08")  # never sampled, never reviewed
    csat(a1, agent=ann, team=billing, score=5, week=W09, rated_week=W10)  # r1 solved W09, rated W10: good
    csat(a2, agent=ann, team=billing, score=1)  # r2 W10 / W10: bad
    csat(b1, agent=bob, team=support, score=4, week=W09)  # r3 W09 / W09: good
    csat(b2, agent=bob, team=billing, score=2, rated_week=W11)  # r4 solved W10, rated W11: bad
    csat(a3, agent=ann, team=billing, score=5)  # r5 W10 / W10: good
    csat(old, agent=ann, team=billing, score=2, week="2026-W08", rated_week=W09)  # r6 solved W08, rated W09: bad
    return {"lead": lead, "ann": ann, "bob": bob}


def _weekly(rows) -> dict[str, list[tuple]]:
    """label -> [(reviews, quality, CSAT answers, CSAT %) per week]"""
    return {row.label: [(f.reviews, f.quality, f.csat_count, f.csat) for f in row.weeks] for row in rows}


D = Decimal


def test_quality_by_agent_and_team_per_week_beside_csat_by_rated_date(two_weeks):
    report = selectors.quality_report(weeks=2, last=W10)
    assert report.weeks == [W09, W10] and report.window == "rated"
    # Rated in W09: r3 good (Bob, Support), r6 bad (Ann, Billing); in W10: r1 good, r2 bad, r5 good (Ann, Billing);
    # r4 is rated in W11, outside the report.
    assert _weekly(report.by_agent_week) == {
        "ann": [(1, D("100.0"), 1, D("0.0")), (2, D("30.0"), 3, D("66.7"))],  # W10 quality (20 + 40) / 2
        "bob": [(1, D("60.0"), 1, D("100.0")), (1, D("100.0"), 0, None)],
    }
    assert _weekly(report.by_team_week) == {
        "Billing": [(1, D("100.0"), 1, D("0.0")), (3, D("53.3"), 3, D("66.7"))],  # (20 + 40 + 100) / 3
        "Support": [(1, D("60.0"), 1, D("100.0")), (0, None, 0, None)],
    }
    # The period totals add up from the same rows.
    agents = {f.label: (f.reviews, f.quality, f.csat_count, f.csat) for f in report.by_agent}
    assert agents == {"ann": (3, D("53.3"), 4, D("50.0")), "bob": (2, D("80.0"), 1, D("100.0"))}
    assert [(f.csat_count, f.csat) for f in report.by_week] == [(2, D("50.0")), (3, D("66.7"))]


def test_the_solved_window_puts_csat_in_the_week_the_ticket_was_solved(two_weeks):
    report = selectors.quality_report(weeks=2, last=W10, window="solved")
    assert report.window == "solved"
    # Solved in W09: r1 good (Ann), r3 good (Bob); in W10: r2 bad, r5 good (Ann), r4 bad (Bob, Billing);
    # r6 was solved in W08, outside the report. Quality does not depend on the window.
    assert _weekly(report.by_agent_week) == {
        "ann": [(1, D("100.0"), 1, D("100.0")), (2, D("30.0"), 2, D("50.0"))],
        "bob": [(1, D("60.0"), 1, D("100.0")), (1, D("100.0"), 1, D("0.0"))],
    }
    assert _weekly(report.by_team_week) == {
        "Billing": [(1, D("100.0"), 1, D("100.0")), (3, D("53.3"), 3, D("33.3"))],
        "Support": [(1, D("60.0"), 1, D("100.0")), (0, None, 0, None)],
    }
    agents = {f.label: (f.csat_count, f.csat) for f in report.by_agent}
    assert agents == {"ann": (3, D("66.7")), "bob": (2, D("50.0"))}  # by rated date: 50.0 and 100.0
    assert [(f.csat_count, f.csat) for f in report.by_week] == [(2, D("100.0")), (3, D("33.3"))]
    teams = {f.label: (f.csat_count, f.csat) for f in report.by_team}
    assert teams == {"Billing": (4, D("50.0")), "Support": (1, D("100.0"))}


def test_an_unknown_window_is_refused(db):
    with pytest.raises(ValidationFailed):
        selectors.quality_report(weeks=2, last=W10, window="sent")


def test_report_page_csv_and_api_take_the_window(two_weeks, api_client, django_assert_max_num_queries):
    client = Client()
    client.force_login(two_weeks["lead"])
    with django_assert_max_num_queries(14):
        page = client.get(f"/reports/quality/?last={W10}&weeks=2&window=solved").content.decode()
    assert '<option value="solved" selected>' in page
    sentence = page.split('id="report-window">')[1].split("</span>")[0]
    assert sentence.strip() == "Responses counted by the date their ticket was solved."
    agent_weeks = page.split('id="quality-agent-weeks">')[1].split("</table>")[0]
    assert '<th scope="row">ann</th><td>100.0</td><td>100.0</td><td>30.0</td><td>50.0</td>' in agent_weeks
    rated = client.get(f"/reports/quality/?last={W10}&weeks=2").content.decode()
    assert "Responses counted by the date they were rated." in rated.split('id="report-window">')[1]
    assert "window=solved" in page.split('id="quality-agent-weeks"')[0]  # the CSV link keeps the window
    csv_text = client.get(f"/reports/quality.csv?last={W10}&weeks=2&window=solved").content.decode()
    assert "agent_week,ann,2026-W10,2,30.0,2,50.0" in csv_text.splitlines()
    assert "team_week,Billing,2026-W10,3,53.3,3,33.3" in csv_text.splitlines()
    # An unknown window on the page falls back to the default (as an unknown week does)
    assert client.get(f"/reports/quality/?last={W10}&window=sent").status_code == 200

    api = api_client(two_weeks["lead"])
    body = api.get("/api/v1/quality/report", {"last": W10, "weeks": 2, "window": "solved"}).json()
    assert body["window"] == "solved"
    bob = next(row for row in body["by_agent_week"] if row["label"] == "bob")
    assert [(w["csat_count"], w["csat"]) for w in bob["weekly"]] == [(1, "100.0"), (1, "0.0")]
    by_rated = api.get("/api/v1/quality/report", {"last": W10, "weeks": 2}).json()
    assert by_rated["window"] == "rated"
    assert [f["csat"] for f in by_rated["by_agent"]] == ["50.0", "100.0"]
    assert_problem(api.get("/api/v1/quality/report", {"last": W10, "window": "sent"}), 422)
