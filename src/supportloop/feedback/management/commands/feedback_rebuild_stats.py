"""`supportloop feedback_rebuild_stats`: recompute every feedback rollup from the evidence (repair, bulk loads)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Recompute ItemStats and ItemWeek for every feedback item from its evidence."

    def handle(self, *args, **opts):
        from supportloop.feedback.rollups import stats_rebuild_all

        started = time.monotonic()
        count = stats_rebuild_all()
        self.stdout.write(f"Rebuilt the rollups of {count} items in {time.monotonic() - started:.1f}s.")
