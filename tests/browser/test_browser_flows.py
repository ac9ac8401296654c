"""The flows of issue 4 in a real browser: an agent's day, a product manager closing the loop, Chinese UI."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_opens_a_ticket_by_keyboard_replies_with_a_macro_links_feedback_and_files_a_bug(browse, demo):
    from supportloop.feedback.models import BugReport, Evidence
    from supportloop.feedback.services import feedback_item_create
    from supportloop.tickets.models import Message

    request = feedback_item_create(
        kind="feature_request", title="Export all invoices as PDF", actor=demo.pm, product_feature=demo.feature
    )
    page = browse(demo.agent)

    # The inbox, newest activity first; j moves down, o opens the selected ticket.
    rows = page.locator("table.inbox tbody tr[data-href]")
    expect(rows).to_have_count(3)
    expect(rows.nth(1)).to_contain_text("Refund for double charge")
    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bsel\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bsel\b"))
    page.keyboard.press("o")
    page.wait_for_url(f"**/t/{demo.refund_ticket.number}/")
    expect(page.locator("h1")).to_contain_text("Refund for double charge")

    # Reply with a macro: type to search, pick it, the placeholders are filled, send.
    page.fill("#macro-q", "refu")
    page.locator("#macro-results button", has_text="Refund issued").click()
    body = page.locator("#id_body")
    expect(body).to_have_value(f"Hi Alice, your refund for ticket #{demo.refund_ticket.number} is on its way.")
    body.fill(body.input_value() + " Sorry for the trouble.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".thread .msg").last).to_contain_text("Sorry for the trouble.")
    reply = Message.objects.filter(ticket=demo.refund_ticket).latest("id")
    assert reply.body_text.startswith("Hi Alice, your refund") and reply.kind == "reply"
    assert "refund" in set(demo.refund_ticket.tags.values_list("name", flat=True))

    # Link to the existing feature request, quoting the text selected in the customer's message.
    phrase = "export all invoices as PDF in one go"
    page.evaluate(
        """(phrase) => {
        const body = document.querySelector('.thread .msg.customer .body');
        const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
            const at = node.textContent.indexOf(phrase);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(node, at); range.setEnd(node, at + phrase.length);
                const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
                body.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
                return;
            }
        }
        throw new Error('phrase not found');
    }""",
        phrase,
    )
    expect(page.locator("#link-form textarea[name=quote]")).to_have_value(phrase)
    page.fill("#fb-q", "invoices")
    page.get_by_label(re.compile("Export all invoices as PDF")).check()
    page.locator("#link-form").get_by_role("button", name="Link").click()
    expect(page.locator("#ticket-feedback")).to_contain_text("Export all invoices as PDF")
    evidence = Evidence.objects.get(item=request)
    assert (evidence.quote, evidence.contact_id, evidence.ticket_id) == (phrase, demo.alice.pk, demo.refund_ticket.pk)
    assert evidence.message.ticket_id == demo.refund_ticket.pk

    # File a bug from another ticket: the structured form arrives pre-filled.
    page.goto(f"/t/{demo.bug_ticket.number}/")
    page.get_by_role("button", name="File bug").click()
    expect(page.locator("#id_title")).to_have_value("PDF download button does nothing")
    expect(page.locator("#id_environment_plan")).to_have_value("starter")
    expect(page.locator("#id_steps")).to_have_value(re.compile("Clicking Download PDF"))
    page.select_option("#id_version", "2.6")
    page.select_option("#id_environment_browser", "Firefox")
    page.select_option("#id_environment_os", "Linux")
    page.select_option("#id_environment_device", "Laptop")
    page.fill("#id_expected", "A PDF downloads")
    page.fill("#id_actual", "Nothing happens")
    page.get_by_role("button", name="File bug").click()
    expect(page.locator(".flash")).to_contain_text("Bug filed")
    bug = BugReport.objects.get()
    assert (bug.ticket_id, bug.item.title, bug.environment_browser) == (
        demo.bug_ticket.pk,
        "PDF download button does nothing",
        "Firefox",
    )
    expect(page.locator("#ticket-feedback")).to_contain_text("PDF download button does nothing")


def test_product_manager_sees_demand_rise_merges_a_duplicate_and_ships_telling_customers(browse, demo):
    from supportloop.feedback.models import ClosingNotice
    from supportloop.feedback.services import evidence_add, feedback_item_create

    request = feedback_item_create(kind="feature_request", title="Export all invoices as PDF", actor=demo.pm)
    duplicate = feedback_item_create(kind="feature_request", title="Bulk PDF download", actor=demo.agent)
    evidence_add(item=request, actor=demo.agent, ticket=demo.refund_ticket, quote="all invoices as PDF")
    evidence_add(item=duplicate, actor=demo.agent, ticket=demo.latest_ticket, quote="download every PDF")

    page = browse(demo.pm)
    page.goto("/feedback/")
    count = page.locator(f"tr[data-item='{request.pk}'] [data-unique-contacts]")
    expect(count).to_have_text("1")
    # An agent links another customer's ticket; the ranking counts a second unique customer.
    evidence_add(item=request, actor=demo.agent, ticket=demo.bug_ticket, quote="PDFs for all invoices")
    page.reload()
    expect(count).to_have_text("2")

    # Merge the duplicate (Carol's request) into the request: three unique customers.
    page.goto(f"/feedback/{duplicate.pk}/")
    page.fill("#merge-q", "Export all")
    page.get_by_label(re.compile("Export all invoices as PDF")).check()
    page.get_by_role("button", name="Merge").click()
    page.wait_for_url(f"**/feedback/{request.pk}/")
    expect(page.locator("[data-unique-contacts]")).to_have_text("3")
    expect(page.locator("#evidence")).to_contain_text("download every PDF")

    # Ship it: with the box ticked the preview names who will be told; a confirm step; then who was told.
    page.select_option("#id_status", "shipped")
    page.check("#id_notify")
    preview = page.locator("#loop-preview")
    expect(preview).to_contain_text("3 customers will be told")
    for email in ("alice@acme.example", "bob@globex.example", "carol@initech.example"):
        expect(preview).to_contain_text(email)
    page.fill("#id_release_note", "Invoices › Export all now downloads every invoice as one PDF.")
    page.get_by_role("button", name="Change status").click()
    page.get_by_role("button", name="Ship and email 3 customers").click()
    expect(page.locator("[data-item-status]")).to_have_text("Shipped")
    told = page.locator("#told")
    for name in ("Alice Able", "Bob Brown", "Carol Chen"):
        expect(told).to_contain_text(name)
    assert ClosingNotice.objects.filter(item=request, status="sent").count() == 3


def test_a_chinese_speaking_user_sees_the_interface_in_chinese(browse, demo, make_user):
    page = browse(None, locale="zh-CN")
    page.goto("/login/")
    expect(page.locator("h1")).to_have_text("登录 supportloop")
    mei = make_user("agent", username="mei", language="zh-hans")
    page = browse(mei, locale="en-US")  # the profile wins over the browser
    expect(page.locator("header.top nav")).to_contain_text("收件箱")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("thead")).to_contain_text("主题")
    page.goto(f"/t/{demo.refund_ticket.number}/")
    expect(page.get_by_role("button", name="发送")).to_be_visible()


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea, button'))
    .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
    .filter(el => {
        const named = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')
            || (el.labels && el.labels.length) || (el.tagName === 'BUTTON' && el.textContent.trim());
        return !named;
    })
    .map(el => el.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("width", [1280, 390])
def test_every_control_has_a_label_and_pages_fit_the_screen(browse, demo, make_user, width):
    from supportloop.feedback.services import evidence_add, feedback_item_create

    item = feedback_item_create(kind="feature_request", title="Export all invoices as PDF", actor=demo.pm)
    evidence_add(item=item, actor=demo.agent, ticket=demo.refund_ticket)
    admin = make_user("admin", username="root")
    page = browse(admin, width=width)
    for path in (
        "/",
        f"/t/{demo.refund_ticket.number}/",
        f"/t/{demo.bug_ticket.number}/bug/",
        "/customers/",
        f"/customers/companies/{demo.acme.pk}/",
        "/feedback/",
        f"/feedback/{item.pk}/",
        "/roadmap/",
        "/digest/",
        "/settings/users/",
        "/settings/macros/",
        "/settings/taxonomy/",
        "/settings/tokens/",
        "/account/",
    ):
        page.goto(path)
        assert page.evaluate(UNLABELLED) == [], path
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)


def test_more_tickets_appends_the_next_page_in_place_and_bulk_actions_apply(browse, demo):
    from supportloop.tickets.models import Ticket
    from supportloop.tickets.services import ticket_create

    for i in range(52):
        ticket_create(subject=f"Question {i}", body="How do I export?", requester=demo.bob)
    page = browse(demo.agent)
    rows = page.locator("table.inbox tbody tr[data-href]")
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="More tickets").click()
    expect(rows).to_have_count(55)
    expect(page.get_by_role("link", name="More tickets")).to_have_count(0)
    assert "cursor" not in page.url  # htmx appended the rows; the page did not navigate
    # Select the two newest with the keyboard: the bulk bar shows, counts them, and sets them pending.
    bar = page.get_by_role("form", name="Bulk actions")
    expect(bar).to_be_hidden()
    page.keyboard.press("j")
    page.keyboard.press("x")
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(bar).to_be_visible()
    expect(bar.locator("[data-bulk-count]")).to_have_text("2 selected")
    page.select_option("#b-action", "status")
    page.select_option("#b-status", "pending")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_role("status").filter(has_text="Updated 2 tickets.")).to_be_visible()
    newest = list(Ticket.objects.order_by("-id").values_list("subject", "status")[:3])
    assert newest[0] == ("Question 51", "pending") and newest[1] == ("Question 50", "pending")
    assert newest[2][1] == "new"
