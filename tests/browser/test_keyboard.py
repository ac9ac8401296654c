"""Issue 12, keyboard: search fields inside forms never submit them, the bug form files in 3 actions, the shortcut
layer (help dialog, per-user switch, layout-independent keys, lists, Ctrl+Enter), focus ring, dark theme, RTL."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from supportloop_testing.browser import is_submission

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
    page.on("request", lambda request: seen.append(request.url) if is_submission(request) else None)
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
    search.fill("Export all invoices as PDF")  # the search engine drops stop words ("all") on PostgreSQL
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


def dispatch_key(page, key: str, code: str, **extra):
    """A keydown as a keyboard layout other than US English sends it: `key` is what the layout types."""
    return page.evaluate(DISPATCH, [None, {"key": key, "code": code, **extra}])


def test_shortcut_dialog_layout_independent_keys_lists_and_ctrl_enter(browse, demo, tmp_path):
    from supportloop.tickets.models import Message

    page = browse(demo.agent)
    # The status region is in the page as served, before any script runs.
    html = page.request.get("/").text()
    assert 'id="announcer"' in html and 'role="status"' in html
    rows = page.locator("table.inbox tbody tr[data-href]")
    expect(rows).to_have_count(3)
    sel = re.compile(r"\bsel\b")

    # Russian layout: the key labelled J types "о"; Chinese pinyin input: "j" with code KeyJ. Both move down.
    dispatch_key(page, "о", "KeyJ")
    expect(rows.nth(0)).to_have_class(sel)
    dispatch_key(page, "о", "KeyJ")
    expect(rows.nth(1)).to_have_class(sel)
    dispatch_key(page, "л", "KeyK")
    expect(rows.nth(0)).to_have_class(sel)
    # Arrows move too, and each move is announced.
    page.keyboard.press("ArrowDown")
    expect(rows.nth(1)).to_have_class(sel)
    expect(page.locator("#announcer")).to_contain_text("Refund for double charge (2/3)")
    page.keyboard.press("ArrowUp")
    expect(rows.nth(0)).to_have_class(sel)
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(sel)
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert "Refund for double charge" in focused

    # "?" opens the list of this page's shortcuts; Esc closes it and focus returns to the selected row.
    page.keyboard.press("Shift+Slash")
    dialog = page.locator("#shortcuts-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("[data-scope=inbox]")).to_be_visible()
    expect(dialog.locator("[data-scope=ticket]")).to_be_hidden()  # not on this page
    expect(dialog).to_contain_text("Next / previous ticket")
    page.screenshot(path=str(tmp_path / "shortcuts-dialog.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.evaluate("() => document.activeElement.textContent.trim()") == focused
    # A Russian layout's "?" (Shift+7 types "?" there) opens it as well.
    dispatch_key(page, "?", "Digit7", shiftKey=True)
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    # Typing in a field never fires a shortcut.
    page.locator("#f-tag").focus()
    page.keyboard.type("jk?")
    expect(page.locator("#f-tag")).to_have_value("jk?")
    expect(rows.nth(1)).to_have_class(sel)
    expect(dialog).to_be_hidden()
    page.locator("#f-tag").fill("")

    # Enter opens the selected ticket; r goes to the reply; Ctrl+Enter sends from the composer.
    page.evaluate("() => document.activeElement.blur()")
    dispatch_key(page, "щ", "KeyO")  # o on a Russian layout
    page.wait_for_url(f"**/t/{demo.refund_ticket.number}/")
    expect(page.get_by_role("button", name="Send")).to_have_attribute("aria-keyshortcuts", "Control+Enter Meta+Enter")
    expect(page.locator("input[name=kind][value=reply]")).to_have_attribute("aria-keyshortcuts", "R")
    page.keyboard.press("n")
    expect(page.locator("#id_body")).to_be_focused()
    expect(page.locator("input[name=kind][value=note]")).to_be_checked()
    page.keyboard.press("r")  # typed into the body, not a shortcut
    expect(page.locator("#id_body")).to_have_value("r")
    expect(page.locator("input[name=kind][value=note]")).to_be_checked()
    page.locator("#id_body").fill("Checked the logs: a double charge.")
    page.keyboard.press("Control+Enter")
    expect(page.locator(".thread .msg").last).to_contain_text("Checked the logs: a double charge.")
    sent = Message.objects.filter(ticket=demo.refund_ticket).latest("id")
    assert (sent.body_text, sent.kind) == ("Checked the logs: a double charge.", "note")
    page.keyboard.press("Shift+Slash")
    expect(dialog.locator("[data-scope=ticket]")).to_be_visible()
    expect(dialog).to_contain_text("Send (in the composer)")
    page.keyboard.press("Escape")


def test_single_key_shortcuts_can_be_turned_off_in_the_account(browse, demo, tmp_path):
    page = browse(demo.agent)
    page.goto("/account/")
    page.get_by_label("Single-key shortcuts").uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved")
    demo.agent.refresh_from_db()
    assert demo.agent.keyboard_shortcuts is False

    page.goto("/")
    rows = page.locator("table.inbox tbody tr[data-href]")
    page.keyboard.press("j")
    dispatch_key(page, "о", "KeyJ")
    page.keyboard.press("Shift+Slash")
    expect(page.locator("table.inbox tr.sel")).to_have_count(0)
    expect(page.locator("#shortcuts-dialog")).to_be_hidden()
    expect(page.locator("#f-tag")).not_to_have_attribute("aria-keyshortcuts", re.compile(".*"))
    # Keys that are not characters keep working, and the list stays one click away.
    page.keyboard.press("ArrowDown")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bsel\b"))
    page.get_by_role("button", name="Shortcuts").click()
    dialog = page.locator("#shortcuts-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Single-key shortcuts are off")
    # Only the keys that still work are listed: Enter opens, o is gone.
    expect(dialog.locator("div:not([hidden]) > dd", has_text="Open the selected ticket")).to_have_count(1)
    expect(dialog.locator("div:not([hidden]) > dt", has_text="Enter").first).to_be_visible()
    expect(dialog.locator("[data-single]").first).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Shortcuts")).to_be_focused()


def test_right_to_left_messages_render_with_dir_auto(browse, demo, tmp_path):
    from supportloop.tickets.services import message_add_from_contact, ticket_add_note, ticket_create

    arabic = "لا أستطيع تنزيل فاتورتي بصيغة PDF منذ يوم الاثنين."
    hebrew = "גם החשבונית של החודש שעבר לא נפתחת."
    ticket = ticket_create(subject="فاتورة PDF", body=arabic, requester=demo.alice, team=demo.team)
    message_add_from_contact(ticket=ticket, contact=demo.alice, body=hebrew)
    ticket_add_note(ticket=ticket, actor=demo.agent, body="Asked billing to check the PDF export.")
    page = browse(demo.agent)
    page.goto(f"/t/{ticket.number}/")
    expect(page.locator(".thread .msg .body")).to_have_count(3)
    for text in (arabic, hebrew):
        body = page.locator(".thread .msg .body", has_text=text[:12])
        expect(body).to_have_attribute("dir", "auto")
        assert body.evaluate("el => el.matches(':dir(rtl)')"), text
        # Right-aligned: the text ends at the right edge of its box, as a reader of Arabic or Hebrew expects.
        gap = body.evaluate(
            """el => { const r = document.createRange(); r.selectNodeContents(el);
                       return el.getBoundingClientRect().right - r.getBoundingClientRect().right; }"""
        )
        assert gap < 16, (text, gap)
    # An English note in the same thread stays left to right.
    english = page.locator(".thread .msg.note .body")
    expect(english).to_have_attribute("dir", "auto")
    assert english.evaluate("el => el.matches(':dir(ltr)')")
    page.screenshot(path=str(tmp_path / "rtl.png"))
