"""Periodic jobs without cron: apps register jobs, `supportloop scheduler` wakes every half minute and
enqueues the ones that are due as tasks for the worker (django-tasks has no scheduler of its own).

A job says, for a moment, which period is due ("2026-W47" for a weekly job, "2026-11-23T10:31" for one a
minute, None when nothing is). Each period is claimed with a ScheduledRun row first, so several schedulers,
restarts and catch-up after downtime never enqueue it twice. Claims are scheduler bookkeeping (like the
counters), not state changes of the workspace: the audit events are written by the work itself. Claims of
frequent jobs are kept for a day. Apps register in AppConfig.ready(), as they do for tickets.hooks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from supportloop.core.models import ScheduledRun

logger = logging.getLogger("supportloop.schedule")


@dataclass(frozen=True)
class Job:
    name: str
    due: Callable[[datetime], str | None]  # the period due at this (aware) moment, or None
    enqueue: Callable[[str], None]  # hand the period's work to the task worker
    keep_claims_for: timedelta | None = None  # frequent jobs: forget older claims


jobs: dict[str, Job] = {}


def register(job: Job) -> None:
    jobs[job.name] = job


def _claim(job: Job, period: str, now: datetime) -> bool:
    try:
        with transaction.atomic():
            ScheduledRun.objects.create(job=job.name, period=period, created_at=now)
            return True
    except IntegrityError:
        return False  # another scheduler (or an earlier tick) has it


def scheduler_tick(now: datetime) -> list[str]:
    """Enqueue every job due at `now`; returns "job period" for each one enqueued. A failing job is logged
    and does not stop the others; its claim is released so the next tick tries again.

    The claim commits before the job is enqueued, outside any transaction: a backend that runs tasks at once
    (the immediate one) then runs them with their own transactions, as the worker would.
    """
    enqueued = []
    for job in list(jobs.values()):
        try:
            period = job.due(now)
            if period is None or not _claim(job, period, now):
                continue
            try:
                job.enqueue(period)
            except Exception:
                ScheduledRun.objects.filter(job=job.name, period=period).delete()
                raise
            if job.keep_claims_for is not None:
                # Measured from the real clock: a tick as of a later moment (`scheduler --once --at`) must not
                # forget the claims that running schedulers still rely on.
                horizon = min(now, timezone.now()) - job.keep_claims_for
                ScheduledRun.objects.filter(job=job.name, created_at__lt=horizon).delete()
            enqueued.append(f"{job.name} {period}")
        except Exception:  # logged; the other jobs still run
            logger.exception("scheduled job %s failed", job.name)
    return enqueued
