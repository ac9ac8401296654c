"""Background work of the feedback app. Tasks take ids, call a service, and are safe to run twice."""
from __future__ import annotations

from datetime import date, timedelta

from django_tasks import task


@task()
def close_the_loop(item_id: int, kind: str) -> dict:
    """Tell every contact in an item's evidence about its outcome (idempotent per item, contact, kind)."""
    from supportloop.feedback.services import close_the_loop_send

    return close_the_loop_send(item_id=item_id, kind=kind)


@task()
def send_weekly_digest(week_start: str | None = None) -> int:
    """Mail the weekly digest to product managers. `week_start` is an ISO date (a Monday) or None for last week."""
    from supportloop.feedback.services import weekly_digest_send

    return weekly_digest_send(week_start=date.fromisoformat(week_start) if week_start else None)


@task()
def refresh_ranking_stats() -> int:
    """Bring rollup MRR up to date with company changes (also done lazily before each ranking)."""
    from supportloop.feedback.rollups import stats_refresh_stale_mrr

    return stats_refresh_stale_mrr()


def digest_due(now) -> str | None:
    """The week whose digest is due at `now`: the latest week that ended before a Monday at
    SUPPORTLOOP_DIGEST_HOUR (workspace time zone) that has passed. Always a week: the claim makes it once."""
    from django.conf import settings
    from django.utils import timezone

    from supportloop.feedback.rollups import week_start

    local = timezone.localtime(now)
    monday = week_start(local.date())
    if local.date() == monday and local.hour < settings.SUPPORTLOOP_DIGEST_HOUR:
        monday -= timedelta(weeks=1)  # this Monday's digest is not due yet
    reported = monday - timedelta(weeks=1)
    return reported.isoformat()


def digest_enqueue(period: str) -> None:
    send_weekly_digest.enqueue(week_start=period)
