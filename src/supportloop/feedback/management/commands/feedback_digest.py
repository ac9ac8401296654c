"""`supportloop feedback_digest`: mail the weekly feedback digest to product managers (run weekly from cron)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Mail the weekly feedback digest (default: last full week) to every active product manager."

    def add_arguments(self, parser):
        parser.add_argument("--week", default=None, help="any day of the week to report (ISO date)")
        parser.add_argument("--enqueue", action="store_true", help="queue it for the task worker instead")

    def handle(self, *args, **opts):
        try:
            week = date.fromisoformat(opts["week"]) if opts["week"] else None
        except ValueError:
            raise CommandError("--week must be an ISO date such as 2026-11-16.") from None
        if opts["enqueue"]:
            from supportloop.feedback.tasks import send_weekly_digest

            send_weekly_digest.enqueue(week_start=week.isoformat() if week else None)
            self.stdout.write("Digest queued.")
            return
        from supportloop.feedback.services import weekly_digest_send

        sent = weekly_digest_send(week_start=week)
        self.stdout.write(f"Digest mailed to {sent} product manager(s).")
