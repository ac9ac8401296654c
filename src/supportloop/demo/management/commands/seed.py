"""`supportloop seed`: build a realistic demo workspace, deterministic with --seed.

What it makes: staff (admin, lead, agent, pm as product manager, viewer and eight more agents, all with the
password given by --admin-password), five teams, a two-level product taxonomy (areas -> features), contact
reasons including the catch-alls "General" and "Other", macros with placeholders, companies on the free,
starter, pro and enterprise plans with MRR and email domains, contacts writing in English, Simplified
Chinese, Russian, German, Spanish, Japanese and Arabic, and --tickets tickets over the last 90 days (weekday
and hour-of-day arrival patterns) with replies, notes, tags, features, reasons, solves and closes.

Normal mode replays every ticket through the ticket services (audit events included). Bulk mode (--bulk,
automatic above 20,000 tickets) builds the workspace through the services and then loads tickets, messages
and tags as rows: COPY on PostgreSQL, executemany on SQLite, secondary indexes built after the load.

Extension hook: after the core data, for every installed app `supportloop.<app>` that has a module
`supportloop.<app>.seeding` with a function `seed`, the command calls
`seed(rng=random.Random(f"{seed}:{app_label}"), size=<number of tickets>)` in app order. The hook reads what
it needs from the database (tickets, contacts, users) and writes through its app's services; it must be
deterministic for a given rng. Skip hooks with --no-hooks.
"""

from __future__ import annotations

import importlib
import importlib.util
import random
import time
from datetime import UTC, datetime

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone

from supportloop.accounts.models import User
from supportloop.demo.bulk import seed_tickets_bulk
from supportloop.demo.workspace import (
    build_workspace,
    planner_for,
    random_password,
    seed_tickets_normal,
)

BULK_THRESHOLD = 20_000


def run_hooks(*, seed: int, size: int, stdout=None) -> list[str]:
    """Call `seed(rng=..., size=...)` in every installed supportloop app that has a `seeding` module."""
    called = []
    for config in apps.get_app_configs():
        if not config.name.startswith("supportloop.") or config.name in {"supportloop.core", "supportloop.demo"}:
            continue
        module_name = f"{config.name}.seeding"
        if importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        hook = getattr(module, "seed", None)
        if not callable(hook):
            continue
        started = time.monotonic()
        hook(rng=random.Random(f"{seed}:{config.label}"), size=size)
        called.append(config.label)
        if stdout is not None:
            stdout.write(f"  {module_name}.seed: {time.monotonic() - started:.1f}s")
    return called


class Command(BaseCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=42, help="random seed (same seed, same workspace)")
        parser.add_argument("--tickets", type=int, default=1500, help="number of tickets (default 1500)")
        parser.add_argument(
            "--admin-password",
            default=None,
            help="password of every seeded staff login (random and printed when omitted)",
        )
        parser.add_argument(
            "--bulk", action="store_true", help=f"load tickets as rows (automatic above {BULK_THRESHOLD} tickets)"
        )
        parser.add_argument(
            "--reset", action="store_true", help="empty the database first (flush), then seed; destroys all data"
        )
        parser.add_argument("--no-hooks", action="store_true", help="do not call the apps' seeding hooks")
        parser.add_argument(
            "--now", default=None, help="ISO time taken as 'now' (for reproducible data across days); default: now"
        )

    def handle(self, *args, **opts):
        # With DEBUG on (make demo), Django logs every query in memory and on SQLite runs an extra QUOTE()
        # query per statement to do so: about a third of the seeding time. Seeding does not need the log.
        with override_settings(DEBUG=False):
            self._seed(opts)

    def _seed(self, opts):
        self.verbosity = opts["verbosity"]
        count = opts["tickets"]
        if count < 0:
            raise CommandError("--tickets must be 0 or more.")
        if opts["reset"]:
            call_command("flush", interactive=False, verbosity=0)
        elif User.objects.filter(username="admin").exists():
            raise CommandError(
                "This database already has a workspace (user 'admin' exists). Use --reset to wipe it and seed again."
            )
        password = opts["admin_password"] or random_password()
        now = datetime.fromisoformat(opts["now"]) if opts["now"] else timezone.now()
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        bulk = opts["bulk"] or count > BULK_THRESHOLD
        rng = random.Random(opts["seed"])
        started = time.monotonic()
        ws = build_workspace(rng=rng, tickets=count, password=password, bulk=bulk, now=now)
        self.stdout.write(
            f"Workspace: {len(ws.users)} staff, {len(ws.teams)} teams, {len(ws.features)} features, "
            f"{len(ws.contacts)} contacts ({time.monotonic() - started:.1f}s)"
        )
        planner = planner_for(ws, rng, now)
        if bulk:

            def progress(done, messages):
                if self.verbosity >= 1 and (done % 100_000 == 0 or done == count):
                    self.stdout.write(f"  {done} tickets, {messages} messages ({time.monotonic() - started:.0f}s)")

            timings = seed_tickets_bulk(ws, planner, count, progress=progress)
            self.stdout.write(
                f"Bulk-loaded {count} tickets and {timings['messages']} messages: load "
                f"{timings['plan_and_load']:.1f}s, indexes {timings['indexes_and_analyze']:.1f}s"
            )
        else:

            def progress(done):  # called every 500 tickets: the demo's first run takes a minute
                if self.verbosity >= 1:
                    self.stdout.write(f"  {done}/{count} tickets ({time.monotonic() - started:.0f}s)")

            seed_tickets_normal(ws, planner, count, progress=progress)
            self.stdout.write(f"Seeded {count} tickets through the services")
        if not opts["no_hooks"]:
            run_hooks(seed=opts["seed"], size=count, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.1f}s."))
        if not opts["admin_password"]:
            self.stdout.write(f"Staff logins (admin, lead, agent, pm, viewer, ...) use the password: {password}")
