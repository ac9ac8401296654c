"""The quality API and pages: who may do what, refusals that record nothing, query counts."""

from __future__ import annotations

import pytest
from conftest import assert_problem
from django.test import Client

from supportloop.core.models import Event
from supportloop.quality import services
from supportloop.quality.models import Review
from supportloop.quality.tests.helpers import WEEK, scorecard, solved

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_ticket):
    lead = make_user("lead")
    ann, bob = make_user("agent"), make_user("agent")
    scorecard(lead)
    services.quality_settings_update(actor=lead, sample_size=3, reviewer_ids=[bob.pk])
    for i in range(3):
        solved(make_ticket, agent=ann, hours=i)
    services.sample_week(week=WEEK)
    return {"lead": lead, "ann": ann, "bob": bob, "reviews": list(Review.objects.order_by("pk"))}


def test_reviewer_scores_through_the_api_and_the_agent_then_sees_it(world, api_client):
    review = world["reviews"][0]
    ann, bob = api_client(world["ann"]), api_client(world["bob"])
    # Before it is done the agent cannot see it (404, as for a review that does not exist).
    assert_problem(ann.get(f"/api/v1/quality/reviews/{review.pk}"), 404)
    response = bob.post(
        f"/api/v1/quality/reviews/{review.pk}/score", {"scores": {"Tone": 5, "Accuracy": 1}, "comment": "Great"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["score"] == "100.0"
    mine = ann.get("/api/v1/quality/reviews", {"scope": "mine"}).json()
    assert [r["id"] for r in mine["items"]] == [review.pk]
    detail = ann.get(f"/api/v1/quality/reviews/{review.pk}").json()
    assert detail["comment"] == "Great" and {s["label"]: s["value"] for s in detail["scores"]} == {
        "Tone": 5,
        "Accuracy": 1,
    }
    # The agent may not edit it, nor score another's review; bob's list shows his assignments only.
    events = Event.objects.count()
    assert_problem(ann.post(f"/api/v1/quality/reviews/{review.pk}/score", {"scores": {"Tone": 1, "Accuracy": 0}}), 403)
    assert Event.objects.count() == events
    assert bob.get("/api/v1/quality/reviews").json()["count"] == 3
    assert_problem(ann.get("/api/v1/quality/reviews", {"scope": "all"}), 403)


def test_api_refuses_bad_scores_naming_the_criterion_and_records_nothing(world, api_client):
    review = world["reviews"][0]
    bob = api_client(world["bob"])
    events = Event.objects.count()
    body = assert_problem(
        bob.post(f"/api/v1/quality/reviews/{review.pk}/score", {"scores": {"Tone": 9, "Accuracy": 1}}), 422
    )
    assert "Tone" in body["errors"]
    body = assert_problem(bob.post(f"/api/v1/quality/reviews/{review.pk}/score", {"scores": {"Tone": 3}}), 422)
    assert "Accuracy" in body["errors"]
    assert_problem(bob.post(f"/api/v1/quality/reviews/{review.pk}/score", {"scores": {}, "extra": 1}), 422)
    assert Event.objects.count() == events
    review.refresh_from_db()
    assert review.status == "assigned"


@pytest.mark.parametrize("role", ["product", "viewer"])
def test_product_and_viewers_see_no_quality_data(world, make_user, role):
    client = Client()
    client.force_login(make_user(role))
    assert client.get("/reports/quality/").status_code == 403
    assert client.get("/reports/quality.csv").status_code == 403
    assert client.get("/quality/reviews/").status_code == 403
    assert client.get(f"/quality/reviews/{world['reviews'][0].pk}/").status_code == 403


def test_agents_do_not_get_the_report_or_the_lead_tools(world):
    client = Client()
    client.force_login(world["bob"])
    assert client.get("/reports/quality/").status_code == 403
    page = client.get("/quality/reviews/?tab=all").content.decode()
    assert 'id="scorecards"' not in page
    assert client.post("/quality/sample/", {"week": "2026-W11"}).status_code == 403


def test_scoring_page_validates_and_saves_with_htmx(world, django_assert_max_num_queries):
    review = world["reviews"][0]
    client = Client()
    client.force_login(world["bob"])
    with django_assert_max_num_queries(14):
        page = client.get(f"/quality/reviews/{review.pk}/")
    assert page.status_code == 200 and b"It does not work." in page.content  # the thread beside the form
    bad = client.post(f"/quality/reviews/{review.pk}/", {"score-0": "4"}, HTTP_HX_REQUEST="true")
    assert bad.status_code == 422 and b"answer every criterion" in bad.content
    assert b"<html" not in bad.content  # the form panel only
    good = client.post(
        f"/quality/reviews/{review.pk}/", {"score-0": "4", "score-1": "1", "comment": "Nice"}, HTTP_HX_REQUEST="true"
    )
    assert good.status_code == 200 and b"90.0" in good.content
    review.refresh_from_db()
    assert review.status == "done" and str(review.score) == "90.0"
    # Another agent who is not the reviewer gets a 404 for the page.
    other = Client()
    other.force_login(world["ann"])
    assert other.get(f"/quality/reviews/{world['reviews'][1].pk}/").status_code == 404


def test_pages_query_counts_do_not_grow_with_rows(world, django_assert_max_num_queries, make_user, make_ticket):
    lead = Client()
    lead.force_login(world["lead"])
    for review in world["reviews"]:
        services.review_score(review=review, values={"Tone": 3, "Accuracy": 1}, comment="", actor=world["bob"])
    with django_assert_max_num_queries(20):
        assert lead.get("/quality/reviews/?tab=all").status_code == 200
    with django_assert_max_num_queries(14):
        report = lead.get(f"/reports/quality/?last={WEEK}&weeks=4")
    figure = report.content.split(b'<figure class="chart">')[1].split(b"</figure>")[0]
    assert report.status_code == 200 and b"<svg" in figure and b"<script" not in figure  # CSP: no inline script
    csv_text = lead.get(f"/reports/quality.csv?last={WEEK}").content.decode()
    assert "week,2026-W10,2026-W10,3,80.0" in csv_text  # (2*50 + 300)/5 = 80.0 for each of the 3
    for i in range(5):  # more rows, same number of queries
        solved(make_ticket, agent=world["bob"], week="2026-W11", hours=i)
    services.sample_week(week="2026-W11")
    for review in Review.objects.filter(week="2026-W11"):
        services.review_score(review=review, values={"Tone": 5, "Accuracy": 1}, comment="", actor=world["lead"])
    with django_assert_max_num_queries(20):
        assert lead.get("/quality/reviews/?tab=all").status_code == 200
    with django_assert_max_num_queries(14):
        assert lead.get("/reports/quality/?last=2026-W11&weeks=4").status_code == 200
