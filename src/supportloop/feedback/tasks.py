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
