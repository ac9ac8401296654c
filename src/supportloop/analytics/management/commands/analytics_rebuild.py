"""`supportloop analytics_rebuild`: rebuild the analytics rollups (TicketFact, HourlyVolume, DailyDuration) from the
tickets, then VACUUM (ANALYZE) them on PostgreSQL."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from supportloop.analytics.rollups import analytics_rebuild, analytics_tables_vacuum


class Command(BaseCommand):
    help = "Rebuild the dashboards' rollups (per-ticket facts and hourly volume) from the tickets."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        result = analytics_rebuild()
        vacuumed = analytics_tables_vacuum()
        self.stdout.write(
            f"analytics rebuilt: {result['facts']} tickets, {result['buckets']} hourly buckets, "
            f"{result['durations']} duration counts, {result['business']} timed in business hours, "
            f"{result['reopened']} reopened{', tables vacuumed' if vacuumed else ''} "
            f"({time.monotonic() - started:.1f} s)"
        )
