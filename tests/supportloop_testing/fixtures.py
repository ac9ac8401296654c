"""Builders of the domain's main records, for every test: `make_company`, `make_contact`, `make_ticket`,
`make_item`. Each calls the service that production calls (company_create, contact_create, ticket_create,
feedback_item_create), so counters, rollups, the change sequence and audit events are real, and fills in only
what a test leaves out with distinct values (a fresh domain, address or subject per call). Loaded by the root
conftest.py (`pytest_plugins`); `make_user` and `api_client` are there too.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from supportloop.accounts.choices import Role
from supportloop.customers.services import company_create, contact_create
from supportloop.feedback.services import feedback_item_create
from supportloop.tickets.services import ticket_create


@pytest.fixture
def _serial():
    """Numbers that keep generated names, domains and addresses apart within one test."""
    return itertools.count(1)


@pytest.fixture
def make_company(db, _serial):
    """make_company(name="Acme", domains=None, plan="pro", mrr=0, **company_create's other fields). Without
    `domains`, one domain of its own made from the name ("acme3.example")."""

    def _make(name: str = "Acme", *, domains: list[str] | None = None, plan: str = "pro", mrr=0, **fields):
        if domains is None:
            domains = [f"{''.join(c for c in name.lower() if c.isalnum()) or 'company'}{next(_serial)}.example"]
        return company_create(name=name, domains=domains, plan=plan, mrr=mrr, **fields)

    return _make


@pytest.fixture
def make_contact(db, _serial):
    """make_contact(name="Ann", email=None, company=None, **contact_create's other fields). Without `email`
    (or `emails`), one address of its own: at the company's first domain when `company` is given (so the
    contact is the company's as mail from it would be), else at a domain of its own."""

    def _make(name: str = "Ann", *, email: str | None = None, company=None, **fields):
        if "emails" not in fields:
            if email is None:
                local = ".".join(re.findall(r"[a-z0-9]+", name.lower())) or "contact"
                n = next(_serial)
                domain = company.domains.order_by("pk").first() if company is not None else None
                email = f"{local}{n}@{domain.domain}" if domain else f"{local}{n}@people{n}.example"
            fields["emails"] = [email]
        return contact_create(name=name, company=company, **fields)

    return _make


@pytest.fixture
def make_ticket(db, _serial):
    """make_ticket(subject=None, body="It does not work.", requester=None, requester_email=None, days_ago=None,
    **ticket_create's other fields: actor, status, priority, channel, tags, product_feature, ...).
    Without a requester, a new customer with an address of their own writes it; `days_ago` dates it back."""

    def _make(
        subject: str | None = None,
        *,
        body: str = "It does not work.",
        requester=None,
        requester_email: str | None = None,
        days_ago: float | None = None,
        **fields,
    ):
        n = next(_serial)
        if requester is None and requester_email is None:
            requester_email = f"customer{n}@customers{n}.example"
        if days_ago is not None:
            fields["created_at"] = timezone.now() - timedelta(days=days_ago)
        return ticket_create(
            subject=subject if subject is not None else f"Question {n}",
            body=body,
            requester=requester,
            requester_email=requester_email,
            **fields,
        )

    return _make


@pytest.fixture
def make_item(db, make_user):
    """make_item(title="Export reports to Excel", kind="feature_request", actor=None, **feedback_item_create's
    other fields: product_feature, product_area, problem, owner, ...). Without `actor`, a new product manager
    opens it."""

    def _make(title: str = "Export reports to Excel", *, kind: str = "feature_request", actor=None, **fields):
        return feedback_item_create(kind=kind, title=title, actor=actor or make_user(Role.PRODUCT), **fields)

    return _make
