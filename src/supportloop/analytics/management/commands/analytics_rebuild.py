"""`supportloop analytics_rebuild`: rebuild the analytics rollups (TicketFact, HourlyVolume, DailyDuration,
RequesterLastTicket, the macro-use and survey-answer counts) from the tickets, macro uses and survey responses,
then VACUUM (ANALYZE) them on PostgreSQL."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from supportloop.analytics.rollups import analytics_rebuild, analytics_tables_vacuum


class Command(BaseCommand):
    help = "Rebuild the dashboards' rollups (facts, hourly and daily counts) from the tickets, macro uses and answers."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        result = analytics_rebuild()
        vacuumed = analytics_tables_vacuum()
        self.stdout.write(
            f"analytics rebuilt: {result['facts']} tickets, {result['buckets']} hourly buckets, "
            f"{result['durations']} duration counts, {result['requesters']} requesters' last tickets, "
            f"{result['macro_buckets']} macro-use counts, {result['survey_buckets']} survey counts, "
            f"{result['business']} timed in business hours, "
            f"{result['reopened']} reopened{', tables vacuumed' if vacuumed else ''} "
            f"({time.monotonic() - started:.1f} s)"
        )
