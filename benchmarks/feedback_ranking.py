#!/usr/bin/env python
"""Feedback ranking benchmark: 10,000 items and 1,000,000 evidence rows on PostgreSQL, measured in-process.

    python benchmarks/feedback_ranking.py                       # loads sl_bench_feedback once, then measures
    python benchmarks/feedback_ranking.py --reload              # drop, recreate and load again
    python benchmarks/feedback_ranking.py --iterations 50 --items 10000 --evidence 1000000

The database (default postgres://postgres@127.0.0.1:5432/sl_bench_feedback) is created and migrated by the
script. Companies (20,000, plans free/starter/pro/enterprise with MRR), contacts (200,000), items (10,000)
and evidence (1,000,000; demand skewed so a few items are heard tens of thousands of times, two years of
history weighted to recent weeks) are loaded with COPY, then the rollups are rebuilt with
`feedback.rollups.stats_rebuild_all()` (the same code the services use) and the tables analysed.

Each case calls `feedback.selectors.feedback_ranking(...)` (what the API and the page call) and, for the
API case, the endpoint through Django's full stack. Prints median and p95 in ms and a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsetup import ensure_postgres_database, setup_django

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sl_bench_feedback"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--evidence", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--iterations", type=int, default=40, help="timed runs per case")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--reload", action="store_true", help="drop and load the database again")
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()


def _copy(cursor, model, columns: list[str], rows) -> None:
    """COPY rows into a model's table; NOT NULL columns not given get the field's default (models evolve)."""
    import json

    from django.db.models import NOT_PROVIDED

    extra, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.column in columns or field.null or field.default is NOT_PROVIDED:
            continue
        default = field.default() if callable(field.default) else field.default
        extra.append(field.column)
        values.append(json.dumps(default) if isinstance(default, (dict, list)) else default)
    sql = f"COPY {model._meta.db_table} ({', '.join(columns + extra)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(tuple(row) + tuple(values))


def load(args) -> None:
    from django.core.management import call_command
    from django.db import connection

    from supportloop.customers.models import Company, Contact
    from supportloop.feedback.models import Evidence, FeedbackItem
    from supportloop.feedback.rollups import stats_rebuild_all
    from supportloop.tickets.models import ProductArea, ProductFeature

    call_command("migrate", interactive=False, verbosity=0)
    if FeedbackItem.objects.exists():
        print(f"Reusing the loaded database ({FeedbackItem.objects.count()} items).")
        vacuum()
        return
    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    started = time.monotonic()
    areas = [ProductArea.objects.create(name=f"Area {i}", slug=f"area-{i}", position=i) for i in range(6)]
    features = [
        ProductFeature.objects.create(area=a, name=f"Feature {i}", slug=f"{a.slug}-f{i}")
        for a in areas
        for i in range(3)
    ]
    plans = rng.choices(["free", "starter", "pro", "enterprise"], [40, 30, 20, 10], k=args.companies)
    mrr_range = {"free": (0, 0), "starter": (50, 200), "pro": (300, 3000), "enterprise": (5000, 50000)}
    companies = [(plan, Decimal(rng.randint(*mrr_range[plan]))) for plan in plans]
    with connection.cursor() as c:
        raw = c.cursor
        _copy(
            raw,
            Company,
            ["name", "plan", "mrr", "attributes", "created_at", "updated_at"],
            ((f"Company {i}", plan, mrr, "{}", now, now) for i, (plan, mrr) in enumerate(companies)),
        )
        c.execute("SELECT min(id) FROM customers_company")
        first_company = c.fetchone()[0]
        contact_company = [
            first_company + rng.randrange(args.companies) if rng.random() < 0.85 else None for _ in range(args.contacts)
        ]
        _copy(
            raw,
            Contact,
            ["name", "company_id", "language", "attributes", "created_at", "updated_at"],
            ((f"Contact {i}", contact_company[i], "en", "{}", now, now) for i in range(args.contacts)),
        )
        c.execute("SELECT min(id) FROM customers_contact")
        first_contact = c.fetchone()[0]
        statuses = rng.choices(
            ["new", "under_review", "planned", "in_progress", "shipped", "declined"],
            [45, 20, 12, 8, 10, 5],
            k=args.items,
        )
        items = []
        for i in range(args.items):
            feature = rng.choice(features)
            created = now - timedelta(days=rng.uniform(0, 730))
            items.append(
                (
                    rng.choice(["feature_request", "bug", "improvement"]),
                    f"Item {i}",
                    "",
                    "",
                    feature.area_id,
                    feature.pk,
                    statuses[i],
                    rng.random() < 0.2,
                    "",
                    "",
                    created,
                    created,
                    created,
                    created if statuses[i] == "shipped" else None,
                )
            )
        _copy(
            raw,
            FeedbackItem,
            [
                "kind",
                "title",
                "problem",
                "proposed_solution",
                "product_area_id",
                "product_feature_id",
                "status",
                "is_public",
                "release_note",
                "decline_reason",
                "created_at",
                "updated_at",
                "status_changed_at",
                "shipped_at",
            ],
            items,
        )
        c.execute("SELECT min(id) FROM feedback_feedbackitem")
        first_item = c.fetchone()[0]
        print(f"  companies, contacts, items loaded ({time.monotonic() - started:.0f}s)")
        company_mrr = {first_company + i: companies[i] for i in range(args.companies)}
        importance = ["nice_to_have"] * 3 + ["important"] * 5 + ["blocker"]

        def evidence_rows():
            for _ in range(args.evidence):
                item = first_item + int(args.items * rng.random() ** 3)  # skewed demand
                contact_index = rng.randrange(args.contacts)
                company = contact_company[contact_index]
                plan, mrr = company_mrr[company] if company else ("", Decimal(0))
                heard = now - timedelta(days=730 * rng.random() ** 2)
                yield (
                    item,
                    first_contact + contact_index,
                    company,
                    plan,
                    mrr,
                    rng.choice(importance),
                    "bench",
                    "",
                    heard,
                )

        _copy(
            raw,
            Evidence,
            [
                "item_id",
                "contact_id",
                "company_id",
                "company_plan",
                "company_mrr",
                "importance",
                "source",
                "quote",
                "created_at",
            ],
            evidence_rows(),
        )
        print(f"  {args.evidence} evidence rows loaded ({time.monotonic() - started:.0f}s)")
        c.execute("ANALYZE")
    rebuilt_at = time.monotonic()
    stats_rebuild_all()
    print(f"  rollups rebuilt for {args.items} items in {time.monotonic() - rebuilt_at:.0f}s")
    vacuum()
    print(f"Loaded in {time.monotonic() - started:.0f}s")


def vacuum() -> None:
    """VACUUM (ANALYZE) the tables the ranking reads: what autovacuum does in production (the test server runs
    with autovacuum off). Sets the visibility map that index-only scans need; cheap when nothing changed."""
    from django.db import connection

    with connection.cursor() as c:
        for table in (
            "feedback_evidence",
            "feedback_itemstats",
            "feedback_itemplanstats",
            "feedback_itemweek",
            "feedback_feedbackitem",
            "customers_company",
        ):
            c.execute(f"VACUUM (ANALYZE) {table}")


def measure(fn, iterations: int, warmup: int) -> tuple[float, float, int]:
    for _ in range(warmup):
        fn()
    times = []
    result = None
    for _ in range(iterations):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    return statistics.median(times), p95, len(result) if hasattr(result, "__len__") else 0


def main():
    args = parse_args()
    ensure_postgres_database(args.database_url, reload=args.reload)
    setup_django(args.database_url)
    load(args)

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from supportloop.feedback.models import Evidence, FeedbackItem
    from supportloop.feedback.rollups import week_bounds_dt, week_starts
    from supportloop.feedback.selectors import feedback_ranking, feedback_ranking_count
    from supportloop.tickets.models import ProductArea

    area = ProductArea.objects.order_by("pk").first()
    now = timezone.now()

    def monday(weeks: int):
        """Midnight of the Monday that starts "the last N weeks" (what the ranking page asks for)."""
        return week_bounds_dt(week_starts(weeks=weeks)[0])

    counts = (FeedbackItem.objects.count(), Evidence.objects.count())
    cases = [
        ("rank all by score, top 50 (rollups)", lambda: feedback_ranking()),
        ("rank by unique companies, top 50", lambda: feedback_ranking(sort="unique_companies")),
        (
            "rank by MRR, kind=feature_request, status open",
            lambda: feedback_ranking(sort="mrr", kind="feature_request", status=["new", "under_review", "planned"]),
        ),
        ("rank by growth, one product area", lambda: feedback_ranking(sort="growth", product_area=area)),
        ("rank by score, page 10 (offset 450)", lambda: feedback_ranking(offset=450)),
        ("count for the pager", lambda: [feedback_ranking_count()]),
        ("plan filter: enterprise (per-plan rollups)", lambda: feedback_ranking(plan="enterprise")),
        (
            "plan filter: pro + enterprise by MRR (per-plan rollups)",
            lambda: feedback_ranking(plan=["pro", "enterprise"], sort="mrr"),
        ),
        ("plan filter: enterprise, one product area", lambda: feedback_ranking(plan="enterprise", product_area=area)),
        ("count for the pager, plan enterprise", lambda: [feedback_ranking_count(plan="enterprise")]),
        ("period filter: last 4 weeks from a Monday (week rollups)", lambda: feedback_ranking(since=monday(4))),
        (
            "period filter: last 12 weeks from a Monday, by MRR (week rollups)",
            lambda: feedback_ranking(since=monday(12), sort="mrr"),
        ),
        ("period filter: last 52 weeks from a Monday (week rollups)", lambda: feedback_ranking(since=monday(52))),
        (
            "period filter: last 4 weeks from a Monday, one product area (week rollups)",
            lambda: feedback_ranking(since=monday(4), product_area=area),
        ),
        ("count for the pager, last 12 weeks from a Monday", lambda: [feedback_ranking_count(since=monday(12))]),
        ("period filter: last 30 days (live SQL)", lambda: feedback_ranking(since=now - timedelta(days=30))),
        (
            "period filter: last 4 weeks, one product area (live SQL)",
            lambda: feedback_ranking(since=now - timedelta(weeks=4), product_area=area),
        ),
        ("period filter: last 7 days (live SQL)", lambda: feedback_ranking(since=now - timedelta(days=7))),
        (
            "plan + 90-day period (live SQL)",
            lambda: feedback_ranking(plan=["pro", "enterprise"], since=now - timedelta(days=90)),
        ),
        (
            "baseline: all-time live aggregation, no rollup",
            lambda: list(
                FeedbackItem.objects.annotate(m=Count("evidence"), c=Count("evidence__contact", distinct=True))
                .order_by("-c")
                .values("id", "m", "c")[:50]
            ),
        ),
    ]
    print(
        f"\n{counts[0]} items, {counts[1]} evidence rows, PostgreSQL "
        f"{connection.cursor().connection.info.server_version}, {os.cpu_count()} cores\n"
    )
    from supportloop.feedback.rollups import plan_stats_fill_missing, window_stats_fill_missing

    started = time.monotonic()
    filled = plan_stats_fill_missing()
    if filled:
        print(f"per-plan rollups computed for {filled} items in {time.monotonic() - started:.0f}s")
        vacuum()
    started = time.monotonic()
    filled = window_stats_fill_missing()
    if filled:
        print(f"week window figures computed for {filled} items in {time.monotonic() - started:.0f}s")
        vacuum()
    print(f"load average before measuring: {os.getloadavg()[0]:.1f}\n")
    print("| case | median ms | p95 ms | rows |")
    print("| --- | ---: | ---: | ---: |")
    for name, fn in cases:
        slow = "baseline" in name or "live SQL" in name
        iterations = max(5, args.iterations // 4) if slow else args.iterations
        median, p95, rows = measure(fn, iterations, 1 if slow else args.warmup)
        print(f"| {name} | {median:.1f} | {p95:.1f} | {rows} |", flush=True)
    # Server-side execution time of the default ranking statement (less sensitive to a loaded machine).
    from supportloop.feedback.selectors import ROW_FIELDS, _order, _rollup_queryset

    sql, params = _rollup_queryset().order_by(*_order("score", None)).values(*ROW_FIELDS)[:50].query.sql_with_params()
    runs = []
    with connection.cursor() as cursor:
        for _ in range(10):
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else plan
            runs.append(plan["Execution Time"])
    print(
        f"\nEXPLAIN ANALYZE of the default ranking statement: median {statistics.median(runs):.1f} ms "
        f"(min {min(runs):.1f}) over 10 runs; load average now {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
