#!/usr/bin/env python
"""Public feedback board benchmark: 10,000 public items, server time of /feedback/public/ measured in-process.

    python benchmarks/public_board.py --db postgres          # database sl_board_bench, loaded once
    python benchmarks/public_board.py --db sqlite            # var/bench_public_board.sqlite3
    python benchmarks/public_board.py --db postgres --reload --items 10000 --iterations 200

The database is created (PostgreSQL) and migrated by the script, then loaded in bulk (bulk_create): `--items`
public items and a tenth as many private ones, across the statuses, with their rollup rows (ItemStats: unique
customers and the 4-week trend, as the services keep them), two to four status-history steps each and
release notes on shipped items. No evidence rows: the board never reads evidence, only the rollups.

Each case is a GET through Django's whole stack with the test Client (middleware, language, template, headers;
no network, DEBUG off): 10 warm-up requests, then `--iterations` timed ones. Prints p50 and p95 wall time, the
median CPU time of this process per request (on SQLite that includes the database's work, on PostgreSQL not;
it is less inflated than wall time when other work loads the machine), SQL queries per request, the load
average before and after, and a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsetup import ensure_postgres_database, setup_django

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgres://postgres@127.0.0.1:5432/sl_board_bench"
SQLITE_PATH = ROOT / "var" / "bench_public_board.sqlite3"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--database-url", help=f"default: {PG_URL} or sqlite:///{SQLITE_PATH}")
    parser.add_argument("--items", type=int, default=10_000, help="public items")
    parser.add_argument("--iterations", type=int, default=200, help="timed requests per case")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--reload", action="store_true", help="drop the data and load it again")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


STATUS_MIX = [("planned", 20), ("in_progress", 10), ("shipped", 30), ("under_review", 20), ("new", 15), ("declined", 5)]
WORDS = [
    "export",
    "report",
    "dashboard",
    "invoice",
    "mobile",
    "calendar",
    "webhook",
    "filter",
    "search",
    "theme",
    "import",
    "sync",
    "slack",
    "sso",
    "audit",
    "bulk",
    "tag",
    "api",
    "alert",
    "chart",
    "email",
    "template",
    "macro",
    "language",
    "offline",
]


def load(args) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from supportloop.feedback.models import FeedbackItem, ItemStats, StatusChange
    from supportloop.feedback.rollups import current_week, feedback_settings
    from supportloop.tickets.models import ProductArea

    call_command("migrate", interactive=False, verbosity=0)
    if FeedbackItem.objects.exists() and not args.reload:
        print(f"Reusing the loaded database ({FeedbackItem.objects.filter(is_public=True).count()} public items).")
        return
    started = time.monotonic()
    rng = random.Random(args.seed)
    now = timezone.now()
    week = current_week()
    with transaction.atomic():
        FeedbackItem.objects.all().delete()
        areas = [
            ProductArea.objects.get_or_create(slug=f"board-area-{i}", defaults={"name": f"Area {i}", "position": i})[0]
            for i in range(8)
        ]
        statuses = [s for s, _ in STATUS_MIX]
        weights = [w for _, w in STATUS_MIX]
        total = args.items + args.items // 10
        items = []
        for i in range(total):
            status = rng.choices(statuses, weights)[0]
            created = now - timedelta(days=rng.uniform(0, 720))
            changed = created + (now - created) * rng.random()
            title = " ".join(rng.sample(WORDS, 4)).capitalize() + f" #{i}"
            items.append(
                FeedbackItem(
                    title=title,
                    kind=rng.choice(["feature_request", "improvement", "bug"]),
                    status=status,
                    is_public=i < args.items,
                    product_area=rng.choice(areas),
                    public_description=f"Public summary of {title}: " + " ".join(rng.choices(WORDS, k=30)),
                    problem="internal problem statement",
                    release_note=f"{title} is live." if status == "shipped" else "",
                    created_at=created,
                    updated_at=changed,
                    status_changed_at=changed,
                    shipped_at=changed if status == "shipped" else None,
                )
            )
        items = FeedbackItem.objects.bulk_create(items, batch_size=2000)
        stats, history = [], []
        for item in items:
            contacts = int(rng.paretovariate(1.2) * 3)
            stats.append(
                ItemStats(
                    item=item,
                    mentions=contacts * 2,
                    unique_contacts=contacts,
                    unique_companies=max(0, contacts - 1),
                    recent_4w=rng.randint(0, 40),
                    previous_4w=rng.randint(0, 40),
                    trend_week=week,
                    plans_computed=True,
                    windows_computed=True,
                )
            )
            steps = ["new", *rng.sample(["under_review", "planned", "in_progress"], rng.randint(0, 2))]
            if item.status not in steps:
                steps.append(item.status)
            span = item.status_changed_at - item.created_at
            for n, (before, after) in enumerate(zip(["", *steps], steps, strict=False)):
                history.append(
                    StatusChange(
                        item=item,
                        from_status=before,
                        to_status=after,
                        note="internal note",
                        created_at=item.created_at + span * (n / max(1, len(steps) - 1)),
                    )
                )
        ItemStats.objects.bulk_create(stats, batch_size=2000)
        StatusChange.objects.bulk_create(history, batch_size=5000)
        feedback_settings()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"Loaded {total} items ({args.items} public) in {time.monotonic() - started:.1f} s.")


def measure(args) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test import Client

    from supportloop.feedback.models import FeedbackItem

    shipped = FeedbackItem.objects.filter(is_public=True, status="shipped").order_by("-id").values("id").first()
    assert shipped, "no shipped public item"
    client = Client()
    item_url = client.get(f"/feedback/public/{shipped['id']}/")["Location"]
    cases = [
        ("list, trending (default)", "/feedback/public/", {}),
        ("list, most wanted", "/feedback/public/?sort=most_wanted", {}),
        ("list, recent", "/feedback/public/?sort=recent", {}),
        ("list, status planned, trending", "/feedback/public/?status=planned", {}),
        ("list, status shipped, most wanted, page 20", "/feedback/public/?status=shipped&sort=most_wanted&page=20", {}),
        ("list, recent, last page", "/feedback/public/?sort=recent&page=999", {}),
        ("item page (shipped, 3-4 history steps)", item_url, {}),
    ]
    etag = client.get("/feedback/public/")["ETag"]
    item_etag = client.get(item_url)["ETag"]
    cases += [
        ("list, revalidation (If-None-Match: 304)", "/feedback/public/", {"If-None-Match": etag}),
        ("item, revalidation (If-None-Match: 304)", item_url, {"If-None-Match": item_etag}),
    ]
    results = []
    for name, url, headers in cases:
        for _ in range(args.warmup):
            client.get(url, headers=headers)
        times, cpu = [], []
        for _ in range(args.iterations):
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        connection.force_debug_cursor = True
        reset_queries()
        response = client.get(url, headers=headers)
        queries = len(connection.queries)
        connection.force_debug_cursor = False
        times.sort()
        results.append(
            {
                "case": name,
                "status": response.status_code,
                "p50": statistics.median(times),
                "p95": times[int(len(times) * 0.95) - 1],
                "cpu": statistics.median(cpu),
                "queries": queries,
                "bytes": len(response.content),
            }
        )
        print(f"{name:48} {response.status_code}  p50 {results[-1]['p50']:6.2f} ms  p95 {results[-1]['p95']:6.2f} ms")
    return results


def main() -> None:
    args = parse_args()
    if args.db == "postgres":
        url = args.database_url or PG_URL
        ensure_postgres_database(url, reload=args.reload)
    else:
        SQLITE_PATH.parent.mkdir(exist_ok=True)
        url = args.database_url or f"sqlite:///{SQLITE_PATH}"
    setup_django(url)
    load(args)
    load_before = os.getloadavg()
    results = measure(args)
    load_after = os.getloadavg()
    print()
    print(f"{args.db}, {args.items:,} public items, {args.iterations} requests per case; load average before")
    print(f"{load_before[0]:.2f} / {load_before[1]:.2f}, after {load_after[0]:.2f} / {load_after[1]:.2f} (1 / 5 min)")
    print()
    print("| case | status | p50 ms | p95 ms | CPU ms (p50) | SQL queries | bytes |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['case']} | {r['status']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['cpu']:.1f} | {r['queries']} "
            f"| {r['bytes']:,} |"
        )


if __name__ == "__main__":
    main()
