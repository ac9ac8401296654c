"""Every write of the mail app. See mailboxes.py, inbound.py and outbound.py."""

from supportloop.mail.services.inbound import (  # noqa: F401
    IngestResult,
    inbound_ingest,
    quarantine_release,
    quarantine_store,
)
from supportloop.mail.services.mailboxes import (  # noqa: F401
    mailbox_create,
    mailbox_rotate_inbound_token,
    mailbox_update,
    token_hash,
)
from supportloop.mail.services.outbound import autoresponse_send, message_deliver  # noqa: F401
