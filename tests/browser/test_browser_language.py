"""The demo's logins keep the browser's language: a Chinese or Russian browser stays Chinese or Russian after
sign-in (their profiles say "Browser default"), and money follows the language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from supportloop.demo.phrases import STAFF

DEMO_LOGINS = ("admin", "lead", "agent", "pm", "viewer")


def test_the_five_demo_logins_use_the_browsers_language():
    languages = {username: language for username, _f, _l, _role, language, _teams in STAFF}
    assert {name: languages[name] for name in DEMO_LOGINS} == dict.fromkeys(DEMO_LOGINS, "")


@pytest.mark.parametrize(
    ("locale", "lang", "inbox", "mrr"),
    [
        ("zh-CN", "zh-hans", "收件箱", "US$2,000.00"),
        ("ru-RU", "ru", "Входящие", "2\xa0000,00\xa0$"),
        ("en-US", "en", "Inbox", "$2,000.00"),
    ],
)
def test_a_demo_login_stays_in_the_browsers_language_after_sign_in(browse, demo, make_user, locale, lang, inbox, mrr):
    row = next(r for r in STAFF if r[0] == "pm")
    pm = make_user(row[3], username="riley", language=row[4])  # as the demo seeds it: "Browser default"
    page = browse(pm, locale=locale)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("header.top nav")).to_contain_text(inbox)
    page.goto(f"/customers/companies/{demo.initech.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator(".figures")).to_contain_text(mrr)
    assert demo.initech.mrr == Decimal("2000")
