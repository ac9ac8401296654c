"""Builders for feedback tests: taxonomy, and short forms of make_company, make_contact, make_ticket and make_item
(tests/supportloop_testing/fixtures.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from supportloop.accounts.choices import Role
from supportloop.tickets.services import product_area_create, product_feature_create


@pytest.fixture
def pm(make_user):
    return make_user(Role.PRODUCT)


@pytest.fixture
def agent(make_user):
    return make_user(Role.AGENT)


@pytest.fixture
def feature(db):
    area = product_area_create(name="Reporting")
    return product_feature_create(area=area, name="Exports")


# The feedback tests' short forms (positional plan and MRR, a contact's company) over the project's builders.
@pytest.fixture
def company(make_company):
    def _make(name: str, plan: str = "pro", mrr: int | str | Decimal = 0):
        return make_company(name, plan=plan, mrr=mrr)

    return _make


@pytest.fixture
def contact(make_contact):
    def _make(name: str, company=None, language: str = "", email: str | None = None):
        return make_contact(name, company=company, language=language, email=email)

    return _make


@pytest.fixture
def ticket_for(make_ticket):
    def _make(contact, body: str = "Please let us export to Excel", subject: str = "Export", days_ago: int = 0):
        return make_ticket(subject, body=body, requester=contact, days_ago=days_ago)

    return _make


@pytest.fixture
def item(pm, feature, make_item):
    def _make(title: str = "Export reports to Excel", kind: str = "feature_request", **kwargs):
        return make_item(title, kind=kind, product_feature=kwargs.pop("product_feature", feature), actor=pm, **kwargs)

    return _make
