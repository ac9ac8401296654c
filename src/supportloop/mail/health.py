"""Readiness checks of the mail app, registered into core.health from MailConfig.ready()."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from supportloop.core.health import Health
from supportloop.mail import selectors


def check_mail_poll() -> Health:
    """Every active IMAP mailbox had a successful poll within SUPPORTLOOP_HEALTH_POLL_MAX_AGE_SECONDS (a new
    mailbox counts from its creation). Fails when the poller or scheduler is not running, or the server refuses."""
    boxes = selectors.mailbox_poll_states()
    if not boxes:
        return Health("skipped", {"reason": "no active IMAP mailbox"})
    now = timezone.now()
    limit = settings.SUPPORTLOOP_HEALTH_POLL_MAX_AGE_SECONDS
    detail, stale = {}, False
    for box in boxes:
        age = (now - (box["last_poll_ok_at"] or box["created_at"])).total_seconds()
        stale |= age > limit
        detail[str(box["id"])] = {
            "last_success": box["last_poll_ok_at"].isoformat() if box["last_poll_ok_at"] else None,
            "seconds_since_success": round(age),
            "last_poll_failed": bool(box["last_poll_error"]),
        }
    return Health("fail" if stale else "ok", {"limit_seconds": limit, "mailboxes": detail})


def check_quarantine() -> Health:
    """Quarantined mail in the last 24 hours above SUPPORTLOOP_HEALTH_QUARANTINE_MAX_24H (0: no limit): a bounce
    storm, a mail loop or a parser that refuses what it should read."""
    count = selectors.quarantine_count_since(since=timezone.now() - timedelta(hours=24))
    limit = settings.SUPPORTLOOP_HEALTH_QUARANTINE_MAX_24H
    return Health("fail" if limit and count > limit else "ok", {"last_24h": count, "limit": limit})
