"""Issue 12, composer and feedback linking: the internal-note look, the `::` macro type-ahead (never from an input
method), the signature preview on replies, and selection → "Link to feedback" → Enter: evidence in 3 actions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from supportloop_testing.browser import is_submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = "test-artifacts"

BACKGROUND = "(el) => getComputedStyle(el).backgroundColor"

# Select a phrase inside a customer message, as a mouse drag would, and (when `release`) let go of the mouse there.
SELECT_IN_CUSTOMER_MESSAGE = """([phrase, release]) => {
    for (const body of document.querySelectorAll('.thread .msg.customer .body')) {
        const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
        let node;
        while ((node = walker.nextNode())) {
            const at = node.textContent.indexOf(phrase);
            if (at >= 0) {
                const range = document.createRange();
                range.setStart(node, at); range.setEnd(node, at + phrase.length);
                const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
                const rect = range.getBoundingClientRect();
                const point = {bubbles: true, clientX: rect.right, clientY: rect.bottom};
                if (release) { body.dispatchEvent(new MouseEvent('mouseup', point)); }
                return;
            }
        }
    }
    throw new Error('phrase not found');
}"""


def screenshot(page, name: str) -> None:
    from pathlib import Path

    Path(ARTIFACTS).mkdir(exist_ok=True)
    page.screenshot(path=f"{ARTIFACTS}/{name}.png", full_page=False)


def test_internal_note_takes_the_note_colours_and_label_and_reply_restores_them(browse, demo):
    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    composer = page.locator("form.composer")
    label = page.get_by_text("Internal note — only your team sees this")
    expect(label).to_be_hidden()
    reply_background = composer.evaluate(BACKGROUND)

    page.get_by_role("radio", name="Internal note").check()
    expect(label).to_be_visible()
    expect(composer).to_have_class(re.compile(r"\bis-note\b"))
    note_background = composer.evaluate(BACKGROUND)
    assert note_background != reply_background
    # the same colour as the internal notes of the thread
    assert note_background == page.evaluate(
        "() => { const a = document.createElement('article'); a.className = 'msg note';"
        " document.querySelector('.thread').appendChild(a); const c = getComputedStyle(a).backgroundColor;"
        " a.remove(); return c; }"
    )
    screenshot(page, "composer-note")
    # macros are for replies: "::" in a note opens nothing, and the hint is gone with the signature preview
    page.locator("#id_body").press_sequentially("::")
    page.wait_for_timeout(400)
    expect(page.locator("#macro-popup")).to_be_hidden()
    expect(page.locator("#macro-trigger-help")).to_be_hidden()
    page.locator("#id_body").fill("")

    page.get_by_role("radio", name="Public reply").check()
    expect(label).to_be_hidden()
    assert composer.evaluate(BACKGROUND) == reply_background

    # the `n` shortcut switches the look as well
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(label).to_be_visible()
    expect(page.locator("#id_body")).to_be_focused()


def test_signature_is_previewed_under_the_composer_for_replies_only(browse, demo):
    from supportloop.accounts.services import user_update

    user_update(user=demo.agent, actor=demo.agent, signature="Alex Agent\nCustomer Support")
    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    preview = page.locator("[data-signature-preview]")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("Signature:")
    expect(preview).to_contain_text("Alex Agent")
    expect(preview).to_contain_text("Customer Support")
    screenshot(page, "composer-signature")
    page.get_by_role("radio", name="Internal note").check()
    expect(preview).to_be_hidden()
    page.get_by_role("radio", name="Public reply").check()
    expect(preview).to_be_visible()


def test_a_user_without_a_signature_is_pointed_to_the_account_page(browse, demo):
    page = browse(demo.pm)  # not the agent: no reply, so no preview at all for product managers
    page.goto(f"/t/{demo.refund_ticket.number}/")
    expect(page.locator("[data-signature-preview]")).to_have_count(0)
    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    preview = page.locator("[data-signature-preview]")
    expect(preview).to_contain_text("No signature yet.")
    preview.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/account/$"))
    page.get_by_label("Signature").fill("Alex from Support")
    page.get_by_role("button", name="Save").click()
    page.goto(f"/t/{demo.refund_ticket.number}/")
    expect(page.locator("[data-signature-preview]")).to_contain_text("Signature: Alex from Support")


def test_double_colon_opens_the_macro_type_ahead_at_the_caret_and_enter_inserts_it(browse, demo):
    from supportloop.tickets.models import Message

    before = Message.objects.filter(ticket=demo.refund_ticket).count()
    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    body = page.locator("#id_body")
    popup = page.locator("#macro-popup")
    body.click()
    # "::" inside a word (code such as std::vector) is not a trigger
    body.press_sequentially("Use std::vec")
    page.wait_for_timeout(400)
    expect(popup).to_be_hidden()
    body.fill("")

    body.press_sequentially("Hello,\n::refu")
    expect(popup.get_by_role("option", name="Refund issued")).to_be_visible()
    expect(body).to_have_attribute("aria-activedescendant", "macro-option-0")
    # the list opens at the caret: below the second line of the message, not below the whole field
    box, field = popup.bounding_box(), body.bounding_box()
    assert field["y"] < box["y"] < field["y"] + field["height"]
    assert box["x"] < field["x"] + 200
    screenshot(page, "composer-macro-typeahead")

    body.press("Enter")  # inserts the highlighted macro; a newline is not typed, nothing is sent
    expected = f"Hello,\nHi Alice, your refund for ticket #{demo.refund_ticket.number} is on its way."
    expect(body).to_have_value(expected)
    expect(popup).to_be_hidden()
    assert page.locator("input[name=macro]").input_value() == str(demo.macro.pk)
    assert Message.objects.filter(ticket=demo.refund_ticket).count() == before

    # moving the caret away from "::name" closes the list
    body.press_sequentially(" ::re")
    expect(popup.get_by_role("option").first).to_be_visible()
    body.press("Home")
    expect(popup).to_be_hidden()
    body.press("End")
    body.press("Backspace")
    body.press("Backspace")
    body.press("Backspace")
    body.press("Backspace")
    body.press("Backspace")
    expect(body).to_have_value(expected)
    # ↓ moves to the next macro; Esc closes the list and leaves the text as typed
    body.press_sequentially(" ::")
    expect(popup.get_by_role("option")).to_have_count(2)
    body.press("ArrowDown")
    expect(popup.get_by_role("option", name="Refund issued")).to_have_attribute("aria-selected", "true")
    body.press("Escape")
    expect(popup).to_be_hidden()
    body.press_sequentially("pass")
    page.wait_for_timeout(400)
    expect(popup).to_be_hidden()  # dismissed for this "::"
    expect(body).to_have_value(expected + " ::pass")

    # the macro's actions go with the reply
    page.locator("[data-send]").click()
    expect(page.locator(".flash")).to_contain_text("Reply sent")
    sent = Message.objects.filter(ticket=demo.refund_ticket).latest("created_at")
    assert sent.body_text.replace("\r\n", "\n").startswith("Hello,\nHi Alice, your refund")
    assert list(demo.refund_ticket.tags.values_list("name", flat=True)) == ["refund"]


def test_an_input_method_composing_colons_never_opens_the_macro_type_ahead(browse, demo):
    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    body = page.locator("#id_body")
    popup = page.locator("#macro-popup")
    body.click()
    cdp = page.context.new_cdp_session(page)
    # A Japanese or Chinese input method composing "::ref" (text shown underlined, not yet committed)...
    cdp.send("Input.imeSetComposition", {"text": "::ref", "selectionStart": 5, "selectionEnd": 5})
    page.wait_for_timeout(400)
    expect(popup).to_be_hidden()
    # ...then committing it
    cdp.send("Input.insertText", {"text": "::ref"})
    page.wait_for_timeout(400)
    expect(body).to_have_value("::ref")
    expect(popup).to_be_hidden()
    body.press_sequentially("u")  # typing on after the committed text does not open it either
    page.wait_for_timeout(400)
    expect(popup).to_be_hidden()

    # With the list open from typed colons, Enter that commits a composition inserts nothing.
    body.fill("")
    body.press_sequentially("::")
    expect(popup.get_by_role("option", name="Refund issued")).to_be_visible()
    cdp.send("Input.imeSetComposition", {"text": "ref", "selectionStart": 3, "selectionEnd": 3})
    page.evaluate(
        "() => document.getElementById('id_body').dispatchEvent(new KeyboardEvent('keydown',"
        " {key: 'Enter', keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))"
    )
    cdp.send("Input.insertText", {"text": "ref"})
    page.wait_for_timeout(400)
    expect(body).to_have_value("::ref")
    # the name composed after "::" is searched once committed
    expect(popup.get_by_role("option")).to_have_count(1)
    expect(popup.get_by_role("option", name="Refund issued")).to_be_visible()


def test_selected_text_links_to_feedback_in_three_actions_with_its_quote(browse, demo):
    from supportloop.feedback.models import Evidence, FeedbackItem
    from supportloop.feedback.services import engineering_link_add, feedback_item_create, feedback_item_set_status
    from supportloop.tickets.services import ticket_create

    csv = feedback_item_create(kind="feature_request", title="Exporting to CSV", actor=demo.pm)
    feedback_item_create(kind="feature_request", title="Export invoices as PDF", actor=demo.pm)
    feedback_item_set_status(item=csv, status="planned", actor=demo.pm)
    engineering_link_add(item=csv, url="https://github.com/acme/app/issues/42", key="acme/app#42", actor=demo.pm)
    ticket = ticket_create(
        subject="Reports",
        body="Our accountant asks every month. A CSV export of the invoice list would save her a day.",
        requester=demo.alice,
        team=demo.team,
    )

    page = browse(demo.agent)
    page.goto(f"/t/{ticket.number}/")
    float_button = page.get_by_role("button", name="Link to feedback")
    expect(float_button).to_be_hidden()
    actions = 0

    # 1. Select the customer's words.
    page.evaluate(SELECT_IN_CUSTOMER_MESSAGE, ["CSV export", True])
    actions += 1
    expect(float_button).to_be_visible()
    # it floats next to the selection, in the conversation, not in the side panel
    button_box = float_button.bounding_box()
    thread_box = page.locator(".thread").bounding_box()
    assert thread_box["x"] <= button_box["x"] <= thread_box["x"] + thread_box["width"]
    assert thread_box["y"] <= button_box["y"] <= thread_box["y"] + thread_box["height"] + 40
    screenshot(page, "link-float")
    # 2. Click it: the combobox searches for the selection with the engine ("CSV export" finds "Exporting to CSV").
    # The search's answer is held back until Enter is pressed, as on a slow connection.
    held = []
    page.route("**/feedback/search/*", lambda route: held.append(route))
    float_button.click()
    actions += 1
    combobox = page.get_by_role("combobox", name="Link the quote to a feedback item")
    expect(combobox).to_be_focused()
    # 3. Enter, at once: it waits for the answer and links the first result, quoting the selection.
    combobox.press("Enter")
    actions += 1
    page.wait_for_timeout(200)
    assert len(held) == 1 and "q=CSV+export" in held[0].request.url.replace("%20", "+")
    assert Evidence.objects.count() == 0
    held[0].continue_()
    page.unroute("**/feedback/search/*")

    expect(page.locator(".flash")).to_contain_text("Linked to “Exporting to CSV”")
    assert actions == 3
    evidence = Evidence.objects.get(ticket=ticket)
    assert (evidence.item_id, evidence.quote) == (csv.pk, "CSV export")
    assert evidence.message_id == ticket.messages.get().pk
    linked = page.locator(f"#ticket-feedback [data-feedback-item='{csv.pk}']")
    expect(linked).to_contain_text("Exporting to CSV")
    expect(linked.locator("[data-item-status]")).to_have_text("Planned")
    expect(linked.get_by_role("link", name="acme/app#42")).to_have_attribute(
        "href", "https://github.com/acme/app/issues/42"
    )
    expect(linked).to_contain_text("GitHub")
    page.locator("#ticket-feedback").scroll_into_view_if_needed()
    screenshot(page, "link-panel")

    # The last option creates the item from what was typed, with the same quote, in as many actions.
    page.evaluate(SELECT_IN_CUSTOMER_MESSAGE, ["CSV export", True])
    float_button.click()
    listbox = page.get_by_role("listbox", name="Feedback items")
    expect(listbox.get_by_role("option").first).to_contain_text("Exporting to CSV")
    expect(listbox.get_by_role("option").first).to_contain_text("Planned")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    expect(listbox.get_by_role("option").last).to_have_text("Create “CSV export”")
    screenshot(page, "link-combobox")
    combobox.press("Escape")
    page.evaluate(SELECT_IN_CUSTOMER_MESSAGE, ["save her a day", True])
    float_button.click()
    combobox.fill("Monthly accountant report")
    create = listbox.get_by_role("option").last
    expect(create).to_have_text("Create “Monthly accountant report”")
    combobox.press("ArrowUp")  # the last option, from the first
    expect(create).to_have_attribute("aria-selected", "true")
    combobox.press("Enter")
    expect(page.locator(".flash")).to_contain_text("Linked to “Monthly accountant report”")
    created = FeedbackItem.objects.get(title="Monthly accountant report")
    assert Evidence.objects.get(item=created).quote == "save her a day"
    expect(page.locator(f"#ticket-feedback [data-feedback-item='{created.pk}'] [data-item-status]")).to_have_text("New")


def test_escape_closes_the_link_combobox_and_nothing_is_linked(browse, demo):
    from supportloop.feedback.models import Evidence
    from supportloop.tickets.services import ticket_create

    ticket = ticket_create(
        subject="Export", body='It says Error: "export failed" -again.', requester=demo.alice, team=demo.team
    )
    page = browse(demo.agent)
    page.goto(f"/t/{ticket.number}/")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if is_submission(request) else None)
    # a selection made without a mouse (touch handles, Shift+arrows with caret browsing) shows the button too
    page.evaluate(SELECT_IN_CUSTOMER_MESSAGE, ['Error: "export failed" -again', False])
    page.get_by_role("button", name="Link to feedback").click()
    combobox = page.get_by_role("combobox", name="Link the quote to a feedback item")
    # the customer's words are searched as words, not as a filter, a phrase and an exclusion
    expect(combobox).to_have_value("Error export failed again")
    listbox = page.get_by_role("listbox", name="Feedback items")
    expect(listbox.get_by_role("option").last).to_have_text("Create “Error export failed again”")
    expect(listbox).to_contain_text("No item matches.")  # not "Unknown filter error:"
    expect(page.locator(".link-pop .quote")).to_have_text('Error: "export failed" -again')
    combobox.press("Escape")
    expect(combobox).to_be_hidden()
    page.wait_for_timeout(300)
    assert posts == [] and Evidence.objects.count() == 0
