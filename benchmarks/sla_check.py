#!/usr/bin/env python
"""SLA check benchmark: the periodic warning/breach pass (automation.services.sla.sla_check_due) over a seeded
database, PostgreSQL by default (the 1M-ticket `sl_bench_1m` of benchmarks/run.py).

    python benchmarks/sla_check.py                                     # sl_bench_1m, 2,000 rows due per pass
    python benchmarks/sla_check.py --due 10000 --iterations 5
    python benchmarks/sla_check.py --database-url postgres://postgres@127.0.0.1:5432/sl_sla_bench --seed-tickets 2000

Bulk seeding does not compute SLA state (automation/sla_seeding.py says why), so on first run the script gives
every ticket an SLA row with one set-based INSERT ... SELECT (policy "Benchmark", the default 24/7 clock): active
tickets get a first-response due time spread over the next 30 days (next_check_at), solved and closed ones are
fulfilled (next_check_at NULL), as a live workspace looks. An empty database is migrated and bulk-seeded with
--seed-tickets tickets first.

Each iteration makes `--due` random active rows due (due and warning times in the past, nothing recorded yet),
then times one full pass at "now": it must find exactly those rows through the partial index on next_check_at,
record each breach once (conditional UPDATE) with its audit event, and nothing else. The figure to compare
with the issue's budget (the hourly time-rule pass over 1,000,000 tickets under 30 s) is the pass time; the
scheduler's "anything due?" probe and the EXPLAIN of the pass's query are printed too, to show that neither scans
the table.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsetup import ROOT, ensure_postgres_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sl_bench_1m"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--due", type=int, default=2000, help="rows made due before each pass")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument(
        "--seed-tickets", type=int, default=1_000_000, help="tickets to bulk-seed into an empty database"
    )
    return parser.parse_args()


def prepare(args) -> None:
    from django.core.management import call_command

    from supportloop.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    if not Ticket.objects.exists():
        print(f"seeding {args.seed_tickets} tickets (bulk, no hooks) ...")
        env = {
            "DATABASE_URL": args.database_url,
            "SECRET_KEY": "benchmark-only-secret",
            "PYTHONPATH": str(ROOT / "src"),
        }
        import os

        subprocess.run(
            [
                sys.executable,
                "-m",
                "supportloop",
                "seed",
                "--bulk",
                "--tickets",
                str(args.seed_tickets),
                "--admin-password",
                "bench-password-1",
                "--no-hooks",
            ],
            check=True,
            env={**os.environ, **env},
        )
    load_sla_rows()


def load_sla_rows() -> None:
    from django.db import connection

    from supportloop.automation.models import SlaPolicy, TicketSla
    from supportloop.automation.services.sla_config import sla_policy_create

    policy = SlaPolicy.objects.filter(name="Benchmark").first() or sla_policy_create(
        name="Benchmark",
        targets={p: {"first_response": 240, "resolution": 2400} for p in ("low", "normal", "high", "urgent")},
        business_hours=False,
        warn_before_minutes=30,
        actor=None,
    )
    from supportloop.tickets.models import Ticket

    if TicketSla.objects.count() >= Ticket.objects.count():
        return  # every ticket has its row (tickets created since the seeding got theirs from the listener)
    started = time.monotonic()
    sla, ticket = TicketSla._meta.db_table, "tickets_ticket"
    active = "('new','open','pending','on_hold')"
    # Spread over 30 days from now: id-derived, so the same database gets the same rows.
    due = "now() + ((t.id * 7919) %% 2592000) * interval '1 second'"
    if connection.vendor == "sqlite":
        due = "datetime('now', '+' || ((t.id * 7919) %% 2592000) || ' seconds')"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {sla} (ticket_id, policy_id, started_at, paused_seconds, next_response_met_count,
                next_response_breached_count, first_response_due_at, first_response_warn_at,
                first_response_fulfilled_at, next_check_at, updated_at)
            SELECT t.id, %s, t.created_at, 0, 0, 0,
                CASE WHEN t.status IN {active} THEN {due} END,
                NULL,
                CASE WHEN t.status IN {active} THEN NULL ELSE t.created_at END,
                CASE WHEN t.status IN {active} THEN {due} END,
                t.created_at
            FROM {ticket} t
            WHERE NOT EXISTS (SELECT 1 FROM {sla} s WHERE s.ticket_id = t.id)
            """,  # noqa: S608 - table names from the models; the only value is a parameter
            [policy.pk],
        )
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {sla}")
    print(f"loaded {TicketSla.objects.count()} SLA rows in {time.monotonic() - started:.1f}s")


def make_due(count: int, now) -> list[int]:
    from datetime import timedelta

    from supportloop.automation.models import TicketSla

    ids = list(
        TicketSla.objects.filter(first_response_fulfilled_at__isnull=True, first_response_due_at__isnull=False)
        .order_by("?")
        .values_list("ticket_id", flat=True)[:count]
    )
    TicketSla.objects.filter(ticket_id__in=ids).update(
        first_response_due_at=now - timedelta(minutes=5),
        first_response_warn_at=now - timedelta(minutes=35),
        first_response_warned_at=None,
        first_response_breached_at=None,
        next_check_at=now - timedelta(minutes=35),
    )
    return ids


def main() -> None:
    args = parse_args()
    if args.database_url.startswith("postgres"):
        ensure_postgres_database(args.database_url)
    setup_django(args.database_url)
    from django.db import connection
    from django.utils import timezone

    from supportloop.automation.models import TicketSla
    from supportloop.automation.services.sla import sla_check_due
    from supportloop.automation.sla_tasks import sla_check_due_period

    prepare(args)
    total = TicketSla.objects.count()
    print(f"{total} SLA rows; {args.due} made due per pass; {args.iterations} passes")
    passes, probes = [], []
    for _ in range(args.iterations):
        now = timezone.now()
        ids = make_due(args.due, now)
        started = time.perf_counter()
        assert sla_check_due_period(now) is not None
        probes.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        result = sla_check_due(now=now, emit=False)
        passes.append(time.perf_counter() - started)
        assert result.breaches == len(ids) and result.warnings == 0, result
        assert not TicketSla.objects.filter(next_check_at__lte=now).exists()
        assert sla_check_due(now=now, emit=False).breaches == 0  # a second pass acts on nothing
    if connection.vendor == "postgresql":
        query = TicketSla.objects.filter(next_check_at__lte=timezone.now()).order_by("next_check_at")[:500]
        print(query.explain())
    print()
    print("| case | rows | due per pass | median | max |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| scheduler probe (anything due?) | {total} | — | {statistics.median(probes):.2f} ms | {max(probes):.2f} ms |"
    )
    print(f"| warning/breach pass | {total} | {args.due} | {statistics.median(passes):.2f} s | {max(passes):.2f} s |")
    print(f"per due row: {1000 * statistics.median(passes) / max(args.due, 1):.2f} ms")


if __name__ == "__main__":
    main()
