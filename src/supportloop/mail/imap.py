"""The IMAP poller: fetch what arrived after the last UID, ingest it, and only then mark it seen or move it.

Per mailbox we keep UIDVALIDITY and the last UID ingested. Messages are fetched with BODY.PEEK[] (which
does not set \\Seen) in batches; each batch is ingested in one database transaction (one savepoint per
message) that also advances the last UID. Only after that commits are the messages flagged \\Seen (or
moved). A crash in between re-fetches nothing (the UID moved on) and loses nothing (the rows committed);
the mailbox also keeps the last UID the server was told about (imap_done_uid), and the next poll flags or moves
what a crash left between the two before it reads anything new.
A UIDVALIDITY change resets the UID; re-fetched mail is then skipped by Message-ID.
One bad message is quarantined; the poller goes on.

Sizes (RFC822.SIZE) are read first, so a batch's FETCH holds at most about twice SUPPORTLOOP_MAX_INBOUND_BYTES,
and a message over that limit is never fetched whole into memory: its header is read, then its bytes in
partial FETCHes of OVERSIZE_CHUNK into a temporary file, which goes to file storage with a quarantine row
(services/oversize.py). If the server refuses to hand it over, the row says so, the message stays unread on
the server and the UID moves on: it is neither lost nor fetched again on every poll.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass

from django.core.files import File
from django.db import transaction
from django.utils import timezone
from imapclient import IMAPClient, imap4, tls
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from supportloop.core.crashpoints import crash_point
from supportloop.core.netguard import checked_connection
from supportloop.mail.choices import ImapSecurity, InboundSource, QuarantineReason
from supportloop.mail.crypto import mailbox_password
from supportloop.mail.models import InboundMail, Mailbox
from supportloop.mail.services.inbound import (
    IngestResult,
    autoresponses_batched,
    autoresponses_queue_in_transaction,
)
from supportloop.mail.services.inbound_batch import inbound_ingest_batch
from supportloop.mail.services.oversize import (
    OversizeMail,
    header_block,
    inbound_limit,
    inbound_oversize,
    oversize_already_ingested,
)
from supportloop.mail.threader import our_addresses

logger = logging.getLogger("supportloop.mail")

BATCH_SIZE = 100
SEEN = b"\\Seen"
SIZE_LOOKUP = 1000  # UIDs per RFC822.SIZE fetch
OVERSIZE_CHUNK = 1024 * 1024  # bytes per partial FETCH of a message over the inbound limit


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
        return checked_connection(
            self.host,
            self.port,
            timeout=timeout if timeout is not None else self._timeout,
            loopback_only=self.loopback_only,
        )


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
    client = CheckedIMAPClient(
        mailbox.imap_host,
        port=mailbox.imap_port,
        ssl=use_ssl,
        ssl_context=context if use_ssl else None,
        timeout=timeout,
        loopback_only=mailbox.imap_security == ImapSecurity.NONE,
    )
    if mailbox.imap_security == ImapSecurity.STARTTLS:
        client.starttls(context)
    client.login(mailbox.imap_username or mailbox.address, mailbox_password(mailbox))
    return client


def _ingest_batch(
    mailbox: Mailbox,
    uids: list[int],
    bodies: dict,
    stats: PollStats,
    oversize: dict[int, OversizeMail | None] | None = None,
) -> list[int]:
    """Ingest one fetched batch in one transaction; returns the UIDs that are now safely stored.
    `oversize` maps UIDs of messages over the inbound limit to what was downloaded of them (None: already
    stored, skipped without downloading)."""
    items: list[tuple[int, bytes]] = []
    for uid in uids:
        raw = (bodies.get(uid) or {}).get(b"BODY[]")
        if raw is not None:  # None: expunged by someone else between SEARCH and FETCH
            items.append((uid, bytes(raw)))
    oversize = oversize or {}
    with transaction.atomic():
        results = inbound_ingest_batch(items, mailbox=mailbox, source=InboundSource.IMAP, ours=our_addresses())
        for uid, mail in oversize.items():
            results.append(
                IngestResult("duplicate", "")
                if mail is None
                else inbound_oversize(mail=mail, mailbox=mailbox, source=InboundSource.IMAP, imap_uid=uid)
            )
        if uids:
            Mailbox.objects.filter(pk=mailbox.pk, imap_last_uid__lt=max(uids)).update(imap_last_uid=max(uids))
        autoresponses_queue_in_transaction()  # with the database queue: commits with the tickets
        crash_point("imap.in_write")
    crash_point("imap.after_commit")
    for result in results:
        if result.outcome == "ticket":
            stats.tickets += 1
        elif result.outcome == "threaded":
            stats.threaded += 1
        elif result.outcome == "quarantined":
            stats.quarantined += 1
        else:
            stats.duplicates += 1
    # An oversize message that could not be downloaded stays unread on the server (its row says so).
    return [uid for uid, _raw in items] + [
        uid for uid, mail in oversize.items() if mail is None or mail.content is not None
    ]


def _sizes(client: IMAPClient, uids: list[int]) -> dict[int, int]:
    """RFC822.SIZE of each UID (a line per message, no body read)."""
    sizes: dict[int, int] = {}
    for start in range(0, len(uids), SIZE_LOOKUP):
        for uid, data in client.fetch(uids[start : start + SIZE_LOOKUP], ["RFC822.SIZE"]).items():
            sizes[uid] = int(data.get(b"RFC822.SIZE") or 0)
    return sizes


def _batches(uids: list[int], sizes: dict[int, int], batch_size: int) -> Iterator[list[int]]:
    """UIDs in arrival order, cut into batches of at most batch_size messages whose bodies (those fetched
    whole, at most the inbound limit each) add up to at most twice the inbound limit."""
    limit = inbound_limit()
    budget = 2 * limit
    batch: list[int] = []
    used = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        cost = size if size <= limit else 0  # streamed to a file, not held in memory
        if batch and (len(batch) >= batch_size or used + cost > budget):
            yield batch
            batch, used = [], 0
        batch.append(uid)
        used += cost
    if batch:
        yield batch


def _download_oversize(client: IMAPClient, uid: int, size: int) -> OversizeMail | None:
    """A message over the inbound limit, read in partial FETCHes into a temporary file (never whole into
    memory). None when it is already stored (known by its Message-ID) or was expunged meanwhile."""
    header = (client.fetch([uid], ["BODY.PEEK[HEADER]"]).get(uid) or {}).get(b"BODY[HEADER]")
    if header is None:
        return None
    headers = header_block(bytes(header))
    if oversize_already_ingested(headers):
        return None
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller in OversizeMail, closed here on failure
    digest = hashlib.sha256()
    offset = 0
    try:
        while True:
            key = f"BODY[]<{offset}>".encode()
            chunk = (client.fetch([uid], [f"BODY.PEEK[]<{offset}.{OVERSIZE_CHUNK}>"]).get(uid) or {}).get(key)
            if chunk is None:
                raise IMAPClientError(f"the server returned no data at offset {offset}")
            spool.write(chunk)
            digest.update(chunk)
            offset += len(chunk)
            if len(chunk) < OVERSIZE_CHUNK:
                break
    except IMAPClientAbortError:
        spool.close()
        raise  # the connection broke: the poll fails and the next one retries from this UID
    except IMAPClientError as exc:  # the server refuses this message: record it, leave it there, go on
        spool.close()
        logger.warning("UID %s (%s bytes) could not be downloaded: %s", uid, size, exc)
        return OversizeMail(headers=headers, size=size, sha256="", content=None, error=str(exc)[:500])
    spool.seek(0)
    return OversizeMail(headers=headers, size=offset, sha256=digest.hexdigest(), content=File(spool))


def _after_commit(client: IMAPClient, mailbox: Mailbox, uids: list[int], *, through: int | None = None) -> None:
    """Tell the server: flag the stored messages \\Seen or move them; then record that it was told up to
    `through` (the batch's last UID), so a crash before this point is finished by the next poll."""
    crash_point("imap.before_flag")
    if uids:
        if mailbox.imap_processed_folder:
            if client.has_capability("MOVE"):
                client.move(uids, mailbox.imap_processed_folder)
            else:
                client.copy(uids, mailbox.imap_processed_folder)
                client.delete_messages(uids)
                crash_point("imap.before_expunge")
                client.uid_expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()
        else:
            client.add_flags(uids, [SEEN])
    if through is not None:
        Mailbox.objects.filter(pk=mailbox.pk, imap_done_uid__lt=through).update(imap_done_uid=through)


def _finish_after_crash(client: IMAPClient, mailbox: Mailbox) -> None:
    """A poll killed after its batch committed and before the server was told left messages stored but unflagged
    (or unmoved), below imap_last_uid: they would never be fetched again, so flag or move them now. An oversize
    message that could not be downloaded stays unread on purpose (its quarantine row says so)."""
    done, last = mailbox.imap_done_uid, mailbox.imap_last_uid
    if done >= last:
        return
    present = [u for u in client.search(["UID", f"{done + 1}:{last}"]) if done < u <= last]
    left_unread = set(
        InboundMail.objects.filter(
            mailbox=mailbox, imap_uid__in=present, quarantine__reason=QuarantineReason.OVERSIZE, quarantine__raw_file=""
        ).values_list("imap_uid", flat=True)
    )
    logger.warning("mailbox %s: finishing UIDs %s:%s after an interrupted poll", mailbox.pk, done + 1, last)
    _after_commit(client, mailbox, [u for u in present if u not in left_unread], through=last)


def mailbox_poll(
    mailbox: Mailbox, *, client: IMAPClient | None = None, batch_size: int = BATCH_SIZE, limit: int | None = None
) -> PollStats:
    """Poll one mailbox once. Never raises for a bad message; connection errors are recorded and re-raised."""
    stats = PollStats()
    own_client = client is None
    try:
        if client is None:  # own_client
            client = imap_connect(mailbox)
        info = client.select_folder(mailbox.imap_folder)
        uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        if mailbox.imap_uidvalidity != uidvalidity:
            if mailbox.imap_uidvalidity is not None:
                logger.warning("mailbox %s: UIDVALIDITY changed, re-reading the folder", mailbox.pk)
            mailbox.imap_uidvalidity = uidvalidity
            mailbox.imap_last_uid = mailbox.imap_done_uid = 0
            mailbox.save(update_fields=["imap_uidvalidity", "imap_last_uid", "imap_done_uid"])
        _finish_after_crash(client, mailbox)
        last = mailbox.imap_last_uid
        # "N:*" always matches the newest message, even when its UID is below N: filter again.
        uids = sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        if limit is not None:
            uids = uids[:limit]
        sizes = _sizes(client, uids)
        size_limit = inbound_limit()
        for chunk in _batches(uids, sizes, batch_size):
            whole = [uid for uid in chunk if sizes.get(uid, 0) <= size_limit]
            bodies = client.fetch(whole, ["BODY.PEEK[]"]) if whole else {}
            oversize = {
                uid: _download_oversize(client, uid, sizes[uid]) for uid in chunk if sizes.get(uid, 0) > size_limit
            }
            stats.fetched += len(bodies) + len(oversize)
            crash_point("imap.after_fetch")
            try:
                with autoresponses_batched():  # the batch's acknowledgements: one transaction after its commit
                    done = _ingest_batch(mailbox, chunk, bodies, stats, oversize)
            finally:
                for mail in oversize.values():
                    if mail is not None and mail.content is not None:
                        mail.content.close()
            # Committed: now the server may be told.
            _after_commit(client, mailbox, done, through=max(chunk))
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
            except Exception as exc:  # noqa: BLE001 - the poll is done; the connection is dropped either way
                logger.info("mailbox %s: logout failed: %r", mailbox.pk, exc)
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
