"""`supportloop scheduler [--once] [--interval SECONDS]`: enqueue periodic jobs (mail polling, the weekly
digest) for the task worker. Run one next to `supportloop worker`; more than one is safe."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from supportloop.core.schedule import jobs, scheduler_tick


class Command(BaseCommand):
    help = "Enqueue due periodic jobs for the task worker (loops every --interval seconds unless --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once and exit.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks (default 30).")

    def handle(self, *args, once=False, interval=30.0, **options):
        self.stdout.write(f"Jobs: {', '.join(sorted(jobs)) or 'none'}")
        while True:
            close_old_connections()  # a database restart between ticks must not stop the scheduler for good
            for line in scheduler_tick(timezone.now()):
                self.stdout.write(f"enqueued {line}")
            if once:
                break
            time.sleep(interval)
