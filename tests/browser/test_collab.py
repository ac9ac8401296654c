"""Issue 12, working together: drafts autosave, come back, mark the inbox row and warn before leaving; other
agents see who is viewing, replying or drafting (on the ticket and as an inbox icon); a reply from a stale page
is held with "review / send anyway / discard"; undo send pulls a reply back within the delay."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sam(make_user):
    return make_user("agent", username="sam", first_name="Sam", last_name="Smith")


def test_a_draft_autosaves_comes_back_marks_the_row_and_warns_before_leaving(browse, demo, sam):
    from supportloop.tickets.models import Draft

    number = demo.refund_ticket.number
    page = browse(demo.agent)
    page.goto(f"/t/{number}/")
    page.locator("#id_body").press_sequentially("Hi Alice, the refund is on its way")
    expect(page.locator("[data-draft-status]")).to_have_text("Draft saved.")
    assert Draft.objects.get(user=demo.agent).body == "Hi Alice, the refund is on its way"

    # Leaving with unsent text asks first (beforeunload; the fixture accepts the dialog).
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.type))
    page.goto("/")
    assert dialogs == ["beforeunload"]
    row = page.locator(f"#row-{number}")
    expect(row.locator(".draft-mark")).to_have_text("Draft")
    expect(page.locator(f"#row-{demo.latest_ticket.number} .draft-mark")).to_have_count(0)

    # Sam sees the draft on the ticket, not its text; Alex sees Sam as a viewer in the inbox.
    other = browse(sam)
    other.goto(f"/t/{number}/")
    expect(other.locator("#presence")).to_contain_text("Alex Agent is drafting a reply")
    expect(other.locator("#id_body")).to_have_value("")
    page.reload()
    expect(row.locator(".presence-icon")).to_have_attribute("aria-label", "Viewing: Sam Smith")

    # Back on the ticket the text is in the composer; Sam shows as viewing.
    page.goto(f"/t/{number}/")
    expect(page.locator("#id_body")).to_have_value("Hi Alice, the refund is on its way")
    expect(page.locator("#presence")).to_contain_text("Sam Smith is viewing")
    # Discarding deletes it and empties the composer.
    page.get_by_role("button", name="Discard draft").click()
    expect(page.locator("#id_body")).to_have_value("")
    assert not Draft.objects.exists()


def test_a_reply_from_a_stale_page_is_held_and_can_be_sent_anyway(browse, demo, sam):
    from supportloop.tickets.models import Message
    from supportloop.tickets.services import ticket_reply

    number = demo.refund_ticket.number
    page = browse(demo.agent)
    page.goto(f"/t/{number}/")
    page.locator("#id_body").fill("We refunded the second charge.")
    ticket_reply(ticket=demo.refund_ticket, actor=sam, body="Sam here: refund done.")  # meanwhile, elsewhere

    page.get_by_role("button", name="Send", exact=True).click()
    notice = page.get_by_role("alert").filter(has_text="New reply since you opened this:")
    expect(notice).to_be_visible()
    expect(notice.get_by_role("link", name="Review")).to_be_visible()
    expect(notice.get_by_role("button", name="Discard")).to_be_visible()
    expect(page.locator("#id_body")).to_have_value("We refunded the second charge.")
    expect(page.locator(".thread")).to_contain_text("Sam here: refund done.")
    assert not Message.objects.filter(body_text="We refunded the second charge.").exists()

    notice.get_by_role("button", name="Send anyway").click()
    expect(page.locator(".thread")).to_contain_text("We refunded the second charge.")
    assert Message.objects.filter(body_text="We refunded the second charge.").count() == 1


def test_undo_send_pulls_the_reply_back_into_the_composer(browse, demo, settings):
    from supportloop.core.models import Event
    from supportloop.tickets.models import Message

    settings.SUPPORTLOOP_UNDO_SEND_SECONDS = 10
    number = demo.latest_ticket.number
    page = browse(demo.agent)
    page.goto(f"/t/{number}/")
    page.locator("#id_body").fill("Try clearing your cookies.")
    page.get_by_role("button", name="Send", exact=True).click()

    toast = page.get_by_role("status").filter(has_text="Sent.")
    expect(toast).to_be_visible()
    expect(toast.get_by_role("button", name="Undo")).to_be_visible()
    first = int(toast.locator("[data-countdown]").inner_text())
    assert 1 <= first <= 10
    expect(toast.locator("[data-countdown]")).not_to_have_text(str(first))  # it counts down
    message = Message.objects.get(body_text="Try clearing your cookies.")
    assert message.held_until is not None

    toast.get_by_role("button", name="Undo").click()
    expect(page.locator("#id_body")).to_have_value("Try clearing your cookies.")
    expect(page.get_by_role("status").filter(has_text="Reply withdrawn")).to_be_visible()
    expect(page.locator(".thread")).not_to_contain_text("Try clearing your cookies.")
    assert not Message.objects.filter(pk=message.pk).exists()
    assert Event.objects.filter(verb="ticket.reply_withdrawn").count() == 1
    expect(page.locator("aside")).to_contain_text(re.compile("took back a reply before it was sent"))
