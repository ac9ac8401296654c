"""A reviewer scores a sampled conversation beside its thread (issue 15), then the agent reads the review."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_scores_a_conversation_and_the_agent_sees_it(browse, demo, make_user):
    from supportloop.quality import services
    from supportloop.quality.models import Review
    from supportloop.tickets.models import Ticket

    lead = make_user("lead", username="lead", first_name="Lee", last_name="Lead")
    reviewer = make_user("agent", username="rita", first_name="Rita", last_name="Reviewer")
    services.scorecard_create(
        name="Support quality",
        criteria=[
            {"label": "Tone", "weight": 2, "scale": "one_to_five"},
            {"label": "Accuracy", "weight": 3, "scale": "pass_fail"},
        ],
        active=True,
        actor=lead,
    )
    services.quality_settings_update(actor=lead, sample_size=1, reviewer_ids=[reviewer.pk])
    week = "2026-W10"
    start, _end = services.week_bounds(week)
    Ticket.objects.filter(pk=demo.refund_ticket.pk).update(status="solved", solved_at=start, assignee=demo.agent)
    services.sample_week(week=week)
    review = Review.objects.get()

    page = browse(reviewer)
    page.get_by_role("link", name="Reviews").first.click()
    expect(page.locator("#reviews")).to_contain_text("Refund for double charge")
    page.locator("#reviews a", has_text="Refund for double charge").click()
    expect(page.locator("#thread")).to_contain_text("We were charged twice this month")

    # Score beside the thread; the form posts with htmx and the panel is swapped in place.
    panel = page.locator("#score-panel")
    panel.locator("fieldset", has_text="Tone").get_by_label("4").check()
    panel.locator("fieldset", has_text="Accuracy").get_by_label("Pass").check()
    page.fill("#review-comment", "Right fix and kind words; mention the PDF export request to product.")
    panel.get_by_role("button", name="Save review").click()
    expect(page.locator("#review-score")).to_have_text("Score: 90.0 %")  # (2*75 + 3*100) / 5
    page.screenshot(path="test-artifacts/quality-review-scored.png", full_page=True)
    review.refresh_from_db()
    assert review.status == "done" and str(review.score) == "90.0"

    agent_page = browse(demo.agent)
    agent_page.goto("/quality/reviews/?tab=mine")
    expect(agent_page.locator("#reviews")).to_contain_text("90.0 %")
    expect(agent_page.locator("#reviews")).to_contain_text("Right fix and kind words")
    agent_page.locator("#reviews a", has_text="Refund for double charge").click()
    expect(agent_page.locator("#score-panel")).to_contain_text("Pass")
    expect(agent_page.locator("#score-panel button")).to_have_count(0)  # read-only for the agent
