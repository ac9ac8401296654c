"""The IMAP poller: fetch what arrived after the last UID, ingest it, and only then mark it seen or move it.

Per mailbox we keep UIDVALIDITY and the last UID ingested. Messages are fetched with BODY.PEEK[] (which
does not set \\Seen) in batches; each batch is ingested in one database transaction (one savepoint per
message) that also advances the last UID. Only after that commits are the messages flagged \\Seen (or
moved). A crash in between re-fetches nothing (the UID moved on) and loses nothing (the rows committed).
A UIDVALIDITY change resets the UID; re-fetched mail is then skipped by Message-ID.
One bad message is quarantined; the poller goes on.
"""
from __future__ import annotations

import logging
import ssl
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone
from imapclient import IMAPClient, imap4, tls

from supportloop.core.netguard import checked_connection
from supportloop.mail.choices import ImapSecurity, InboundSource
from supportloop.mail.crypto import mailbox_password
from supportloop.mail.models import Mailbox
from supportloop.mail.services.inbound import autoresponses_batched
from supportloop.mail.services.inbound_batch import inbound_ingest_batch
from supportloop.mail.threader import our_addresses

logger = logging.getLogger("supportloop.mail")

BATCH_SIZE = 100
SEEN = b"\\Seen"


@dataclass
class PollStats:
    fetched: int = 0
    tickets: int = 0
    threaded: int = 0
    quarantined: int = 0
    duplicates: int = 0
    error: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


class _CheckedIMAP4(imap4.IMAP4WithTimeout):
    def __init__(self, host: str, port: int, timeout: float | None, *, loopback_only: bool):
        self.loopback_only = loopback_only
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None):
        return checked_connection(self.host, self.port, timeout=timeout if timeout is not None else self._timeout,
                                  loopback_only=self.loopback_only)


class _CheckedIMAP4TLS(tls.IMAP4_TLS):
    def _create_socket(self, timeout: float | None = None):
        sock = checked_connection(self.host, self.port, timeout=timeout if timeout is not None else self._timeout)
        return tls.wrap_socket(sock, self.ssl_context, self.host)  # the certificate is checked for the name


class CheckedIMAPClient(IMAPClient):
    """IMAPClient whose socket goes to an address core.netguard checked in the same step (imaplib would resolve
    the name again itself: a DNS answer that changed since the mailbox was saved, or since a check, would
    reach inside). Security `none` is allowed only to loopback, as on save."""

    def __init__(self, host: str, *, loopback_only: bool, **kwargs):
        self.loopback_only = loopback_only
        super().__init__(host, **kwargs)

    def _create_IMAP4(self):
        connect_timeout = getattr(self._timeout, "connect", None)
        if self.ssl:
            return _CheckedIMAP4TLS(self.host, self.port, self.ssl_context, connect_timeout)
        return _CheckedIMAP4(self.host, self.port, connect_timeout, loopback_only=self.loopback_only)


def imap_connect(mailbox: Mailbox, *, timeout: float = 30) -> IMAPClient:
    context = ssl.create_default_context()
    use_ssl = mailbox.imap_security == ImapSecurity.SSL
    client = CheckedIMAPClient(mailbox.imap_host, port=mailbox.imap_port, ssl=use_ssl,
                               ssl_context=context if use_ssl else None, timeout=timeout,
                               loopback_only=mailbox.imap_security == ImapSecurity.NONE)
    if mailbox.imap_security == ImapSecurity.STARTTLS:
        client.starttls(context)
    client.login(mailbox.imap_username or mailbox.address, mailbox_password(mailbox))
    return client


def _ingest_batch(mailbox: Mailbox, uids: list[int], bodies: dict, stats: PollStats) -> list[int]:
    """Ingest one fetched batch in one transaction; returns the UIDs that are now safely stored."""
    items = []
    for uid in uids:
        raw = (bodies.get(uid) or {}).get(b"BODY[]")
        if raw is not None:  # None: expunged by someone else between SEARCH and FETCH
            items.append((uid, bytes(raw)))
    with transaction.atomic():
        results = inbound_ingest_batch(items, mailbox=mailbox, source=InboundSource.IMAP, ours=our_addresses())
        if uids:
            Mailbox.objects.filter(pk=mailbox.pk, imap_last_uid__lt=max(uids)).update(imap_last_uid=max(uids))
    for result in results:
        if result.outcome == "ticket":
            stats.tickets += 1
        elif result.outcome == "threaded":
            stats.threaded += 1
        elif result.outcome == "quarantined":
            stats.quarantined += 1
        else:
            stats.duplicates += 1
    return [uid for uid, _raw in items]


def _after_commit(client: IMAPClient, mailbox: Mailbox, uids: list[int]) -> None:
    if not uids:
        return
    if mailbox.imap_processed_folder:
        if client.has_capability("MOVE"):
            client.move(uids, mailbox.imap_processed_folder)
        else:
            client.copy(uids, mailbox.imap_processed_folder)
            client.delete_messages(uids)
            client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()
    else:
        client.add_flags(uids, [SEEN])


def mailbox_poll(mailbox: Mailbox, *, client: IMAPClient | None = None, batch_size: int = BATCH_SIZE,
                 limit: int | None = None) -> PollStats:
    """Poll one mailbox once. Never raises for a bad message; connection errors are recorded and re-raised."""
    stats = PollStats()
    own_client = client is None
    try:
        if own_client:
            client = imap_connect(mailbox)
        info = client.select_folder(mailbox.imap_folder)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        if mailbox.imap_uidvalidity != uidvalidity:
            if mailbox.imap_uidvalidity is not None:
                logger.warning("mailbox %s: UIDVALIDITY changed, re-reading the folder", mailbox.pk)
            mailbox.imap_uidvalidity = uidvalidity
            mailbox.imap_last_uid = 0
            mailbox.save(update_fields=["imap_uidvalidity", "imap_last_uid"])
        last = mailbox.imap_last_uid
        # "N:*" always matches the newest message, even when its UID is below N: filter again.
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        if limit is not None:
            uids = uids[:limit]
        for start in range(0, len(uids), batch_size):
            chunk = uids[start:start + batch_size]
            bodies = client.fetch(chunk, ["BODY.PEEK[]"])
            stats.fetched += len(bodies)
            with autoresponses_batched():  # the batch's acknowledgements: one transaction after its commit
                done = _ingest_batch(mailbox, chunk, bodies, stats)
            # Committed: now the server may be told.
            _after_commit(client, mailbox, done)
        now = timezone.now()
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=now, last_poll_ok_at=now, last_poll_error="")
    except Exception as exc:
        stats.error = f"{type(exc).__name__}: {exc}"[:2000]
        Mailbox.objects.filter(pk=mailbox.pk).update(last_polled_at=timezone.now(), last_poll_error=stats.error)
        logger.warning("mailbox %s: poll failed: %s", mailbox.pk, stats.error)
        raise
    finally:
        if own_client and client is not None:
            try:
                client.logout()
            except Exception:  # noqa: BLE001
                pass
    return stats


def mailboxes_poll(*, mailbox_id: int | None = None) -> dict[int, PollStats]:
    """Poll every active IMAP mailbox (or one); a failing mailbox does not stop the others."""
    qs = Mailbox.objects.filter(is_active=True).exclude(imap_host="")
    if mailbox_id is not None:
        qs = Mailbox.objects.filter(pk=mailbox_id)
    results = {}
    for mailbox in qs.order_by("id"):
        try:
            results[mailbox.pk] = mailbox_poll(mailbox)
        except Exception as exc:  # noqa: BLE001 - recorded on the mailbox by mailbox_poll
            results[mailbox.pk] = PollStats(error=f"{type(exc).__name__}: {exc}"[:2000])
    return results
