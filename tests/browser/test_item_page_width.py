"""The feedback item page never scrolls sideways at 1280 px, whatever the evidence holds: long quotes without
spaces, long URLs, long company and contact names, long engineering links."""

from __future__ import annotations

from decimal import Decimal

LONG_URL = "https://example.com/" + "/".join(["a-very-long-path-segment-without-any-break"] * 8) + "?q=" + "x" * 120
LONG_WORD = "Supercalifragilistic" * 12


def test_the_item_page_fits_1280_px_with_long_quotes_urls_and_company_names(browse, demo):
    from supportloop.customers.services import company_create, contact_create
    from supportloop.feedback.services import engineering_link_add, evidence_add, feedback_item_create
    from supportloop.tickets.services import ticket_create

    company = company_create(
        name="Incorporated" * 12, domains=["long.example"], plan="enterprise", mrr=Decimal("123456789.99")
    )
    contact = contact_create(name="Maximilian" * 10, emails=[("m" * 60) + "@long.example"], company=company)
    ticket = ticket_create(subject=LONG_WORD, body=f"{LONG_URL} {LONG_WORD}", requester=contact, team=demo.team)
    item = feedback_item_create(
        kind="feature_request", title="Export " + LONG_WORD, problem=f"{LONG_URL}\n{LONG_WORD}", actor=demo.pm
    )
    evidence_add(item=item, actor=demo.agent, ticket=ticket, quote=f"{LONG_WORD} {LONG_URL}")
    engineering_link_add(item=item, url=LONG_URL, actor=demo.pm)

    page = browse(demo.pm, width=1280)
    page.goto(f"/feedback/{item.pk}/")
    page.select_option("#id_status", "shipped")
    page.check("#id_notify")
    page.locator("#loop-preview table").wait_for()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth, document.body.scrollWidth]"
    )
    assert widths[0] <= widths[1], widths
    assert widths[2] <= widths[1], widths
