"""Issue 13: an agent finds a ticket from the header search box with the keyboard only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_an_agent_finds_a_ticket_from_the_header_box_with_the_keyboard(browse, demo):
    page = browse(demo.agent)
    page.keyboard.press("/")  # focuses the header box from anywhere
    box = page.locator("#site-search")
    expect(box).to_be_focused()
    page.keyboard.type("charged")  # "charged twice" is in the refund ticket's first message, not its subject
    results = page.locator("#site-search-results")
    option = results.locator("a[data-search-option]", has_text="Refund for double charge")
    expect(option).to_be_visible()
    expect(results.locator(".search-group-title").first).to_be_visible()
    expect(results.locator("mark").first).to_have_text("charged")
    page.keyboard.press("ArrowDown")
    expect(option).to_have_class(re.compile(r"\bsel\b"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/t/{demo.refund_ticket.number}/$"))


def test_enter_opens_the_results_page_and_a_ticket_number_jumps(browse, demo):
    page = browse(demo.agent)
    page.keyboard.press("/")
    page.keyboard.type("invoice")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q=invoice"))
    expect(page.locator("table.search-tickets a", has_text="PDF download button does nothing")).to_be_visible()
    page.keyboard.press("/")
    page.keyboard.type(f"#{demo.latest_ticket.number}")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/t/{demo.latest_ticket.number}/$"))


def test_an_agent_sorts_results_selects_two_and_sets_their_status(browse, demo):
    """Ticket results are the inbox's rows: sort them, tick two, apply a bulk status change, land back on them."""
    from supportloop.tickets.models import Ticket

    page = browse(demo.agent)
    page.goto("/search/?q=invoice")
    rows = page.locator("table.search-tickets tbody tr[data-href]")
    expect(rows).to_have_count(2)  # the PDF bug and the refund mention invoices; the sign-in ticket does not
    expect(rows.locator(".excerpt mark").first).to_be_visible()
    page.select_option("#s-sort", "created")
    page.click("form[role=search] button[type=submit]")
    page.wait_for_url(re.compile(r"sort=created"))
    # newest created first: the refund ticket was created after the PDF bug
    expect(rows.nth(0)).to_have_attribute("id", f"row-{demo.refund_ticket.number}")
    expect(rows.nth(1)).to_have_attribute("id", f"row-{demo.bug_ticket.number}")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "search-results-sorted.png"), full_page=True)

    expect(page.locator("#bulk")).to_be_hidden()  # the shared bulk bar shows once a row is ticked
    rows.nth(0).locator("input[type=checkbox]").check()
    rows.nth(1).locator("input[type=checkbox]").check()
    expect(page.locator("#bulk [data-bulk-count]")).to_have_text("2 selected")
    page.select_option("#b-action", "status")
    page.select_option("#b-status", "pending")
    page.click("#bulk button[type=submit]")
    page.wait_for_url(re.compile(r"/search/\?q=invoice.*sort=created"))
    expect(page.locator(".bulk-toast", has_text="Updated 2 tickets")).to_be_visible()
    expect(rows.locator(".badge.st-pending")).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "search-results-bulk-done.png"), full_page=True)
    assert set(Ticket.objects.filter(status="pending").values_list("number", flat=True)) == {
        demo.refund_ticket.number,
        demo.bug_ticket.number,
    }
