"""An admin erases a contact from the contact page: the typed confirmation, the hold that refuses it, the result."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

ARTIFACTS = Path("test-artifacts")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_holds_then_erases_a_contact(browse, demo, make_user):
    from supportloop.customers.models import Contact

    ARTIFACTS.mkdir(exist_ok=True)
    admin = make_user("admin", username="boss", first_name="Ada", last_name="Admin")
    page = browse(admin)
    page.goto(f"/customers/contacts/{demo.alice.pk}/")
    panel = page.locator("#privacy")
    expect(panel).to_contain_text("Export their data (JSON)")
    panel.locator("input[name=reason]").fill("Billing dispute 2026-41")
    panel.get_by_role("button", name="Set a legal hold").click()
    expect(page.locator("#privacy")).to_contain_text("Billing dispute 2026-41")
    expect(page.locator("#privacy")).not_to_contain_text("Erase this contact")
    page.locator("#privacy").get_by_role("button", name="Lift the legal hold").click()

    page.locator("#privacy summary").click()
    page.locator("#privacy input[name=confirm]").fill("ERASE")
    page.screenshot(path=str(ARTIFACTS / "privacy-contact-erase.png"), full_page=True)
    page.locator("#privacy").get_by_role("button", name="Erase").click()
    expect(page.locator("h1")).to_have_text("Erased contact")
    expect(page.locator("body")).to_contain_text("Contact erased")
    expect(page.locator("body")).not_to_contain_text("alice@acme.example")
    page.screenshot(path=str(ARTIFACTS / "privacy-contact-erased.png"), full_page=True)
    assert Contact.objects.get(pk=demo.alice.pk).name == "Erased contact"


def test_admin_sets_retention(browse, demo, make_user):
    from supportloop.privacy.models import RetentionSettings

    ARTIFACTS.mkdir(exist_ok=True)
    admin = make_user("admin", username="boss", first_name="Ada", last_name="Admin")
    page = browse(admin)
    page.goto("/settings/")
    page.get_by_role("link", name="Data retention").click()
    page.get_by_label("Apply retention every day").check()
    page.get_by_label("Keep closed tickets for (days)").fill("10")
    page.get_by_role("button", name="Save").click()  # the field's minimum (30) stops it in the browser
    assert not RetentionSettings.objects.filter(enabled=True).exists()
    page.get_by_label("Keep closed tickets for (days)").fill("365")
    page.get_by_label("Then").select_option("delete")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text("Retention settings saved.")
    expect(page.locator("body")).to_contain_text("On: Delete after 365 days.")
    page.screenshot(path=str(ARTIFACTS / "privacy-retention.png"), full_page=True)
    row = RetentionSettings.objects.get()
    assert (row.enabled, row.days, row.action) == (True, 365, "delete")
