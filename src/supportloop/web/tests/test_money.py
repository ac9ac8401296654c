"""Money (MRR) in the workspace's currency, written the reader's way: separators and symbol of the language."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.utils import translation

from supportloop.customers.services import company_create
from supportloop.web.templatetags.web_tags import money

pytestmark = pytest.mark.django_db

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", "USD", "$1,234,567.50"),
        ("ru", "USD", f"1{NBSP}234{NBSP}567,50{NBSP}$"),
        ("zh-hans", "USD", "US$1,234,567.50"),
        ("en", "EUR", "€1,234,567.50"),
        ("ru", "RUB", f"1{NBSP}234{NBSP}567,50{NBSP}₽"),
        ("zh-hans", "CNY", "¥1,234,567.50"),
    ],
)
def test_money_uses_the_languages_separators_and_the_workspace_currency(settings, language, currency, expected):
    settings.SUPPORTLOOP_CURRENCY = currency
    with translation.override(language):
        assert money(Decimal("1234567.50")) == expected
    assert money(None) == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "€12,500.00"), ("ru", f"12{NBSP}500,00{NBSP}€"), ("zh-hans", "€12,500.00")],
)
def test_pages_show_mrr_in_the_workspace_currency_for_each_language(ws, client_for, settings, language, expected):
    settings.SUPPORTLOOP_CURRENCY = "EUR"
    big = company_create(name="Umbrella", domains=["umbrella.example"], plan="enterprise", mrr=Decimal("12500"))
    ws.admin.language = language
    ws.admin.save(update_fields=["language"])
    client = client_for(ws.admin)
    company = client.get(f"/customers/companies/{big.pk}/").content.decode()
    assert f"<strong>{expected}</strong>" in company
    assert f"<td>{expected}</td>" in client.get("/customers/").content.decode()
    assert "12500.00" not in company  # the raw decimal is gone


def test_an_unknown_currency_fails_the_system_check(settings):
    settings.SUPPORTLOOP_CURRENCY = "XYZ"
    assert "supportloop.E030" in [m.id for m in run_checks()]
    settings.SUPPORTLOOP_CURRENCY = "GBP"
    assert "supportloop.E030" not in [m.id for m in run_checks()]
