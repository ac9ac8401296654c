"""Issue 12, queue shaping, in Chromium: the sorts (and the remembered one), the Unread filter, snooze with the
Snoozed view and waking on a customer's reply, saved-view counts, and the row's preview, wait and initials."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _row_numbers(page) -> list[int]:
    ids = page.locator("#rows tr[id^=row-]").evaluate_all("rows => rows.map(r => r.id)")
    return [int(i.removeprefix("row-")) for i in ids]


def test_agent_sorts_by_longest_waiting_and_priority_and_the_sort_is_remembered(browse, demo):
    from supportloop.tickets.services import ticket_reply

    ticket_reply(ticket=demo.latest_ticket, actor=demo.agent, body="Try clearing cookies.")  # answered: not waiting
    page = browse(demo.agent)
    page.select_option("#f-sort", "waiting")
    page.click("form.toolbar button[type=submit]")
    page.wait_for_url(re.compile(r"sort=waiting"))
    assert _row_numbers(page) == [demo.bug_ticket.number, demo.refund_ticket.number]  # oldest wait first
    page.select_option("#f-sort", "priority")
    page.click("form.toolbar button[type=submit]")
    page.wait_for_url(re.compile(r"sort=priority"))
    assert _row_numbers(page)[0] == demo.refund_ticket.number  # high before normal
    page.goto("/")
    expect(page.locator("#f-sort")).to_have_value("priority")
    assert _row_numbers(page)[0] == demo.refund_ticket.number


def test_rows_show_the_last_message_the_wait_and_the_assignees_initials(browse, demo):
    from supportloop.tickets.services import ticket_reply, ticket_update

    ticket_update(ticket=demo.refund_ticket, actor=demo.agent, assignee=demo.agent)
    ticket_reply(ticket=demo.refund_ticket, actor=demo.agent, body="Refund is on its way.")
    page = browse(demo.agent)
    row = page.locator(f"#row-{demo.refund_ticket.number}")
    expect(row.locator(".preview")).to_have_text("You: Refund is on its way.")
    expect(row.locator(".avatar")).to_have_text("AA")
    expect(row.locator(".avatar")).to_have_attribute("title", "Alex Agent")
    waiting = page.locator(f"#row-{demo.bug_ticket.number} .waiting")
    expect(waiting).to_have_text(re.compile(r"^waiting \d+ min$"))
    expect(page.locator(f"#row-{demo.bug_ticket.number} .preview")).to_contain_text("Download PDF")


def test_unread_shows_only_tickets_with_customer_news_since_the_last_visit(browse, demo):
    from supportloop.tickets.services import message_add_from_contact

    page = browse(demo.agent)
    page.check("#f-unread")
    page.click("form.toolbar button[type=submit]")
    page.wait_for_url(re.compile(r"unread=1"))
    assert len(_row_numbers(page)) == 3
    page.click(f"#row-{demo.bug_ticket.number} a")
    page.wait_for_url(f"**/t/{demo.bug_ticket.number}/")
    page.go_back()
    page.reload()
    assert demo.bug_ticket.number not in _row_numbers(page)
    message_add_from_contact(ticket=demo.bug_ticket, contact=demo.bob, body="Still broken.")
    page.reload()
    assert demo.bug_ticket.number in _row_numbers(page)


def test_a_snoozed_ticket_leaves_the_inbox_and_wakes_on_the_customers_reply(browse, demo):
    from supportloop.tickets.services import message_add_from_contact

    page = browse(demo.agent)
    page.goto(f"/t/{demo.bug_ticket.number}/")
    page.click("#ticket-snooze button[value=tomorrow]")
    expect(page.locator("[data-snoozed-until]")).to_be_visible()
    expect(page.locator(".messages, [role=status], .flash").first).to_be_attached()
    page.goto("/?view=all")
    assert demo.bug_ticket.number not in _row_numbers(page)
    expect(page.locator('[data-count="snoozed"]')).to_have_text("1")
    page.click('a[href="?view=snoozed"]')
    page.wait_for_url(re.compile(r"view=snoozed"))
    assert _row_numbers(page) == [demo.bug_ticket.number]
    expect(page.locator(f"#row-{demo.bug_ticket.number} .snoozed")).to_contain_text("Snoozed until")
    message_add_from_contact(ticket=demo.bug_ticket, contact=demo.bob, body="Any news?")
    page.goto("/?view=all")
    assert demo.bug_ticket.number in _row_numbers(page)
    page.goto(f"/t/{demo.bug_ticket.number}/")
    expect(page.get_by_text("The customer's reply woke the snoozed ticket")).to_be_visible()


def test_a_custom_snooze_and_waking_it_by_hand(browse, demo):
    from django.utils import timezone

    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    later = (timezone.localtime() + timezone.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.fill("#snooze-at", later)
    page.click("#ticket-snooze button:has-text('Snooze until then')")
    expect(page.locator("[data-snoozed-until]")).to_contain_text(later.replace("T", " "))
    page.click("#ticket-snooze button[value=wake]")
    expect(page.locator("[data-snoozed-until]")).to_have_count(0)
    expect(page.get_by_text("Alex Agent woke the snoozed ticket").first).to_be_visible()


def test_saved_views_count_from_the_rollup(browse, demo):
    from supportloop.web.models import SavedView

    SavedView.objects.create(user=demo.agent, name="High", query="priority=high")
    SavedView.objects.create(user=demo.agent, name="Refunds", query="tag=refund")
    page = browse(demo.agent)
    high = page.locator("a", has_text="High").locator("[data-saved-count]")
    expect(high).to_have_text("1")
    expect(page.locator("a", has_text="Refunds").locator("[data-saved-count]")).to_have_count(0)
