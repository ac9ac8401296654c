"""Closing the loop as the demo runs it: tasks in the database queue, a worker in the process, mail kept in the
Outbox that admins read. The box that tells customers is unticked by default and the preview says so; ticked,
shipping asks "Ship and email N customers?" first; then each customer shows queued, then sent."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from supportloop.mail.outbox import OUTBOX_BACKEND


@pytest.fixture
def demo_mode(settings):
    """The settings `make demo` runs with: the database task backend, mail to the Outbox, the Outbox page."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    settings.SUPPORTLOOP_OUTBOX = True
    return settings


def test_shipping_with_the_box_ticked_confirms_shows_each_state_and_the_outbox_has_each_mail(
    browse, demo, demo_mode, make_user
):
    from supportloop.demo.worker import worker_run_ready
    from supportloop.feedback.models import ClosingNotice
    from supportloop.feedback.services import evidence_add, feedback_item_create

    item = feedback_item_create(kind="feature_request", title="Export all invoices as PDF", actor=demo.pm)
    for ticket in (demo.refund_ticket, demo.bug_ticket, demo.latest_ticket):  # Alice, Bob, Carol
        evidence_add(item=item, actor=demo.agent, ticket=ticket, quote="all invoices as PDF")

    page = browse(demo.pm)
    page.goto(f"/feedback/{item.pk}/")
    # Hold the "Customers told" panel's polling until the worker has run, to see the queued state first.
    page.route(re.compile(r"/feedback/\d+/notices/$"), lambda route: route.abort())
    preview = page.locator("#loop-preview")
    page.select_option("#id_status", "shipped")
    expect(preview.locator("[data-preview-summary]")).to_have_text("Nobody will be told")  # the box is unticked
    page.check("#id_notify")
    expect(preview.locator("[data-preview-summary]")).to_have_text("3 customers will be told")
    page.uncheck("#id_notify")
    expect(preview.locator("[data-preview-summary]")).to_have_text("Nobody will be told")
    page.check("#id_notify")
    page.fill("#id_release_note", "Invoices › Export all now downloads every invoice as one PDF.")
    page.get_by_role("button", name="Change status").click()

    # The confirm step: a page of its own (works without JavaScript); nothing has changed yet.
    expect(page.locator("h1")).to_have_text("Ship and email 3 customers?")
    for email in ("alice@acme.example", "bob@globex.example", "carol@initech.example"):
        expect(page.locator("#confirm-recipients")).to_contain_text(email)
    assert not ClosingNotice.objects.exists()
    page.get_by_role("button", name="Ship and email 3 customers").click()
    page.wait_for_url(f"**/feedback/{item.pk}/")
    expect(page.locator("[data-item-status]")).to_have_text("Shipped")
    told = page.locator("#told")
    expect(told.locator("tr[data-notice-status='pending']")).to_have_count(3)
    for name in ("Alice Able", "Bob Brown", "Carol Chen"):
        expect(told.locator("tr", has_text=name)).to_contain_text("Queued")

    worker_run_ready()  # the demo's worker (a thread there) takes the task from the database queue
    page.unroute(re.compile(r"/feedback/\d+/notices/$"))
    expect(told.locator("tr[data-notice-status='sent']")).to_have_count(3)  # the panel polls until all are sent
    for name in ("Alice Able", "Bob Brown", "Carol Chen"):
        expect(told.locator("tr", has_text=name)).to_contain_text("sent ")

    admin = browse(make_user("admin", username="root"))
    admin.get_by_role("link", name="Outbox").click()
    outbox = admin.locator("#outbox")
    for email in ("alice@acme.example", "bob@globex.example", "carol@initech.example"):
        mail = outbox.locator(f"li[data-outbox-to='{email}']")
        expect(mail).to_have_count(1)
        mail.locator("summary").click()
        expect(mail).to_contain_text("Export all now downloads every invoice as one PDF.")
