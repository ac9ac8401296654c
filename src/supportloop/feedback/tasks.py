"""Background work of the feedback app. Tasks take ids, call a service, and are safe to run twice."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from django_tasks import task

from supportloop.feedback.services import (
    close_the_loop_send,
    closing_notices_due_exist,
    closing_notices_next_attempt,
    closing_notices_send_due,
    weekly_digest_send,
)


@task()
def close_the_loop(item_id: int, kind: str) -> dict:
    """Tell every contact in an item's evidence about its outcome (idempotent per item, contact, kind).

    When attempts failed, the task comes back when the first of them is due (backends that can wait, such as
    the database one); otherwise, and when a worker dies, the scheduler's `feedback.closing_notices` job does.
    """
    counts = close_the_loop_send(item_id=item_id, kind=kind)
    due = closing_notices_next_attempt(item_id=item_id, kind=kind)
    if due is not None and close_the_loop.get_backend().supports_defer:
        close_the_loop.using(run_after=due).enqueue(item_id=item_id, kind=kind)
    return counts


@task()
def close_the_loop_due() -> dict:
    """Make every closing-the-loop attempt that is due (backoff passed, or the last attempt lost)."""
    return closing_notices_send_due()


def notices_due(now) -> str | None:
    """Scheduler: the current minute when some closing-the-loop notice waits for an attempt (and no run of
    close_the_loop_due already waits for the worker), else None."""
    if not closing_notices_due_exist(now=now) or _due_run_waiting(now):
        return None
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _due_run_waiting(now) -> bool:
    """A close_the_loop_due run queued in the last 10 minutes that the worker has not started: another would
    only wait behind it (while the worker is down, they would pile up). Older ones are taken as lost."""
    from django_tasks import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(close_the_loop_due.get_backend(), DatabaseBackend):
        return False
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.READY,
        enqueued_at__gte=now - timedelta(minutes=10),
        task_path=close_the_loop_due.module_path,
    ).exists()


def notices_enqueue(period: str) -> None:
    close_the_loop_due.enqueue()


@task()
def send_weekly_digest(week_start: str | None = None) -> int:
    """Mail the weekly digest to product managers. `week_start` is an ISO date (a Monday) or None for last week."""
    return weekly_digest_send(week_start=date.fromisoformat(week_start) if week_start else None)


# How long after Monday's digest hour the scheduler keeps running the week's digest (hourly), so mails that
# failed go out later and a scheduler that was down catches up; outside it nothing is due.
DIGEST_WINDOW = timedelta(days=3)


def digest_due(now) -> str | None:
    """The week whose digest is due at `now`, as "<Monday of that week>@<hour>": the week before the latest
    Monday, from SUPPORTLOOP_DIGEST_HOUR (workspace time zone) for DIGEST_WINDOW, once an hour. Each run
    sends only what has not gone out (DigestDelivery), so the later ones retry failed mails and cost
    nothing otherwise. Outside the window: None (a first start mid-month sends no old digest)."""
    from django.conf import settings
    from django.utils import timezone

    from supportloop.feedback.rollups import week_bounds_dt, week_start

    local = timezone.localtime(now)
    opens = week_bounds_dt(week_start(local.date())) + timedelta(hours=settings.SUPPORTLOOP_DIGEST_HOUR)
    if not opens <= now < opens + DIGEST_WINDOW:
        return None
    reported = week_start(local.date()) - timedelta(weeks=1)
    return f"{reported.isoformat()}@{local:%Y-%m-%dT%H}"


def digest_enqueue(period: str) -> None:
    send_weekly_digest.enqueue(week_start=period.split("@")[0])
