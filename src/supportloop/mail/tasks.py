"""Background work of the mail app. Tasks take ids and call services; each is safe to run twice."""
from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks import default_task_backend, task

from supportloop.mail.services.outbound import autoresponse_send, message_deliver, retry_delay

logger = logging.getLogger("supportloop.mail")


@task()
def message_send_task(message_id: int, attempt: int = 1) -> bool:
    """Send an agent reply; on failure re-enqueue itself with backoff until MAX_ATTEMPTS."""
    again = message_deliver(message_id=message_id)
    if again:
        if default_task_backend.supports_defer:
            message_send_task.using(run_after=timezone.now() + retry_delay(attempt)).enqueue(
                message_id=message_id, attempt=attempt + 1)
        else:  # backends without scheduling (the immediate one in tests) retry at once
            message_send_task.enqueue(message_id=message_id, attempt=attempt + 1)
    return not again


@task()
def autoresponse_send_task(ticket_id: int) -> bool:
    return autoresponse_send(ticket_id=ticket_id) is not None


@task()
def autoresponses_send_task(ticket_ids: list[int]) -> int:
    """Acknowledge a poller batch's new tickets: one task row per batch instead of one per ticket.
    Each acknowledgement is sent at most once (autoresponse_send is idempotent), so a retry of the whole
    task re-sends nothing; one that fails is recorded on its row and does not stop the others."""
    sent = 0
    for ticket_id in ticket_ids:
        try:
            sent += autoresponse_send(ticket_id=ticket_id) is not None
        except Exception:  # noqa: BLE001 - logged with its ticket; the rest of the batch still goes out
            logger.exception("acknowledgement of ticket %s failed", ticket_id)
    return sent


@task()
def mail_poll_task(mailbox_id: int | None = None) -> dict:
    """Poll one mailbox, or every active IMAP mailbox, once."""
    from supportloop.mail.imap import mailboxes_poll

    return {str(k): v.as_dict() for k, v in mailboxes_poll(mailbox_id=mailbox_id).items()}


def on_public_reply(message_id: int) -> None:
    """Listener registered with tickets.hooks: called after commit for every email-channel agent reply."""
    message_send_task.enqueue(message_id=message_id)
