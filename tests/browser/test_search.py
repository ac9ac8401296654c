"""Issue 13: an agent finds a ticket from the header search box with the keyboard only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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
    expect(page.locator(".search-results a", has_text="PDF download button does nothing")).to_be_visible()
    page.keyboard.press("/")
    page.keyboard.type(f"#{demo.latest_ticket.number}")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/t/{demo.latest_ticket.number}/$"))
