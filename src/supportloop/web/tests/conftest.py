"""Fixtures for the page tests: a small workspace built through the services, and signed-in clients."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client

from supportloop.accounts.choices import Role
from supportloop.accounts.services import team_create
from supportloop.customers.services import company_create, contact_create
from supportloop.tickets.services import (
    contact_reason_create,
    macro_create,
    product_area_create,
    product_feature_create,
    ticket_create,
)


@pytest.fixture(autouse=True, scope="session")
def _catalogues():
    from supportloop.web.i18n import catalogues_compile

    catalogues_compile()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


class Workspace:
    """Users of each role, a team, a taxonomy, two companies with contacts, a macro; tickets on demand."""

    def __init__(self, make_user):
        self.admin = make_user(Role.ADMIN, username="admin", first_name="Ada", last_name="Admin")
        self.agent = make_user(Role.AGENT, username="agent", first_name="Alex", last_name="Agent")
        self.pm = make_user(Role.PRODUCT, username="pm", first_name="Pat", last_name="Product")
        self.team = team_create(name="Support", slug="support", members=[self.agent])
        self.area = product_area_create(name="Billing")
        self.feature = product_feature_create(area=self.area, name="Invoices")
        self.reason = contact_reason_create(name="How-to question")
        self.acme = company_create(name="Acme", domains=["acme.example"], plan="pro", mrr=Decimal("500"))
        self.globex = company_create(name="Globex", domains=["globex.example"], plan="starter", mrr=Decimal("120"))
        self.alice = contact_create(name="Alice Able", emails=["alice@acme.example"], language="en")
        self.bob = contact_create(name="Bob Brown", emails=["bob@globex.example"], language="ru")
        self.macro = macro_create(
            name="Refund issued",
            body="Hi {{ contact.first_name }}, your refund for #{{ ticket.number }} is on its way. {{ agent.name }}",
            actions={"add_tags": ["refund"]},
        )
        self.tickets = []

    def tickets_make(self, n: int, **kwargs):
        made = []
        for i in range(n):
            requester = self.alice if i % 2 == 0 else self.bob
            made.append(
                ticket_create(
                    subject=kwargs.get("subject", f"Invoice question {len(self.tickets) + i}"),
                    body="I cannot download my invoice as PDF.",
                    requester=requester,
                    team=self.team,
                    product_feature=self.feature,
                    contact_reason=self.reason,
                    tags=["billing", f"t{i % 3}"],
                    priority="urgent" if i % 5 == 0 else "normal",
                )
            )
        self.tickets.extend(made)
        return made


@pytest.fixture
def ws(make_user):
    return Workspace(make_user)


@pytest.fixture
def client_for():
    def _client(user):
        client = Client()
        client.force_login(user)
        return client

    return _client
