"""Oversize mail from a real IMAP server (Dovecot): streamed to file storage in partial FETCHes, never fetched
whole, quarantined once, never lost and never fetched again on the next poll (issue 10, item 6)."""

from __future__ import annotations

import re

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from supportloop.mail import imap
from supportloop.mail.imap import mailbox_poll
from supportloop.mail.models import InboundMail, Quarantine
from supportloop.tickets.models import Ticket
from supportloop_testing.mail import raw_mail

pytestmark = [pytest.mark.mailserver, pytest.mark.django_db]


def mail(mid: str, body: bytes, sender: str = "anna@acme.test") -> bytes:
    return raw_mail(f"{mid}@acme.test", frm=f"Anna <{sender}>", subject=mid, body=body)


@pytest.fixture
def fetch_log(monkeypatch):
    """Every data item the poller FETCHes, with the UIDs it asked for."""
    log: list[tuple[tuple[int, ...], str]] = []
    original = IMAPClient.fetch

    def fetch(self, messages, data, *args, **kwargs):
        log.extend((tuple(messages), item if isinstance(item, str) else item.decode()) for item in data)
        return original(self, messages, data, *args, **kwargs)

    monkeypatch.setattr(IMAPClient, "fetch", fetch)
    return log


def seen(dovecot, user) -> list[int]:
    client = dovecot.client(user)
    client.select_folder("INBOX")
    try:
        return client.search(["SEEN"])
    finally:
        client.logout()


def test_oversize_mail_is_streamed_to_storage_quarantined_and_not_fetched_again(
    imap_mailbox, dovecot, settings, fetch_log, monkeypatch
):
    settings.SUPPORTLOOP_MAX_INBOUND_BYTES = 100_000
    monkeypatch.setattr(imap, "OVERSIZE_CHUNK", 64 * 1024)
    big = mail("big", b"y" * 300_000 + b"\r\nTHE END")
    for raw in (mail("small1", b"hello", sender="ann@acme.test"), big, mail("small2", b"hi", sender="bob@acme.test")):
        dovecot.append(imap_mailbox.imap_user, raw)

    stats = mailbox_poll(imap_mailbox)
    assert (stats.tickets, stats.quarantined) == (2, 1)
    row = Quarantine.objects.get()
    assert row.reason == "oversize" and row.message_key == "big@acme.test" and row.subject == "big"
    with row.raw_file.open("rb") as fh:
        assert fh.read() == big  # whole, byte for byte
    assert bytes(row.raw).endswith(b"Content-Type: text/plain; charset=utf-8\r\n") and row.raw_size == len(big)
    assert InboundMail.objects.get(quarantine=row).imap_uid == 2
    # The big message was never fetched whole: its header, then ranges of at most OVERSIZE_CHUNK bytes.
    whole = [uids for uids, item in fetch_log if item == "BODY.PEEK[]"]
    assert whole and all(2 not in uids for uids in whole)
    ranges = [item for uids, item in fetch_log if uids == (2,) and item.startswith("BODY.PEEK[]<")]
    assert len(ranges) == 5 and all(re.fullmatch(r"BODY\.PEEK\[\]<\d+\.65536>", r) for r in ranges)
    assert seen(dovecot, imap_mailbox.imap_user) == [1, 2, 3]
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 3

    fetch_log.clear()
    again = mailbox_poll(imap_mailbox)
    assert again.fetched == 0 and Quarantine.objects.count() == 1 and Ticket.objects.count() == 2
    assert not [item for _uids, item in fetch_log if item.startswith("BODY")]


def test_oversize_mail_the_server_will_not_hand_over_stays_there_and_is_not_retried(
    imap_mailbox, dovecot, settings, monkeypatch
):
    settings.SUPPORTLOOP_MAX_INBOUND_BYTES = 50_000
    big = mail("stuck", b"z" * 120_000)
    dovecot.append(imap_mailbox.imap_user, big)
    dovecot.append(imap_mailbox.imap_user, mail("after", b"fine", sender="bob@acme.test"))
    original = IMAPClient.fetch

    def refusing_fetch(self, messages, data, *args, **kwargs):
        if any(str(item).startswith("BODY.PEEK[]<") for item in data):
            raise IMAPClientError("FETCH failed: [SERVERBUG] Internal error")
        return original(self, messages, data, *args, **kwargs)

    monkeypatch.setattr(IMAPClient, "fetch", refusing_fetch)
    stats = mailbox_poll(imap_mailbox)
    assert (stats.tickets, stats.quarantined, stats.error) == (1, 1, "")
    row = Quarantine.objects.get()
    assert row.reason == "oversize" and not row.raw_file and row.subject == "stuck"
    assert "could not be downloaded" in row.detail and "SERVERBUG" in row.detail and "UID 1" in row.detail
    assert seen(dovecot, imap_mailbox.imap_user) == [2]  # the stuck one stays unread on the server
    imap_mailbox.refresh_from_db()
    assert imap_mailbox.imap_last_uid == 2
    assert mailbox_poll(imap_mailbox).fetched == 0 and Quarantine.objects.count() == 1
