"""Issue 12, keyboard layer, part two: properties save in place (htmx) and the header follows; a / s / t open a
type-ahead over the assignee, status and team; c solves and opens the next ticket of the view the agent came from;
Ctrl/Cmd+K opens the command palette. Keys are physical (event.code): a Russian layout's keys work too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from supportloop_testing.browser import is_submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DISPATCH = """([init]) => {
    const target = document.activeElement || document.body;
    const event = new KeyboardEvent('keydown', Object.assign({bubbles: true, cancelable: true}, init));
    target.dispatchEvent(event);
    return event.defaultPrevented;
}"""


def russian_key(page, key: str, code: str, **extra):
    """A keydown as the Russian layout sends it: `key` is the Cyrillic letter, `code` the physical key."""
    return page.evaluate(DISPATCH, [{"key": key, "code": code, **extra}])


def posts_of(page):
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url) if is_submission(request) else None)
    return seen


def mark_page(page):
    """A flag in the window: still there after a change means the page was not reloaded."""
    page.evaluate("() => { window.__notReloaded = true; }")


def not_reloaded(page) -> bool:
    return page.evaluate("() => window.__notReloaded === true")


def test_properties_save_in_place_and_the_header_shows_the_change(browse, demo, tmp_path):
    from supportloop.tickets.models import Ticket

    ticket = demo.refund_ticket
    page = browse(demo.agent)
    page.goto(f"/t/{ticket.number}/")
    badges = page.locator("#ticket-badges")
    expect(badges.locator("[data-badge=status]")).to_have_text("New")
    expect(badges.locator("[data-badge=assignee]")).to_have_text("Unassigned")
    mark_page(page)
    posts = posts_of(page)

    page.get_by_label("Status", exact=True).select_option("pending")
    page.get_by_label("Assignee", exact=True).select_option(label="Alex Agent")
    page.get_by_role("button", name="Save properties").click()

    expect(badges.locator("[data-badge=status]")).to_have_text("Pending")
    expect(badges.locator("[data-badge=assignee]")).to_have_text("Assigned to Alex Agent")
    expect(page.locator("#announcer")).to_have_text("Ticket updated: Pending, Alex Agent.")
    assert not_reloaded(page)
    assert posts == [f"{page.url}controls/"]
    expect(page.get_by_label("Status", exact=True)).to_have_value("pending")  # the panel shows the saved values
    expect(page.get_by_role("button", name="Save properties")).to_be_focused()  # focus survives the swap
    saved = Ticket.objects.get(pk=ticket.pk)
    assert (saved.status, saved.assignee_id) == ("pending", demo.agent.pk)

    # A refused change: the error is beside its field, nothing else changes, still no reload.
    page.get_by_label("Tags").fill("x" * 600)
    page.get_by_role("button", name="Save properties").click()
    error = page.locator("#id_tags_error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("at most 60 characters")
    assert error.evaluate("el => el.closest('.field').querySelector('#id_tags') !== null")
    expect(badges.locator("[data-badge=status]")).to_have_text("Pending")
    assert not_reloaded(page)
    page.screenshot(path=str(tmp_path / "properties-error.png"), full_page=True)
    assert list(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True)) == []


def test_without_javascript_the_properties_form_posts_and_redirects(browse, demo, chromium, live_server):
    from supportloop.tickets.models import Ticket

    context = chromium.new_context(java_script_enabled=False, base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/login/")
        page.fill("#id_username", demo.agent.username)
        page.fill("#id_password", "pw-123456-x")
        page.click("form button[type=submit]")
        page.goto(f"/t/{demo.bug_ticket.number}/")
        page.get_by_label("Status", exact=True).select_option("open")
        page.get_by_role("button", name="Save properties").click()
        expect(page.locator(".flash")).to_contain_text("Ticket updated.")
        expect(page.locator("#ticket-badges [data-badge=status]")).to_have_text("Open")
        assert Ticket.objects.get(pk=demo.bug_ticket.pk).status == "open"
    finally:
        context.close()


def test_a_s_t_open_a_type_ahead_that_saves_in_place(browse, demo, make_user, tmp_path):
    from supportloop.accounts.services import team_create
    from supportloop.tickets.models import Ticket

    make_user("agent", username="sam", first_name="Sam", last_name="Second")
    billing = team_create(name="Billing desk", slug="billing")
    ticket = demo.refund_ticket
    page = browse(demo.agent)
    page.goto(f"/t/{ticket.number}/")
    mark_page(page)
    posts = posts_of(page)
    badges = page.locator("#ticket-badges")
    inbox_link = page.get_by_role("link", name="← Inbox")
    inbox_link.focus()
    for key, name in (("A", "assignee"), ("S", "status"), ("T", "team")):
        expect(page.locator(f"form[data-properties] select[name={name}]")).to_have_attribute("aria-keyshortcuts", key)

    # a on a Russian layout types "ф": the assignee picker opens, filters as you type, Enter saves in place.
    russian_key(page, "ф", "KeyA")
    picker = page.get_by_role("dialog", name="Assignee")
    expect(picker).to_be_visible()
    combo = picker.get_by_role("combobox")
    expect(combo).to_be_focused()
    expect(picker.get_by_role("option")).to_have_count(3)  # Unassigned, Alex Agent, Sam Second
    page.keyboard.type("se")
    expect(picker.get_by_role("option")).to_have_count(1)
    expect(picker.get_by_role("option")).to_have_text("Sam Second")
    active = combo.get_attribute("aria-activedescendant")
    assert active and page.locator(f"#{active}").inner_text() == "Sam Second"
    page.screenshot(path=str(tmp_path / "assignee-picker.png"))
    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()
    expect(badges.locator("[data-badge=assignee]")).to_have_text("Assigned to Sam Second")
    expect(page.locator("#announcer")).to_contain_text("Sam Second")
    expect(inbox_link).to_be_focused()  # focus went back where it was
    assert posts == [f"{page.url}controls/"]

    # s: the status picker; arrows move the highlight from the current status.
    page.keyboard.press("s")
    picker = page.get_by_role("dialog", name="Status")
    expect(picker).to_be_visible()
    page.keyboard.type("pend")
    page.keyboard.press("Enter")
    expect(badges.locator("[data-badge=status]")).to_have_text("Pending")

    # t, then Esc: nothing is saved and focus returns.
    page.keyboard.press("t")
    picker = page.get_by_role("dialog", name="Team")
    expect(picker).to_be_visible()
    page.keyboard.type("bill")
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    expect(inbox_link).to_be_focused()
    assert len(posts) == 2
    # t with ↓ then Enter picks the team.
    page.keyboard.press("t")
    page.keyboard.type("desk")
    page.keyboard.press("ArrowDown")  # one option: stays on it
    page.keyboard.press("Enter")
    expect(badges.locator("[data-badge=team]")).to_have_text("Billing desk")
    assert not_reloaded(page)
    expect(page.locator("form[data-properties] select[name=team]")).to_have_attribute("aria-keyshortcuts", "T")
    saved = Ticket.objects.get(pk=ticket.pk)
    assert (saved.assignee.username, saved.status, saved.team_id) == ("sam", "pending", billing.pk)

    # The ? dialog lists them.
    page.keyboard.press("Shift+Slash")
    dialog = page.locator("#shortcuts-dialog")
    expect(dialog).to_contain_text("Change the assignee")
    page.screenshot(path=str(tmp_path / "shortcuts-ticket.png"))
    page.keyboard.press("Escape")


def test_single_key_pickers_and_c_respect_the_switch(browse, demo):
    from supportloop.tickets.models import Ticket

    demo.agent.keyboard_shortcuts = False
    demo.agent.save(update_fields=["keyboard_shortcuts"])
    page = browse(demo.agent)
    page.goto(f"/t/{demo.refund_ticket.number}/")
    posts = posts_of(page)
    page.keyboard.press("a")
    russian_key(page, "ы", "KeyS")
    page.keyboard.press("c")
    page.wait_for_timeout(300)
    expect(page.locator("dialog[open]")).to_have_count(0)
    assert posts == []
    assert Ticket.objects.get(pk=demo.refund_ticket.pk).status == "new"
    expect(page.get_by_role("button", name="Solve and open the next ticket")).not_to_have_attribute(
        "aria-keyshortcuts", re.compile(".*")
    )
    expect(page.locator("form[data-properties] select[name=status]")).not_to_have_attribute(
        "aria-keyshortcuts", re.compile(".*")
    )
    # Ctrl+K is not a single key: it still works.
    page.keyboard.press("Control+k")
    expect(page.locator("#palette")).to_be_visible()


def test_c_solves_and_opens_the_next_ticket_of_the_view(browse, demo, tmp_path):
    from supportloop.tickets.models import Ticket

    latest, refund, bug = demo.latest_ticket, demo.refund_ticket, demo.bug_ticket
    page = browse(demo.agent)
    rows = page.locator("table.inbox tbody tr[data-href]")
    expect(rows).to_have_count(3)  # newest first: latest, refund, bug
    rows.nth(0).locator("td.subj a").click()
    page.wait_for_url(f"**/t/{latest.number}/")
    expect(page.get_by_role("button", name="Solve and open the next ticket")).to_have_attribute(
        "aria-keyshortcuts", "C"
    )
    posts = posts_of(page)
    russian_key(page, "с", "KeyC")  # c on a Russian layout
    page.wait_for_url(f"**/t/{refund.number}/")
    assert posts == [f"{page.url.rsplit('/t/', 1)[0]}/t/{latest.number}/solve/"]
    expect(page.locator(".flash")).to_contain_text(f"Ticket #{latest.number} solved.")
    assert Ticket.objects.get(pk=latest.pk).status == "solved"
    page.keyboard.press("c")
    page.wait_for_url(f"**/t/{bug.number}/")
    page.keyboard.press("c")  # the last row of the view: back to the view
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(".flash")).to_contain_text(f"Ticket #{bug.number} solved.")
    assert set(Ticket.objects.values_list("status", flat=True)) == {"solved"}

    # A filtered view is the one remembered: its only ticket solved, back to that filter.
    from supportloop.tickets.services import ticket_update

    ticket_update(ticket=refund, actor=demo.agent, status="open")
    page.goto("/?priority=high")
    expect(rows).to_have_count(1)
    rows.nth(0).locator("td.subj a").click()
    page.wait_for_url(f"**/t/{refund.number}/")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r"/\?priority=high$"))
    expect(page.locator(".flash")).to_contain_text(f"Ticket #{refund.number} solved.")
    page.screenshot(path=str(tmp_path / "solved-back-to-view.png"))


def test_the_command_palette_goes_places_and_runs_ticket_actions(browse, demo, tmp_path):
    from supportloop.feedback.services import feedback_item_create
    from supportloop.tickets.models import Ticket
    from supportloop.web.services import saved_view_create

    saved_view_create(user=demo.agent, name="High priority billing", query="priority=high")
    wanted = feedback_item_create(kind="feature_request", title="Export all invoices as PDF", actor=demo.pm)
    page = browse(demo.agent)
    expect(page.get_by_role("button", name="Commands")).to_have_attribute("aria-keyshortcuts", "Control+K Meta+K")
    page.locator("#f-tag").focus()
    page.keyboard.press("Control+k")  # works while typing in a field
    palette = page.locator("#palette")
    expect(palette).to_be_visible()
    combo = palette.get_by_role("combobox")
    expect(combo).to_be_focused()
    options = palette.get_by_role("option")
    expect(options.filter(has_text="All open")).to_have_count(1)
    expect(options.filter(has_text="High priority billing")).to_have_count(1)
    expect(options.filter(has_text="Assign to me")).to_have_count(0)  # not a ticket page
    page.screenshot(path=str(tmp_path / "palette-inbox.png"))
    page.keyboard.press("Escape")
    expect(palette).to_be_hidden()
    expect(page.locator("#f-tag")).to_be_focused()

    page.keyboard.press("Meta+k")  # ⌘+K on a Mac
    expect(palette).to_be_visible()
    page.keyboard.press("Escape")
    expect(palette).to_be_hidden()

    # A view by words.
    page.keyboard.press("Control+k")
    page.keyboard.type("high prio")
    expect(options.first).to_have_text("High priority billing")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/\?priority=high$"))

    # A customer by name (the search engine), then a ticket by its number, with a Russian layout's Ctrl+K.
    russian_key(page, "л", "KeyK", ctrlKey=True)
    expect(palette).to_be_visible()
    page.keyboard.type("Carol")
    expect(options.filter(has_text="Carol Chen").first).to_be_visible()
    page.keyboard.press("Control+a")
    page.keyboard.type("Initech")
    expect(options.filter(has_text="Initech").first).to_be_visible()
    page.keyboard.press("Control+a")
    page.keyboard.type("export invoices")
    expect(options.filter(has_text=f"FB-{wanted.pk} Export all invoices as PDF")).to_have_count(1)
    page.keyboard.press("Control+a")
    page.keyboard.type(f"#{demo.refund_ticket.number}")
    option = options.filter(has_text=f"#{demo.refund_ticket.number}").first
    expect(option).to_be_visible()
    expect(option).to_have_attribute("aria-selected", "true")
    assert combo.get_attribute("aria-activedescendant") == options.first.get_attribute("id")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/t/{demo.refund_ticket.number}/")

    # On the ticket page: "Assign to me" saves in place.
    posts = posts_of(page)
    page.keyboard.press("Control+k")
    page.keyboard.type("assign")
    expect(options).to_have_text(["Assign to me", "Unassigned"])  # the action, then the view with the word
    expect(options.first).to_have_text("Assign to me")
    page.screenshot(path=str(tmp_path / "palette-ticket.png"))
    page.keyboard.press("Enter")
    expect(palette).to_be_hidden()
    expect(page.locator("#ticket-badges [data-badge=assignee]")).to_have_text("Assigned to Alex Agent")
    assert posts == [f"{page.url}controls/"]
    assert Ticket.objects.get(pk=demo.refund_ticket.pk).assignee_id == demo.agent.pk

    # "Apply macro …" fills the composer as the macro search does, and focuses it.
    page.keyboard.press("Control+k")
    page.keyboard.type("macro refund")
    expect(options.first).to_have_text("Apply macro Refund issued")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    body = page.locator("#id_body")
    expect(body).to_have_value(f"Hi Alice, your refund for ticket #{demo.refund_ticket.number} is on its way.")
    expect(body).to_be_focused()
    assert len(posts) == 1  # applying a macro sends nothing
