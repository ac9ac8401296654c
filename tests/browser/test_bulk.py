"""Issue 12 "queue shaping": the bulk bar appears once a row is ticked, "select all N matching" changes the whole
query after a confirmation, and the Undo toast puts every ticket back."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bar_appears_once_a_row_is_ticked_and_leaves_when_none_is(browse, demo):
    page = browse(demo.agent)
    bar = page.get_by_role("form", name="Bulk actions")
    expect(page.locator("table.inbox tbody tr[data-href]")).to_have_count(3)
    expect(bar).to_be_hidden()
    box = page.get_by_role("checkbox", name=f"Select ticket #{demo.refund_ticket.number}")
    box.check()
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_have_text("1 selected")
    expect(bar.locator("[data-bulk-all]")).to_be_hidden()  # the three open tickets are all on the page already
    page.select_option("#b-action", "priority")  # only the chosen action's value shows
    expect(page.locator("#b-priority")).to_be_visible()
    expect(page.locator("#b-status")).to_be_hidden()
    box.uncheck()
    expect(bar).to_be_hidden()


def test_select_all_matching_asks_then_changes_every_ticket_and_undo_restores_them(browse, demo):
    from django.db.models import Count

    from supportloop.tickets.models import Ticket, TicketStatusCount
    from supportloop.tickets.services import ticket_create, ticket_update

    ticket_update(ticket=demo.bug_ticket, actor=demo.agent, status="open")  # one that undo must put back to open
    for i in range(52):
        ticket_create(subject=f"Question {i}", body="How do I export?", requester=demo.bob)
    total = Ticket.objects.count()  # 55: more than the page's 50 rows
    page = browse(demo.agent)
    expect(page.locator("table.inbox tbody tr[data-href]")).to_have_count(50)
    page.get_by_role("checkbox", name="Select all", exact=True).check()
    bar = page.get_by_role("form", name="Bulk actions")
    expect(bar.locator("[data-bulk-count]")).to_have_text("50 selected")
    bar.get_by_role("button", name=f"Select all {total} matching").click()
    expect(bar.locator("[data-bulk-count]")).to_have_text(f"All {total} matching tickets selected")
    page.select_option("#b-action", "status")
    page.select_option("#b-status", "pending")
    bar.get_by_role("button", name="Apply to selected").click()
    dialog = page.get_by_role("dialog", name=f"Change {total} tickets?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Change them").click()
    toast = page.locator(".bulk-toast[role=status]")
    expect(toast).to_contain_text(f"Updated {total} tickets.")
    assert set(Ticket.objects.values_list("status", flat=True)) == {"pending"}
    assert Ticket.objects.count() == total

    toast.get_by_role("button", name="Undo").click()
    expect(page.locator(".flash")).to_contain_text(f"Undone: {total} tickets restored.")
    statuses = dict(Ticket.objects.values_list("status").annotate(n=Count("id")))
    assert statuses == {"new": total - 1, "open": 1}
    assert Ticket.objects.get(pk=demo.bug_ticket.pk).status == "open"
    assert {s: c for s, c in TicketStatusCount.objects.values_list("status", "count") if c} == statuses
    expect(page).to_have_url(re.compile(r"/$"))


def test_cancel_in_the_dialog_changes_nothing(browse, demo):
    from supportloop.tickets.models import Ticket
    from supportloop.tickets.services import ticket_create

    for i in range(9):
        ticket_create(subject=f"Question {i}", body="How do I export?", requester=demo.bob)
    page = browse(demo.agent)
    page.get_by_role("checkbox", name="Select all", exact=True).check()
    bar = page.get_by_role("form", name="Bulk actions")
    expect(bar.locator("[data-bulk-count]")).to_have_text("12 selected")
    page.select_option("#b-action", "status")
    page.select_option("#b-status", "solved")
    bar.get_by_role("button", name="Apply to selected").click()
    dialog = page.get_by_role("dialog", name="Change 12 tickets?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    assert not Ticket.objects.filter(status="solved").exists()
