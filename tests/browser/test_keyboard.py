"""Issue 12, keyboard: search fields inside forms never submit them, the bug form files in 3 actions, the shortcut
layer (help dialog, per-user switch, layout-independent keys, lists, Ctrl+Enter), focus ring, dark theme, RTL."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Synthetic key events: what an input method (IME) sends while composing, and keys typed on a non-Latin layout.
DISPATCH = """([selector, init]) => {
    const target = selector ? document.querySelector(selector) : document.activeElement || document.body;
    const event = new KeyboardEvent('keydown', Object.assign({bubbles: true, cancelable: true}, init));
    target.dispatchEvent(event);
    return event.defaultPrevented;
}"""


def posts_of(page):
    """Every POST the page sends from now on (form submissions and htmx requests alike)."""
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if request.method == "POST" else None)
    return seen


def settle(page):
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)


def test_enter_in_the_macro_search_never_sends_the_half_written_reply(browse, demo):
    from supportloop.tickets.models import Message

    before = Message.objects.filter(ticket=demo.refund_ticket).count()
    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    body = page.locator("#id_body")
    body.fill("Half-written: we are looking at")
    posts = posts_of(page)

    search = page.locator("#macro-q")
    search.fill("refu")
    expect(page.locator("#macro-results button", has_text="Refund issued")).to_be_visible()
    search.press("Enter")  # nothing highlighted: nothing happens
    settle(page)
    assert posts == []
    expect(body).to_have_value("Half-written: we are looking at")

    # An input method committing a word with Enter (isComposing, keyCode 229) triggers nothing, even with a
    # highlighted result.
    search.press("ArrowDown")
    expect(page.locator("#macro-results button.hl")).to_have_text("Refund issued")
    expect(page.locator("#announcer")).to_contain_text("Refund issued")
    page.evaluate(DISPATCH, ["#macro-q", {"key": "Enter", "keyCode": 229, "isComposing": True}])
    page.evaluate(DISPATCH, ["#macro-q", {"key": "Process", "keyCode": 229, "isComposing": False}])
    settle(page)
    expect(body).to_have_value("Half-written: we are looking at")

    # Enter applies the highlighted macro, and still sends nothing.
    search.press("Enter")
    expect(body).to_have_value(f"Hi Alice, your refund for ticket #{demo.refund_ticket.number} is on its way.")
    settle(page)
    assert posts == []
    assert Message.objects.filter(ticket=demo.refund_ticket).count() == before


def test_enter_in_the_feedback_and_merge_searches_never_submits_and_picks_the_highlighted_item(browse, demo, tmp_path):
    from supportloop.feedback.models import Evidence, FeedbackItem
    from supportloop.feedback.services import feedback_item_create

    export = feedback_item_create(kind="feature_request", title="Export all invoices as PDF", actor=demo.pm)
    feedback_item_create(kind="feature_request", title="Export invoices to CSV", actor=demo.pm)
    duplicate = feedback_item_create(kind="feature_request", title="Bulk PDF download", actor=demo.agent)

    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    posts = posts_of(page)
    search = page.locator("#fb-q")
    search.fill("invoices")
    options = page.locator("#fb-results input[type=radio]")
    expect(options).to_have_count(2)
    search.press("Enter")
    settle(page)
    assert posts == [] and Evidence.objects.count() == 0
    search.press("ArrowDown")
    search.press("ArrowDown")
    search.press("ArrowUp")
    expect(page.locator("#fb-results label.hl")).to_have_count(1)
    title = page.locator("#fb-results label.hl").inner_text()
    search.press("Enter")
    settle(page)
    checked = page.locator("#fb-results input[type=radio]:checked")
    expect(checked).to_have_count(1)
    assert checked.get_attribute("data-item-title") in title
    assert posts == [] and Evidence.objects.count() == 0
    page.screenshot(path=str(tmp_path / "feedback-search.png"))

    page = browse(demo.pm)
    page.goto(f"/feedback/{duplicate.pk}/")
    posts = posts_of(page)
    search = page.locator("#merge-q")
    search.fill("Export all")
    expect(page.locator("#merge-results input[type=radio]")).to_have_count(1)
    search.press("Enter")
    settle(page)
    assert posts == []
    search.press("ArrowDown")
    search.press("Enter")
    expect(page.locator(f"#merge-results input[value='{export.pk}']")).to_be_checked()
    settle(page)
    assert posts == []
    assert FeedbackItem.objects.get(pk=duplicate.pk).merged_into_id is None


SELECT_QUOTE = """(phrase) => {
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
}"""


def test_a_bug_is_filed_from_a_ticket_in_three_actions_with_its_pre_fill(browse, demo, tmp_path):
    from supportloop.feedback.models import BugReport, Evidence

    page = browse(demo.agent)
    page.goto(f"/t/{demo.bug_ticket.number}/")
    actions = 0

    # 1. Select what the customer says happens.
    page.evaluate(SELECT_QUOTE, "does nothing in Firefox")
    actions += 1
    # 2. "File bug" on the ticket: the form arrives filled; no pick-list is left empty.
    page.get_by_role("button", name="File bug").click()
    actions += 1
    expect(page.locator("#id_title")).to_have_value("PDF download button does nothing")
    expect(page.locator("#id_actual")).to_have_value("does nothing in Firefox")
    expect(page.locator("#id_environment_browser")).to_have_value("Firefox")  # named in the ticket
    for name in ("version", "environment_os", "environment_device"):
        expect(page.locator(f"#id_{name}")).to_have_value("Unknown")
    empty = page.evaluate("() => Array.from(document.querySelectorAll('form select')).filter(s => !s.value).length")
    assert empty == 0
    page.screenshot(path=str(tmp_path / "bug-form.png"), full_page=True)
    # 3. File it as it is.
    page.locator("form").get_by_role("button", name="File bug").click()
    actions += 1

    expect(page.locator(".flash")).to_contain_text("Bug filed")
    assert actions == 3
    bug = BugReport.objects.get()
    assert (bug.version, bug.environment_browser, bug.environment_os, bug.environment_device) == (
        "Unknown",
        "Firefox",
        "Unknown",
        "Unknown",
    )
    assert bug.actual == "does nothing in Firefox" and bug.steps.startswith("Clicking Download PDF")
    assert bug.environment_plan == "starter" and bug.expected == ""
    assert Evidence.objects.get(item=bug.item).ticket_id == demo.bug_ticket.pk
    expect(page.locator("#ticket-feedback")).to_contain_text("PDF download button does nothing")
