"""Background work of the mail app. Tasks take ids and call services; each is safe to run twice."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus, default_task_backend, task

from supportloop.mail.services.outbound import (
    autoresponse_send,
    autoresponse_wants_retry,
    held_replies_due,
    message_deliver,
    message_held_until,
    retry_delay,
)

logger = logging.getLogger("supportloop.mail")


@task()
def message_send_task(message_id: int, attempt: int = 1) -> bool:
    """Send an agent reply; on failure re-enqueue itself with backoff until MAX_ATTEMPTS. A reply held for undo
    send waits: the task comes back at the end of the hold (backends that cannot schedule leave it to the
    scheduler's mail.held_replies job); a reply withdrawn meanwhile is gone and nothing is sent."""
    held_until = message_held_until(message_id=message_id)
    if held_until is not None:
        if default_task_backend.supports_defer:
            message_send_task.using(run_after=held_until).enqueue(message_id=message_id, attempt=attempt)
        return False
    again = message_deliver(message_id=message_id)
    if again:
        _later(message_send_task, attempt, message_id=message_id, attempt=attempt + 1)
    return not again


def _later(task_obj, failed_attempt: int, **kwargs) -> None:
    """Enqueue a task again after the backoff for its failed attempt (at once on backends that cannot
    schedule, such as the immediate one in tests)."""
    if default_task_backend.supports_defer:
        task_obj.using(run_after=timezone.now() + retry_delay(failed_attempt)).enqueue(**kwargs)
    else:
        task_obj.enqueue(**kwargs)


@task()
def autoresponse_send_task(ticket_id: int, attempt: int = 1) -> bool:
    """Send one acknowledgement; a failed attempt is scheduled again with backoff until MAX_ATTEMPTS."""
    row = autoresponse_send(ticket_id=ticket_id)
    if autoresponse_wants_retry(row):
        _later(autoresponse_send_task, attempt, ticket_id=ticket_id, attempt=attempt + 1)
    return row is not None and row.sent_at is not None


@task()
def autoresponses_send_task(ticket_ids: list[int], attempt: int = 1) -> int:
    """Acknowledge a poller batch's new tickets: one task row per batch instead of one per ticket.
    Each acknowledgement is sent at most once (autoresponse_send is idempotent), so running the task twice
    re-sends nothing; the ones that failed are scheduled again together, with backoff, until MAX_ATTEMPTS."""
    sent, again = 0, []
    for ticket_id in ticket_ids:
        try:
            row = autoresponse_send(ticket_id=ticket_id)
        except Exception:  # logged with its ticket; the rest of the batch still goes out
            logger.exception("acknowledgement of ticket %s failed", ticket_id)
            continue
        sent += row is not None and row.sent_at is not None
        if autoresponse_wants_retry(row):
            again.append(ticket_id)
    if again:
        _later(autoresponses_send_task, attempt, ticket_ids=again, attempt=attempt + 1)
    return sent


@task()
def mail_poll_task(mailbox_id: int | None = None) -> dict:
    """Poll one mailbox, or every active IMAP mailbox, once."""
    from supportloop.mail.imap import mailboxes_poll

    return {str(k): v.as_dict() for k, v in mailboxes_poll(mailbox_id=mailbox_id).items()}


def poll_due(now) -> str | None:
    """Scheduler: a poll of every active IMAP mailbox every SUPPORTLOOP_MAIL_POLL_SECONDS (the period is the
    start of the current interval), when there is a mailbox to poll."""
    from django.conf import settings

    from supportloop.mail.models import Mailbox

    if not Mailbox.objects.filter(is_active=True).exclude(imap_host="").exists() or _poll_waiting(now):
        return None
    seconds = max(10, settings.SUPPORTLOOP_MAIL_POLL_SECONDS)
    start = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(start, tz=UTC).isoformat(timespec="seconds")


def _poll_waiting(now) -> bool:
    """A poll queued or running in the database task backend in the last 10 minutes: another would only wait
    behind it (while the worker is down, polls would pile up). Older ones are taken as lost."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(mail_poll_task.get_backend(), DatabaseBackend):
        return False
    recent = now - timedelta(minutes=10)
    return DBTaskResult.objects.filter(
        Q(status=TaskResultStatus.READY, enqueued_at__gte=recent)
        | Q(status=TaskResultStatus.RUNNING, started_at__gte=recent),
        task_path=mail_poll_task.module_path,
    ).exists()


def poll_enqueue(period: str) -> None:
    mail_poll_task.enqueue()


def on_public_reply(message_id: int) -> None:
    """Listener registered with tickets.hooks: called after commit for every email-channel agent reply."""
    message_send_task.enqueue(message_id=message_id)


def held_replies_due_period(now) -> str | None:
    """Scheduler: only for task backends that cannot run a task later (the immediate one), send the replies
    whose undo-send hold has ended, once a minute. With the database backend the send task waits by itself."""
    if default_task_backend.supports_defer or not held_replies_due(now=now):
        return None
    return now.strftime("%Y-%m-%dT%H:%M")


def held_replies_enqueue(period: str) -> None:
    for message_id in held_replies_due(now=timezone.now()):
        message_send_task.enqueue(message_id=message_id)
