"""Fixtures for the mail tests: a mailbox row, a real Dovecot IMAP server and a real aiosmtpd SMTP server.

The servers are session-scoped and private to each pytest process (xdist workers each get their own
directory under /tmp and their own free ports), so concurrent runs never collide.
Nothing is installed here: Dovecot comes from scripts/setup-system.sh (`make test` runs it).
"""

from __future__ import annotations

import os
import uuid

import pytest

from supportloop.mail.choices import ImapSecurity
from supportloop.mail.services import mailbox_create
from supportloop_testing.dovecot import IMAP_PASSWORD, DovecotMissing, start_dovecot
from supportloop_testing.net import free_port


@pytest.fixture(scope="session")
def dovecot():
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # gw0, gw1: separate dirs and ports
    try:
        server = start_dovecot(label=worker)
    except DovecotMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.remove()


class CapturingHandler:
    def __init__(self):
        self.messages: list[dict] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            {
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": bytes(envelope.original_content or envelope.content),
            }
        )
        return "250 OK"


@pytest.fixture(scope="session")
def smtp_server():
    from aiosmtpd.controller import Controller

    handler = CapturingHandler()
    for attempt in range(3):  # another process may take the free port between our check and the bind
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        try:
            controller.start()
            break
        except Exception:
            if attempt == 2:
                raise
    yield controller, handler
    controller.stop()


@pytest.fixture
def smtp(smtp_server, settings):
    """The real SMTP server, emptied, with Django's SMTP backend pointed at it."""
    controller, handler = smtp_server
    handler.messages.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return handler


@pytest.fixture
def mailbox(db):
    return mailbox_create(
        address="support@example.test",
        name="Example Support",
        help_center_url="https://help.example.test/",
        expected_response_time="one business day",
    )


@pytest.fixture
def imap_mailbox(db, dovecot, settings):
    """A mailbox row pointing at a fresh IMAP account of the test Dovecot (any user name logs in)."""
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True  # Dovecot listens on 127.0.0.1
    user = f"u{uuid.uuid4().hex[:12]}"
    box = mailbox_create(
        address="support@example.test",
        name="Example Support",
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_security=ImapSecurity.NONE,
        imap_username=user,
        password=IMAP_PASSWORD,
        help_center_url="https://help.example.test/",
    )
    box.imap_user = user
    return box
