"""End-to-end fixtures: headless Chromium from Debian (/usr/bin/chromium) driven by Playwright's sync API
against pytest-django's live_server. A failing test leaves a screenshot in test-artifacts/.

Never downloads a browser: scripts/setup-system.sh installs Debian's chromium.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the test itself are still
# plain synchronous calls, so allow them.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# CI runs these beside a second xdist worker on 2 cores: allow slow pages rather than flake. Playwright's
# `expect` keeps its own timeout (5 s by default), separate from the context's.
ACTION_TIMEOUT_MS = 30_000
try:
    from playwright.sync_api import expect as _expect

    _expect.set_options(timeout=ACTION_TIMEOUT_MS)
except ImportError:  # the browser tests then fail at their fixture with a clear message
    pass

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "pw-123456-x"


class _RequestsInFlight:
    """Requests the live server is still answering. Pages post in the background (draft autosave, the presence
    heartbeat): one that arrives as a test ends must finish before pytest-django flushes the database, or SQLite
    finds its tables locked and the request finds database access gone."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def started(self, **kwargs) -> None:
        with self.lock:
            self.count += 1

    def finished(self, **kwargs) -> None:
        with self.lock:
            self.count -= 1

    def wait_until_none(self, timeout: float = 10.0, quiet: float = 0.2) -> None:
        """Until no request has been in flight for `quiet` seconds: the live server may start answering a request
        (a poll, a lazy panel) that the page sent just before its context closed a moment after the count read 0."""
        deadline = time.monotonic() + timeout
        idle_since = None
        while time.monotonic() < deadline:
            if self.count > 0:
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= quiet:
                return
            time.sleep(0.02)


IN_FLIGHT = _RequestsInFlight()


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    from supportloop.web.i18n import catalogues_compile

    catalogues_compile()  # the Chinese flow needs the compiled catalogue

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup-system.sh (installs Debian's chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def browse(request, chromium, live_server):
    """Open pages as a user: browse(user=None, locale="en-US", width=1280) -> a Playwright page, signed in."""
    from django.core.signals import request_finished, request_started

    request_started.connect(IN_FLIGHT.started, dispatch_uid="browser-requests-started")
    request_finished.connect(IN_FLIGHT.finished, dispatch_uid="browser-requests-finished")
    contexts = []

    def _open(user=None, *, locale: str = "en-US", width: int = 1280):
        context = chromium.new_context(
            viewport={"width": width, "height": 900}, locale=locale, base_url=live_server.url
        )
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        if user is not None:
            page.goto("/login/")
            page.fill("#id_username", user.username)
            page.fill("#id_password", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_url(re.compile(r"/$"))
        return page

    yield _open
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{name}-{i}-{j}.png"), full_page=True)
                except Exception as exc:  # noqa: BLE001 - a crashed page must not hide the test's own failure
                    logging.getLogger(__name__).warning("no screenshot of %s page %s-%s: %r", name, i, j, exc)
    for context in contexts:
        context.close()
    IN_FLIGHT.wait_until_none()


class Demo:
    """A small workspace for the flows, built through the services (the live server shares this database)."""

    def __init__(self, make_user):
        from supportloop.accounts.services import team_create
        from supportloop.customers.services import company_create, contact_create
        from supportloop.feedback.models import PickListOption
        from supportloop.tickets.services import (
            macro_create,
            product_area_create,
            product_feature_create,
            ticket_create,
        )

        self.agent = make_user("agent", username="agent", first_name="Alex", last_name="Agent")
        self.pm = make_user("product", username="pm", first_name="Pat", last_name="Product")
        self.team = team_create(name="Support", slug="support", members=[self.agent])
        self.area = product_area_create(name="Billing")
        self.feature = product_feature_create(area=self.area, name="Invoices")
        # The live server's tests flush the database, data migrations included: put the pick-lists back.
        for field, value in (
            ("version", "2.6"),
            ("environment_browser", "Firefox"),
            ("environment_os", "Linux"),
            ("environment_device", "Laptop"),
        ):
            PickListOption.objects.get_or_create(field=field, value=value)
        self.acme = company_create(name="Acme", domains=["acme.example"], plan="pro", mrr=Decimal("500"))
        self.globex = company_create(name="Globex", domains=["globex.example"], plan="starter", mrr=Decimal("120"))
        self.initech = company_create(
            name="Initech", domains=["initech.example"], plan="enterprise", mrr=Decimal("2000")
        )
        self.alice = contact_create(name="Alice Able", emails=["alice@acme.example"], language="en")
        self.bob = contact_create(name="Bob Brown", emails=["bob@globex.example"], language="ru")
        self.carol = contact_create(name="Carol Chen", emails=["carol@initech.example"], language="zh-hans")
        self.macro = macro_create(
            name="Refund issued",
            body="Hi {{ contact.first_name }}, your refund for ticket #{{ ticket.number }} is on its way.",
            actions={"add_tags": ["refund"]},
        )
        self.other_macro = macro_create(name="Password reset", body="Use the reset link.")

        def ticket(subject, body, requester, priority="normal"):
            return ticket_create(
                subject=subject,
                body=body,
                requester=requester,
                team=self.team,
                product_feature=self.feature,
                priority=priority,
            )

        # Oldest first: the inbox shows the newest activity on top.
        self.bug_ticket = ticket(
            "PDF download button does nothing", "Clicking Download PDF on an invoice does nothing in Firefox.", self.bob
        )
        self.refund_ticket = ticket(
            "Refund for double charge",
            "We were charged twice this month. Also, we really need to export all invoices as PDF in one go.",
            self.alice,
            "high",
        )
        self.latest_ticket = ticket("Cannot sign in", "The sign-in page keeps reloading.", self.carol)


@pytest.fixture
def demo(make_user):
    return Demo(make_user)
