"""A lead opens Reports from the main menu, sees charts with their tables, switches the satisfaction window, and
a wall screen shows a TV link without signing in. Leaves test-artifacts/reports-*.png to look at."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_a_lead_reads_the_dashboards_and_a_tv_shows_one(browse, demo, make_user):
    from django.utils import timezone

    from supportloop.analytics.rollups import analytics_rebuild
    from supportloop.analytics.services import tv_link_create, tv_token
    from supportloop.surveys.models import SurveyResponse, SurveySend
    from supportloop.tickets.models import Ticket
    from supportloop.tickets.services import ticket_create

    lead = make_user("lead", username="lea", first_name="Lea", last_name="Lead")
    for i in range(6):
        ticket = ticket_create(
            subject=f"Invoice question {i}", body="Where is my invoice?", requester_email=f"c{i}@acme.example"
        )
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=timezone.now() - timedelta(days=i, hours=i),
            first_response_at=timezone.now() - timedelta(days=i),
        )
    contact = Ticket.objects.first().requester
    now = timezone.now()
    for score, comment in ((1, "Quick and friendly"), (0, "Took too long")):
        send = SurveySend.objects.create(kind="csat", contact=contact, expires_at=now + timedelta(days=9))
        SurveyResponse.objects.create(
            send=send,
            kind="csat",
            score=score,
            sentiment="good" if score else "bad",
            contact=contact,
            rated_at=now - timedelta(days=1),
            comment=comment,
        )
    analytics_rebuild()

    page = browse(lead, width=1280)
    page.get_by_role("link", name="Reports").click()
    page.wait_for_url(re.compile(r"/reports/$"))
    assert page.locator("#table-heatmap tbody tr").count() == 7
    # The heatmap is its table: the busiest hour's cell is fully shaded with light text, an empty hour is not.
    cells = page.locator("#table-heatmap tbody td").evaluate_all(
        "cells => cells.map(c => [Number(c.textContent), getComputedStyle(c).backgroundColor,"
        " getComputedStyle(c).color])"
    )
    hours = [cell for i, cell in enumerate(cells) if i % 25 != 24]  # each row's last cell is its total
    busiest = max(hours, key=lambda cell: cell[0])
    assert busiest[1:] == ["rgb(37, 99, 235)", "rgb(255, 255, 255)"], busiest
    assert next(cell for cell in hours if cell[0] == 0)[1] == "rgba(37, 99, 235, 0)"
    total = Ticket.objects.count()  # ours and the demo fixture's, all from the web form
    assert page.locator("#table-by_channel tbody").inner_text().split() == ["Web", "form", str(total)]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-volume.png"), full_page=False)

    page.get_by_role("link", name="Satisfaction").click()
    page.select_option("#r-window", "solved")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"window=solved"))
    assert "by the date their ticket was solved" in page.locator("#report-period").inner_text()
    page.select_option("#r-window", "rated")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"window=rated"))
    headline = page.locator("#table-headline").inner_text()
    assert "50.0" in headline  # one good of two CSAT answers
    assert "Took too long" in page.locator("#table-feedback_wall").inner_text()
    page.screenshot(path=str(ARTIFACTS / "reports-satisfaction.png"), full_page=True)

    link = tv_link_create(name="Floor screen", dashboard="volume", actor=lead)
    tv = browse(None, width=1280)
    tv.goto(f"/reports/tv/{tv_token(link)}/")
    assert "Floor screen" in tv.locator("h1").inner_text()
    assert tv.locator("a").count() == 0  # nothing else reachable from the wall screen
    tv.goto("/reports/tv/forged-token/")
    assert "not valid" in tv.locator("h1").inner_text()
