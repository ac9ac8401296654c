"""Background work of the privacy app: the daily retention run (idempotent: a second run finds nothing due)."""

from __future__ import annotations

from django_tasks import task

from supportloop.privacy.services import retention_run


@task()
def retention_run_task() -> dict:
    return retention_run()


def retention_due(now) -> str | None:
    """Scheduler: the UTC date, once a day."""
    return now.date().isoformat()


def retention_enqueue(period: str) -> None:
    retention_run_task.enqueue()
