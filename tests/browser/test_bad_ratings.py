"""A lead reviews a bad CSAT in the Bad ratings view (issue 15): the customer's score and comment beside the ticket,
"Product issue" with a feedback item picked from the list, and the ticket becomes evidence on that item. Leaves
test-artifacts/bad-ratings.png to look at."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_a_lead_links_a_bad_rating_to_the_feedback_item_it_is_about(browse, make_user, make_ticket, make_item):
    from django.core import mail
    from django.utils import timezone

    from supportloop.feedback.models import Evidence
    from supportloop.surveys.services import survey_answer, survey_sends_deliver_due
    from supportloop.tickets.services import ticket_update

    ticket = make_ticket(subject="Export to Excel fails")
    ticket_update(ticket=ticket, actor=None, status="solved")
    survey_sends_deliver_due(now=timezone.now() + timedelta(hours=2))
    links = re.findall(r"/surveys/r/([A-Za-z0-9_-]+)/\?s=(\d+)", mail.outbox[-1].body)
    tokens = {int(score): token for token, score in links}
    survey_answer(raw=tokens[min(tokens)], score=min(tokens), comment="The export still breaks on big files")
    item = make_item("Export large reports to Excel")
    make_item("Dark mode")
    lead = make_user("lead", username="lena", first_name="Lena", last_name="Lead")

    page = browse(lead, width=1280)
    page.goto("/surveys/bad-ratings/?teams=all")
    row = page.locator("#bad-ratings tbody tr").first
    expect(row).to_contain_text("Export to Excel fails")
    expect(row).to_contain_text("The export still breaks on big files")
    # The review column is wide enough to read the item titles and the page does not scroll sideways.
    review = row.locator("td").last.bounding_box()
    assert review is not None and review["width"] >= 240, review
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    row.get_by_label("Product issue").check()
    row.get_by_label("Feedback item").select_option(label=f"FB-{item.pk} Export large reports to Excel")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "bad-ratings.png"), full_page=False)
    row.get_by_role("button", name="Save").click()

    expect(page.locator("body")).to_contain_text("Bad rating reviewed.")
    page.goto("/surveys/bad-ratings/?teams=all&status=all")
    expect(page.locator("#bad-ratings")).to_contain_text(f"Product issue · FB-{item.pk}")
    evidence = Evidence.objects.get(item=item)
    assert evidence.ticket_id == ticket.pk and evidence.quote == "The export still breaks on big files"
