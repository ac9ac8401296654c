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
