"""The Outbox: in development and demo mode mail is kept in a table (never sent) and admins read it in the app."""

from __future__ import annotations

import pytest
from django.core.mail import EmailMessage, send_mail

from supportloop.mail.models import OutboxMessage
from supportloop.mail.outbox import OUTBOX_BACKEND

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox_mode(settings):
    settings.SUPPORTLOOP_OUTBOX = True
    settings.EMAIL_BACKEND = OUTBOX_BACKEND
    return settings


def test_the_outbox_backend_keeps_each_message_with_its_recipients_and_message_id(outbox_mode):
    EmailMessage(
        subject="Export is live",
        body="Hello Alice,\nit shipped.",
        from_email="product@supportloop.example",
        to=["alice@acme.example"],
        cc=["boss@acme.example"],
        headers={"Message-ID": "<abc@supportloop.example>", "Auto-Submitted": "auto-generated"},
    ).send()
    assert send_mail("Hi", "Body", "a@x.example", []) == 0  # no recipient: nothing kept, as SMTP sends nothing
    mail = OutboxMessage.objects.get()
    assert (mail.to, mail.subject, mail.message_id) == (
        "alice@acme.example, boss@acme.example",
        "Export is live",
        "abc@supportloop.example",
    )
    assert mail.body == "Hello Alice,\nit shipped." and mail.headers == {"Auto-Submitted": "auto-generated"}


def test_admins_read_the_outbox_in_development_mode_and_nobody_else(outbox_mode, ws, client_for):
    send_mail("Your export is live", "Hello Bob, it shipped.", "pm@supportloop.example", ["bob@globex.example"])
    admin = client_for(ws.admin)
    html = admin.get("/outbox/").content.decode()
    assert 'data-outbox-to="bob@globex.example"' in html and "Your export is live" in html
    assert "Hello Bob, it shipped." in html
    assert 'href="/outbox/"' in admin.get("/").content.decode()  # the admin's navigation leads there
    assert client_for(ws.pm).get("/outbox/").status_code == 403
    assert 'href="/outbox/"' not in client_for(ws.pm).get("/feedback/").content.decode()


def test_outside_development_mode_there_is_no_outbox_page(settings, ws, client_for):
    settings.SUPPORTLOOP_OUTBOX = False
    admin = client_for(ws.admin)
    assert admin.get("/outbox/").status_code == 404
    assert 'href="/outbox/"' not in admin.get("/").content.decode()


def test_development_mode_mails_to_the_outbox_by_default(monkeypatch):
    """SUPPORTLOOP_DEBUG=1 without EMAIL_BACKEND: the Outbox; production: SMTP."""
    import importlib
    import sys

    monkeypatch.delenv("EMAIL_BACKEND", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("ALLOWED_HOSTS", "example.com")
    found = {}
    for debug in ("1", "0"):
        monkeypatch.setenv("SUPPORTLOOP_DEBUG", debug)
        sys.modules.pop("supportloop.settings", None)
        module = importlib.import_module("supportloop.settings")
        found[debug] = (module.EMAIL_BACKEND, module.SUPPORTLOOP_OUTBOX)
    sys.modules.pop("supportloop.settings", None)
    assert found == {"1": (OUTBOX_BACKEND, True), "0": ("django.core.mail.backends.smtp.EmailBackend", False)}
