"""Every write of the mail app. See mailboxes.py, inbound.py and outbound.py."""

from supportloop.mail.services.inbound import (
    IngestResult,
    inbound_ingest,
    quarantine_release,
    quarantine_store,
)
from supportloop.mail.services.mailboxes import (
    mailbox_create,
    mailbox_rotate_inbound_token,
    mailbox_update,
    token_hash,
)
from supportloop.mail.services.outbound import autoresponse_send, message_deliver

# The names this package re-exports (mypy's no-implicit-reexport, ruff's F401 read it).
__all__ = [
    "IngestResult",
    "autoresponse_send",
    "inbound_ingest",
    "mailbox_create",
    "mailbox_rotate_inbound_token",
    "mailbox_update",
    "message_deliver",
    "quarantine_release",
    "quarantine_store",
    "token_hash",
]
