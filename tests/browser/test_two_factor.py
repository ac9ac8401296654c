"""Two-factor sign-in in a real browser (issue 16): set it up from the account's security page, sign out, sign in
with the password and the authenticator's code, see the inbox."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"  # as conftest.py's (ignored by git)
PASSWORD = "pw-123456-x"  # the fixtures' password (tests/browser/conftest.py)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def authenticator_code(secret_shown: str, steps_ahead: int = 0) -> str:
    """What a phone's authenticator app shows for the secret typed off the page (django-otp's own TOTP)."""
    from django_otp.oath import TOTP

    key = base64.b32decode("".join(secret_shown.split()) + "=" * (-len("".join(secret_shown.split())) % 8))
    totp = TOTP(key, step=30, t0=0, digits=6)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


def test_enrol_sign_out_and_sign_in_with_password_and_authenticator_code(browse, demo):
    from supportloop.core.models import Event

    page = browse(demo.agent)
    page.goto("/account/security/")
    expect(page.locator("[data-two-factor-status]")).to_have_attribute("data-two-factor-status", "off")
    page.get_by_role("link", name="Set up two-factor sign-in").click()
    page.wait_for_url("**/account/two-factor/")
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("[data-totp-secret]").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "two-factor-setup.png"), full_page=True)

    page.fill("#id_code", authenticator_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    codes = page.locator("[data-recovery-codes] li")
    expect(codes).to_have_count(10)
    expect(page.get_by_role("heading", name="Two-factor sign-in is on")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "two-factor-recovery-codes.png"), full_page=True)

    # Sign out, then in again: the password alone leads to the code step, not the inbox.
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login/"))
    page.fill("#id_username", demo.agent.username)
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/login/verify/"))
    expect(page.get_by_role("heading", name="Two-factor sign-in")).to_be_visible()
    expect(page.locator("header.top")).to_have_count(0)  # nothing else to reach yet

    wrong = next(
        c for c in ("111111", "222222", "333333") if c not in {authenticator_code(secret, s) for s in (-1, 0, 1)}
    )
    page.fill("#id_code", wrong)
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".errorlist")).to_contain_text("That code is not right")
    page.screenshot(path=str(ARTIFACTS / "two-factor-wrong-code.png"), full_page=True)

    # The enrolment spent this time step's code (each is accepted once): the app's next code is within tolerance.
    page.fill("#id_code", authenticator_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("table.inbox tbody tr[data-href]")).to_have_count(3)
    expect(page.locator("table.inbox")).to_contain_text("Refund for double charge")
    page.screenshot(path=str(ARTIFACTS / "two-factor-inbox.png"), full_page=True)

    # The security page: on, ten codes left, and this browser in the list of sessions.
    page.goto("/account/security/")
    expect(page.locator("[data-two-factor-status]")).to_have_attribute("data-two-factor-status", "on")
    expect(page.locator("[data-two-factor-status]")).to_contain_text("10 recovery codes left")
    expect(page.locator("tr[data-session]", has_text="this browser")).to_have_count(1)
    expect(page.locator("tr[data-session]", has_text="this browser")).to_contain_text("Chrome on Linux")
    page.screenshot(path=str(ARTIFACTS / "two-factor-security-page.png"), full_page=True)

    verbs = list(
        Event.objects.filter(target_id=str(demo.agent.pk), target_type="accounts.user").values_list("verb", flat=True)
    )
    assert {"two_factor.enabled", "sign_in.succeeded", "sign_in.verified"} <= set(verbs)
    assert Event.objects.filter(verb="sign_in.failed", changes__outcome=[None, "second_factor"]).count() == 1


def test_an_admin_requires_two_factor_for_leads_and_a_lead_is_taken_to_set_up_after_the_password(
    browse, demo, make_user
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = make_user("admin", username="boss")
    lead = make_user("lead", username="lena")
    page = browse(admin)
    page.goto("/settings/security/")
    page.get_by_label("Lead").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Saved.")
    expect(page.get_by_label("Lead")).to_be_checked()

    other = browse()
    other.goto("/login/")
    other.fill("#id_username", lead.username)
    other.fill("#id_password", PASSWORD)
    other.click("form button[type=submit]")
    other.wait_for_url(re.compile(r"/account/two-factor/"))
    expect(other.get_by_text("Your role must use two-factor sign-in.")).to_be_visible()
    expect(other.locator("header.top")).to_have_count(0)
    other.goto("/customers/")  # anything else leads back here
    other.wait_for_url(re.compile(r"/account/two-factor/\?next="))
    other.screenshot(path=str(ARTIFACTS / "two-factor-required.png"), full_page=True)

    secret = other.locator("[data-totp-secret]").inner_text()
    assert TOTPDevice.objects.filter(user=lead, confirmed=False).count() == 1
    other.fill("#id_code", authenticator_code(secret))
    other.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(other.locator("[data-recovery-codes] li")).to_have_count(10)
    other.get_by_role("link", name="I have saved them").click()
    other.wait_for_url(re.compile(r"/account/security/"))
    expect(other.locator("[data-two-factor-status]")).to_have_attribute("data-two-factor-status", "on")
    expect(other.get_by_text("Your role must use two-factor sign-in, so it cannot be turned off.")).to_be_visible()
