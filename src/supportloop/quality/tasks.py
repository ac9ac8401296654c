"""Background work of the quality app: the weekly sample. Tasks take plain values, call a service, and are safe to
run twice (SampleRun is unique per week)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import task

from supportloop.quality.services import sample_week, week_label, week_parse


@task()
def sample_reviews(week: str) -> int:
    """Sample `week`'s solved tickets for review; returns how many reviews the run assigned."""
    run = sample_week(week=week)
    return run.random_count + run.bad_csat_count


def sample_due(now: datetime) -> str | None:
    """Scheduler: one period per ISO week (the week that has just started); its work samples the week before."""
    return week_label(timezone.localdate(now))


def sample_enqueue(period: str) -> None:
    sample_reviews.enqueue(week=previous_week_of(period))


def previous_week_of(period: str) -> str:
    return week_label(week_parse(period) - timedelta(days=7))


def connect() -> None:
    from supportloop.core.jobs import job_register
    from supportloop.core.schedule import Job, register

    job_register("quality.sample_reviews", sample_reviews)
    register(Job(name="quality.weekly_sample", due=sample_due, enqueue=sample_enqueue))
