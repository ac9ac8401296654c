"""Background work of the tickets app. Tasks take ids (or nothing), call a service, and are safe to run twice."""

from __future__ import annotations

from datetime import UTC, datetime

from django_tasks import task

from supportloop.tickets.services.snooze import tickets_wake_due


@task()
def wake_snoozed() -> int:
    """Wake every snoozed ticket whose time has come; returns how many woke."""
    return tickets_wake_due()


def wake_due(now: datetime) -> str | None:
    """Scheduler: the current minute when a snoozed ticket is due (one index probe on tickets_snoozed_idx)."""
    from supportloop.tickets.models import Ticket

    if not Ticket.objects.filter(snoozed_until__isnull=False, snoozed_until__lte=now).exists():
        return None
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def wake_enqueue(period: str) -> None:
    wake_snoozed.enqueue()
