"""`supportloop scheduler [--once] [--interval SECONDS] [--at TIME]`: enqueue periodic jobs (mail polling, the
weekly digest) for the task worker. Run one next to `supportloop worker`; more than one is safe (each period is
claimed once, core/schedule.py). `--once --at 2026-12-07T09:00Z` checks as of that moment: to catch up a run
that was missed, or to fire the Monday digest in a test; claims still hold, so it never repeats a run."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from supportloop.core.schedule import jobs, scheduler_tick


class Command(BaseCommand):
    help = "Enqueue due periodic jobs for the task worker (loops every --interval seconds unless --once)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Check once and exit.")
        parser.add_argument("--interval", type=float, default=30.0, help="Seconds between checks (default 30).")
        parser.add_argument("--at", default=None, help="With --once: check as of this ISO time (with a zone).")

    def handle(self, *args, once=False, interval=30.0, at=None, **options):
        moment = None
        if at is not None:
            moment = parse_datetime(at.replace("Z", "+00:00"))
            if not once or moment is None or timezone.is_naive(moment):
                raise CommandError("--at needs --once and an ISO time with a zone, e.g. 2026-12-07T09:00Z.")
        self.stdout.write(f"Jobs: {', '.join(sorted(jobs)) or 'none'}")
        while True:
            close_old_connections()  # a database restart between ticks must not stop the scheduler for good
            for line in scheduler_tick(moment or timezone.now()):
                self.stdout.write(f"enqueued {line}")
            if once:
                break
            time.sleep(interval)
