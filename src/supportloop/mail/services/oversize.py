"""Mail over SUPPORTLOOP_MAX_INBOUND_BYTES: kept whole in file storage, quarantined with its headers only.

Such a message never becomes a ticket on its own and its sender gets no automatic mail. The quarantine row
holds the header block (so admins can see who sent what, and the ledger knows its Message-ID) and points to
the whole message in Django's file storage, never in a database row. An admin can download it or release it
(then it is ingested like any mail). The IMAP poller streams such a message to a temporary file instead of
holding it in memory (see imap.py); the raw endpoint and provider webhooks already hold it in memory and
hand over the bytes.

HTTP bodies are read up to http_ceiling() (SUPPORTLOOP_MAIL_MAX_MESSAGE_BYTES, by default twice the inbound
limit); above that the request is refused with 413, so the sending server keeps the message and tells its
sender.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction

from supportloop.mail.choices import InboundOutcome, InboundSource, QuarantineReason
from supportloop.mail.models import InboundMail, Mailbox, Quarantine
from supportloop.mail.parsing import parse_message
from supportloop.mail.services.dedupe import Prior, prior_of
from supportloop.mail.services.inbound import (
    IngestContext,
    IngestResult,
    _ledger,
    _mailbox_for,
    _skip,
    quarantine_store,
)

logger = logging.getLogger("supportloop.mail")

HEADER_BLOCK_MAX = 256 * 1024  # a header block longer than this is cut (a sane one is a few kB)
_END_OF_HEADERS = re.compile(rb"\r?\n\r?\n")


def inbound_limit() -> int:
    """The largest message that is ingested; larger ones are quarantined as oversize."""
    return settings.SUPPORTLOOP_MAX_INBOUND_BYTES


def http_ceiling() -> int:
    """The largest request body the raw endpoint and provider webhooks read at all (413 beyond). By default
    twice the inbound limit; set lower than it, HTTP mail between the two is refused rather than quarantined."""
    return settings.SUPPORTLOOP_MAIL_MAX_MESSAGE_BYTES


def header_block(data: bytes) -> bytes:
    """A message's headers: everything before the first empty line (at most HEADER_BLOCK_MAX bytes)."""
    end = _END_OF_HEADERS.search(data, 0, HEADER_BLOCK_MAX)
    return data[: end.start()] + b"\r\n" if end else data[:HEADER_BLOCK_MAX]


@dataclass
class OversizeMail:
    """A message too large to ingest, as far as we have it."""

    headers: bytes  # its header block
    size: int  # the whole message, in bytes
    sha256: str  # hex digest of the whole message ("" when it could not be read whole)
    content: File[bytes] | None  # the whole message, to keep; None when it could not be downloaded
    error: str = ""  # why it could not be downloaded (IMAP), else ""


def oversize_from_bytes(raw: bytes, *, size: int | None = None) -> OversizeMail:
    """`size`: the message's size as received, when `raw` is a re-serialised copy (a provider webhook's)."""
    return OversizeMail(
        headers=header_block(raw),
        size=len(raw) if size is None else size,
        sha256=hashlib.sha256(raw).hexdigest(),
        content=ContentFile(raw),
    )


def inbound_oversize(
    *, mail: OversizeMail, mailbox: Mailbox | None = None, source: str = InboundSource.IMAP, imap_uid: int | None = None
) -> IngestResult:
    """Quarantine a message over the inbound limit: its headers in the row, the whole message in file
    storage. Idempotent like inbound_ingest (by Message-ID, else the digest of the whole message)."""
    try:
        parsed = parse_message(mail.headers)
    except Exception:  # noqa: BLE001 - headers nobody can read: still kept, with the reason
        parsed = None
    if mailbox is None and parsed is not None:
        mailbox = _mailbox_for(parsed)
    sender = (parsed.from_email or (parsed.reply_to[0] if parsed.reply_to else "")) if parsed is not None else ""
    subject = parsed.subject if parsed is not None else ""
    # Judged like any mail (services/dedupe.py), on the header block: a redelivery is skipped with a ledger row,
    # another message reusing the Message-ID is kept apart.
    if parsed is not None:
        prior = prior_of(parsed)
    else:
        key = "sha256:" + mail.sha256 if mail.sha256 else "oversize:" + uuid.uuid4().hex
        seen = InboundMail.objects.filter(message_key=key).exclude(outcome=InboundOutcome.DUPLICATE).exists()
        prior = (
            Prior(key, "redelivery", "redelivery: the same unreadable message was quarantined before")
            if seen
            else Prior(key)
        )
    ctx: IngestContext = {
        "mailbox": mailbox,
        "source": source,
        "imap_uid": imap_uid,
        "sender": sender,
        "subject": subject,
    }
    if prior.skip:
        return _skip(prior, ctx, parsed)
    key = prior.key
    limit = inbound_limit()
    if mail.content is not None:
        detail = (
            f"{mail.size:,} bytes, over the limit of {limit:,} bytes (SUPPORTLOOP_MAX_INBOUND_BYTES). "
            "Only the headers are shown; the whole message is in file storage: download it, or release "
            "it to ingest it anyway."
        )
    else:
        detail = (
            f"{mail.size:,} bytes, over the limit of {limit:,} bytes (SUPPORTLOOP_MAX_INBOUND_BYTES), and it "
            f"could not be downloaded ({mail.error}). It was left unread on the IMAP server (UID {imap_uid})."
        )
    stored: list[Quarantine] = []
    try:
        with transaction.atomic():
            row = quarantine_store(
                raw=mail.headers,
                reason=QuarantineReason.OVERSIZE,
                detail=detail,
                mailbox=mailbox,
                source=source,
                message_key=key,
                sender=sender,
                subject=subject,
                raw_file=mail.content,
                size=mail.size,
            )
            stored.append(row)
            _ledger(
                key,
                mailbox=mailbox,
                source=source,
                imap_uid=imap_uid,
                sender=sender,
                subject=subject,
                outcome=InboundOutcome.QUARANTINED,
                parsed=parsed,
                note=prior.note,
                quarantine=row,
            )
    except Exception as exc:
        # Rolled back: the file written for it must not stay behind.
        if stored and stored[0].raw_file:
            stored[0].raw_file.delete(save=False)
        if (
            isinstance(exc, IntegrityError)
            and InboundMail.objects.filter(message_key=key).exclude(outcome=InboundOutcome.DUPLICATE).exists()
        ):
            return IngestResult("duplicate", key)  # another poller stored it a moment earlier
        raise
    logger.info("mail %s quarantined: oversize, %s bytes", key, mail.size)
    return IngestResult("quarantined", key, quarantine_id=row.pk, reason=QuarantineReason.OVERSIZE)


def oversize_already_ingested(headers: bytes) -> bool:
    """Whether a message with these headers is stored already (by its Message-ID): the IMAP poller then
    skips downloading it again (after a UIDVALIDITY change, say)."""
    try:
        parsed = parse_message(headers)
    except Exception:  # noqa: BLE001
        return False
    return bool(parsed.message_id) and bool(prior_of(parsed).skip)


def quarantine_raw(quarantine: Quarantine) -> bytes:
    """The whole message of a quarantine row: from file storage for oversize mail, else the row itself."""
    if quarantine.raw_file:
        with quarantine.raw_file.open("rb") as fh:
            raw: bytes = fh.read()
            return raw
    return bytes(quarantine.raw)
