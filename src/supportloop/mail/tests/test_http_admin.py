"""Inbound over HTTP (raw MIME with a mailbox token; a provider webhook through anymail), credentials,
the admin, the management command and the mail API."""

from __future__ import annotations

import base64

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from supportloop.mail.crypto import mailbox_password, secret_decrypt, secret_encrypt
from supportloop.mail.models import InboundMail, Mailbox, Quarantine
from supportloop.mail.services import inbound_ingest, mailbox_rotate_inbound_token, mailbox_update
from supportloop.tickets.models import Ticket

pytestmark = pytest.mark.django_db

RAW = (
    b"From: Zoe <zoe@acme.test>\r\nTo: support@example.test\r\nSubject: Via HTTP\r\n"
    b"Message-ID: <http1@acme.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello over HTTP\r\n"
)


def test_raw_endpoint_needs_the_mailbox_token_and_is_idempotent(mailbox):
    token = mailbox_rotate_inbound_token(mailbox=mailbox)
    url = f"/mail/inbound/raw/{mailbox.pk}/"
    client = Client()
    assert client.post(url, RAW, content_type="message/rfc822").status_code == 401
    assert client.post(url, RAW, content_type="message/rfc822", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert Ticket.objects.count() == 0
    ok = client.post(url, RAW, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 201 and ok.json()["outcome"] == "ticket"
    again = client.post(url, RAW, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    assert Ticket.objects.get().subject == "Via HTTP"
    assert InboundMail.objects.get(outcome="ticket").source == "raw"
    assert InboundMail.objects.get(outcome="duplicate").note.startswith("redelivery")  # the skip is on the ledger


def test_raw_endpoint_accepts_messages_above_the_api_body_limit(mailbox, settings):
    token = mailbox_rotate_inbound_token(mailbox=mailbox)
    big = RAW.replace(b"Hello over HTTP", b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10))
    response = Client().post(
        f"/mail/inbound/raw/{mailbox.pk}/", big, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 201
    settings.SUPPORTLOOP_MAIL_MAX_MESSAGE_BYTES = 1000
    response = Client().post(
        f"/mail/inbound/raw/{mailbox.pk}/", big, content_type="message/rfc822", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 413


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning")
def test_sendgrid_inbound_webhook_via_anymail_with_basic_auth(mailbox, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    url = "/mail/inbound/sendgrid/"
    data = {"email": RAW.decode(), "to": "support@example.test", "from": "zoe@acme.test"}
    assert Client().post(url, data).status_code == 400  # no basic auth: anymail refuses it
    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    response = Client().post(url, data, HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.subject == "Via HTTP" and ticket.requester.name == "Zoe"
    assert ticket.mailbox_link.mailbox == mailbox
    assert InboundMail.objects.get().source == "webhook"


def test_password_is_stored_encrypted_and_env_reference_wins(mailbox, monkeypatch):
    mailbox_update(mailbox=mailbox, password="hunter2")
    mailbox.refresh_from_db()
    assert "hunter2" not in mailbox.imap_password_encrypted
    assert secret_decrypt(mailbox.imap_password_encrypted) == "hunter2" == mailbox_password(mailbox)
    monkeypatch.setenv("SL_TEST_IMAP_PW", "from-env")
    mailbox_update(mailbox=mailbox, imap_password_env="SL_TEST_IMAP_PW")
    assert mailbox_password(mailbox) == "from-env"


def test_credentials_key_setting_is_used(settings):
    from cryptography.fernet import Fernet

    token = secret_encrypt("pw")
    settings.SUPPORTLOOP_CREDENTIALS_KEY = Fernet.generate_key().decode()
    from supportloop.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        secret_decrypt(token)  # encrypted under the SECRET_KEY-derived key
    assert secret_decrypt(secret_encrypt("pw")) == "pw"


def test_admin_lists_quarantine_and_downloads_raw(mailbox, make_user):
    result = inbound_ingest(raw=b"\xff\xfe garbage without headers", mailbox=mailbox)
    row = Quarantine.objects.get(pk=result.quarantine_id)
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    listing = client.get("/admin/mail/quarantine/")
    assert listing.status_code == 200 and b"Could not be parsed" in listing.content
    assert client.get(f"/admin/mail/quarantine/{row.pk}/change/").status_code == 200
    raw = client.get(f"/admin/mail/quarantine/{row.pk}/raw/")
    assert raw.status_code == 200 and raw.content == b"\xff\xfe garbage without headers"
    assert client.get(f"/admin/mail/mailbox/{mailbox.pk}/change/").status_code == 200


def test_admin_creates_mailbox_with_encrypted_password(make_user, fake_dns):
    fake_dns.table["imap.example.test"] = ["93.184.215.14"]
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/mail/mailbox/add/",
        {
            "name": "Help",
            "address": "help@example.test",
            "is_active": "on",
            "imap_host": "imap.example.test",
            "imap_port": "993",
            "imap_security": "ssl",
            "imap_folder": "INBOX",
            "imap_username": "help",
            "password": "pw-123",
            "autoresponder_templates": "{}",
            "expected_response_time": "a day",
            "closed_ticket_rule": "new",
            "rate_limit_messages": "30",
            "rate_limit_window_minutes": "60",
            "imap_processed_folder": "",
            "imap_password_env": "",
            "help_center_url": "",
            "autoresponder_max_per_hour": "200",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    box = Mailbox.objects.get(address="help@example.test")
    assert mailbox_password(box) == "pw-123"


def test_mail_poll_command_reports_unknown_mailbox_and_connection_errors(mailbox, settings):
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True  # a local port nobody listens on
    with pytest.raises(CommandError, match="No mailbox with id 999"):
        call_command("mail_poll", "--mailbox", "999", "--once")
    from supportloop_testing.net import free_port

    mailbox_update(mailbox=mailbox, imap_host="127.0.0.1", imap_port=free_port(), imap_security="none", password="x")
    with pytest.raises(CommandError, match="could not be polled"):
        call_command("mail_poll", "--mailbox", str(mailbox.pk), "--once")
    mailbox.refresh_from_db()
    assert "ConnectionRefusedError" in mailbox.last_poll_error


def test_quarantine_api_is_admin_only(api_client, mailbox):
    inbound_ingest(raw=b"", mailbox=mailbox)
    assert api_client(role="agent").get("mail/quarantine").status_code == 403
    body = api_client(role="admin").get("mail/quarantine").json()
    assert body["count"] == 1 and body["items"][0]["reason"] == "unparseable"
