"""Builders for feedback tests: taxonomy, companies, contacts with tickets, items."""

from __future__ import annotations

import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.customers.services import company_create, contact_create
from supportloop.feedback.services import feedback_item_create
from supportloop.tickets.services import product_area_create, product_feature_create, ticket_create

_seq = itertools.count(1)


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


@pytest.fixture
def company():
    def _make(name: str, plan: str = "pro", mrr: int | str | Decimal = 0):
        n = next(_seq)
        return company_create(name=name, domains=[f"{name.lower().replace(' ', '')}{n}.example"], plan=plan, mrr=mrr)

    return _make


@pytest.fixture
def contact():
    def _make(name: str, company=None, language: str = "", email: str | None = None):
        n = next(_seq)
        email = email or f"{name.lower().replace(' ', '.')}{n}@people{n}.example"
        return contact_create(name=name, emails=[email], company=company, language=language)

    return _make


@pytest.fixture
def ticket_for():
    def _make(contact, body: str = "Please let us export to Excel", subject: str = "Export", days_ago: int = 0):
        return ticket_create(
            subject=subject, body=body, requester=contact, created_at=timezone.now() - timedelta(days=days_ago)
        )

    return _make


@pytest.fixture
def item(pm, feature):
    def _make(title: str = "Export reports to Excel", kind: str = "feature_request", **kwargs):
        return feedback_item_create(
            kind=kind, title=title, product_feature=kwargs.pop("product_feature", feature), actor=pm, **kwargs
        )

    return _make
