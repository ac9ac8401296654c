"""A mailbox's IMAP host may not point into the server's own network: refused on save (service, admin form)
with an error naming the field, and again when the poller connects (DNS may answer differently by then)."""

from __future__ import annotations

import pytest
from django.test import Client

from supportloop.core.errors import ValidationFailed
from supportloop.mail.choices import ImapSecurity
from supportloop.mail.imap import mailbox_poll
from supportloop.mail.models import Mailbox
from supportloop.mail.services import mailbox_create, mailbox_update
from supportloop_testing.dovecot import IMAP_PASSWORD

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.fixture
def private_refused(settings):
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = False


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "0x7f000001",
        "2130706433",
        "127.1",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "metadata.google.internal",
        "10.0.0.8",
        "0.0.0.0",
    ],
)
@pytest.mark.parametrize("security", [ImapSecurity.NONE, ImapSecurity.SSL])
def test_internal_hosts_are_refused_on_create_naming_the_field(host, security, private_refused):
    with pytest.raises(ValidationFailed) as refused:
        mailbox_create(address="support@example.test", imap_host=host, imap_security=security)
    assert "imap_host" in refused.value.errors and "IMAP host" in refused.value.detail
    assert not Mailbox.objects.exists()


def test_metadata_stays_refused_when_private_hosts_are_allowed(settings):
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True
    for host in ("169.254.169.254", "metadata.google.internal", "fd00:ec2::254", "224.0.0.1"):
        with pytest.raises(ValidationFailed) as refused:
            mailbox_create(address="support@example.test", imap_host=host)
        assert "never allowed" in refused.value.errors["imap_host"]


def test_security_none_only_on_loopback(settings, fake_dns):
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True
    fake_dns.table["imap.example.test"] = [PUBLIC]
    with pytest.raises(ValidationFailed) as refused:
        mailbox_create(address="support@example.test", imap_host="imap.example.test", imap_security="none")
    assert list(refused.value.errors) == ["imap_security"]
    with pytest.raises(ValidationFailed) as refused:
        mailbox_create(address="support@example.test", imap_host="10.1.2.3", imap_security="none")
    assert "imap_security" in refused.value.errors
    box = mailbox_create(address="support@example.test", imap_host="127.0.0.1", imap_security="none")
    assert box.imap_host == "127.0.0.1"


def test_update_rechecks_the_host_with_the_new_security(private_refused, fake_dns):
    fake_dns.table["imap.example.test"] = [PUBLIC]
    box = mailbox_create(address="support@example.test", imap_host="imap.example.test", imap_security="ssl")
    with pytest.raises(ValidationFailed) as refused:
        mailbox_update(mailbox=box, imap_security="none")
    assert "imap_security" in refused.value.errors
    with pytest.raises(ValidationFailed) as refused:
        mailbox_update(mailbox=Mailbox.objects.get(pk=box.pk), imap_host="[::1]")
    assert "imap_host" in refused.value.errors
    box.refresh_from_db()
    assert (box.imap_host, box.imap_security) == ("imap.example.test", "ssl")
    # An edit that does not touch the connection does not ask DNS (which may be down).
    fake_dns.calls.clear()
    mailbox_update(mailbox=box, name="Renamed")
    assert fake_dns.calls == []


def test_a_public_host_is_saved(private_refused, fake_dns):
    fake_dns.table["imap.example.test"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    box = mailbox_create(address="support@example.test", imap_host=" imap.example.test ", imap_security="ssl")
    assert box.imap_host == "imap.example.test"


def _admin_client(make_user):
    admin = make_user("admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    return client


FORM = {
    "name": "Help",
    "address": "help@example.test",
    "is_active": "on",
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
}


def test_the_admin_form_shows_the_refusal_on_the_field(make_user, private_refused):
    client = _admin_client(make_user)
    response = client.post("/admin/mail/mailbox/add/", {**FORM, "imap_host": "169.254.169.254"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "imap_host" in errors and "metadata" in errors["imap_host"][0]
    assert not Mailbox.objects.exists()
    response = client.post("/admin/mail/mailbox/add/", {**FORM, "imap_host": "localhost", "imap_security": "none"})
    assert response.status_code == 200 and "imap_host" in response.context["adminform"].form.errors
    assert not Mailbox.objects.exists()


@pytest.mark.mailserver
def test_the_poller_refuses_a_host_that_now_resolves_inside(dovecot, private_refused, fake_dns):
    """Saved while the name pointed outside; at poll time DNS says 127.0.0.1 (DNS rebinding)."""
    fake_dns.table["imap.rebind.test"] = [PUBLIC]
    box = mailbox_create(
        address="support@example.test",
        imap_host="imap.rebind.test",
        imap_port=dovecot.port,
        imap_security="starttls",
        imap_username="u1",
        password=IMAP_PASSWORD,
    )
    fake_dns.table["imap.rebind.test"] = ["127.0.0.1"]
    with pytest.raises(Exception, match="loopback"):
        mailbox_poll(box)
    box.refresh_from_db()
    assert box.last_poll_error.startswith("HostRefused") and "SUPPORTLOOP_ALLOW_PRIVATE_HOSTS" in box.last_poll_error


@pytest.mark.mailserver
def test_the_poller_connects_to_the_address_it_checked(dovecot, settings, fake_dns):
    """One lookup per connection: the answer that was checked is the one connected to (a later answer, here an
    unroutable address, is never used)."""
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True
    fake_dns.table["imap.local.test"] = ["127.0.0.1"]
    box = mailbox_create(
        address="support@example.test",
        imap_host="imap.local.test",
        imap_port=dovecot.port,
        imap_security="none",
        imap_username="u2",
        password=IMAP_PASSWORD,
    )
    fake_dns.table["imap.local.test"] = [["127.0.0.1"], ["10.255.255.1"]]
    fake_dns.calls.clear()
    stats = mailbox_poll(box)
    assert stats.error == "" and fake_dns.calls == ["imap.local.test"]
    box.refresh_from_db()
    assert box.last_poll_error == "" and box.last_polled_at is not None


@pytest.mark.mailserver
def test_security_none_is_rechecked_at_connect(dovecot, settings, fake_dns):
    settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True
    fake_dns.table["imap.local.test"] = ["127.0.0.1"]
    box = mailbox_create(
        address="support@example.test",
        imap_host="imap.local.test",
        imap_port=dovecot.port,
        imap_security="none",
        imap_username="u3",
        password=IMAP_PASSWORD,
    )
    fake_dns.table["imap.local.test"] = ["10.20.30.40"]  # no longer this machine: no plain-text password to it
    with pytest.raises(Exception, match="not a loopback"):
        mailbox_poll(box)


def test_tls_connections_also_go_to_the_checked_address(settings, fake_dns):
    """Security `ssl` wraps the checked socket (the certificate is still verified for the host name)."""
    import socket
    import threading

    from supportloop.core.netguard import HostRefused
    from supportloop.mail.imap import CheckedIMAPClient

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    accepted = []

    def accept_and_close():
        conn, peer = server.accept()
        accepted.append(peer)
        conn.close()

    thread = threading.Thread(target=accept_and_close, daemon=True)
    thread.start()
    try:
        settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = True
        fake_dns.table["imaps.local.test"] = [["127.0.0.1"], ["10.255.255.1"]]
        with pytest.raises(OSError):  # the listener speaks no TLS
            CheckedIMAPClient(
                "imaps.local.test", port=server.getsockname()[1], ssl=True, timeout=5, loopback_only=False
            )
        thread.join(5)
        assert len(accepted) == 1 and fake_dns.calls == ["imaps.local.test"]
        settings.SUPPORTLOOP_ALLOW_PRIVATE_HOSTS = False
        fake_dns.table["imaps.local.test"] = ["127.0.0.1"]
        with pytest.raises(HostRefused):
            CheckedIMAPClient(
                "imaps.local.test", port=server.getsockname()[1], ssl=True, timeout=5, loopback_only=False
            )
    finally:
        server.close()
