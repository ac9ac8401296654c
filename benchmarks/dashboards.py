#!/usr/bin/env python
"""Dashboards benchmark (issue 15): every Reports page and the dashboards API over the last 30 days, at 1M tickets.

    python benchmarks/dashboards.py --size 1m                       # seeds sl_bench_1m if empty (bulk, no hooks)
    python benchmarks/dashboards.py --size small --db sqlite        # smoke run: 3,000 tickets, var/bench_small.sqlite3
    python benchmarks/dashboards.py --size 1m --iterations 100 --only volume,satisfaction

The database is seeded as benchmarks/run.py does (`supportloop seed --bulk --no-hooks`), whose bulk loader ends with
`analytics_rebuild()` (timed here again as `rebuild_seconds`, then VACUUM (ANALYZE) of the rollups as the command
does); when the database holds no survey responses, the script first adds some (one CSAT per 5th solved ticket of
the last 120 days, one NPS per 50th contact, as rows) and macro applications (one per 4th ticket of the last 120
days), so the satisfaction and macro pages have work to do and the rebuild counts the uses.
Each case is a lead's GET through Django's full stack (session auth, the view, the selectors, pygal, templates);
DEBUG is off. Prints median / p95 in ms and the queries of one request; writes benchmarks/results/dashboards-*.json.
The budget: under 300 ms per dashboard at 1,000,000 tickets on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsetup import ensure_postgres_database, setup_django

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"small": 3_000, "100k": 100_000, "1m": 1_000_000}
CASES = {
    "volume": "/reports/volume/?days=30",
    "volume_filtered": "/reports/volume/?days=30&channel=email",
    "times": "/reports/times/?days=30",
    "satisfaction": "/reports/satisfaction/?days=30&window=rated",
    "satisfaction_solved": "/reports/satisfaction/?days=30&window=solved",
    "macros": "/reports/macros/?days=30",
    "tag_quality": "/reports/tag_quality/?days=30",
    "api_volume": "/api/v1/analytics/dashboards/volume?window=rated",
    "csv_backlog": "/reports/volume/?days=90&csv=backlog",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--size", choices=list(SIZES), default="1m")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--only", default="")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument(
        "--keep-rollups", action="store_true", help="measure without rebuilding the rollups first (they exist)"
    )
    parser.add_argument("--timings", action="store_true", help="print every case's sorted timings")
    return parser.parse_args()


def ensure_data(args) -> dict:
    from django.core.management import call_command

    from supportloop.analytics.rollups import analytics_rebuild, analytics_tables_vacuum
    from supportloop.tickets.models import Ticket

    call_command("migrate", interactive=False, verbosity=0)
    info: dict = {}
    if args.reseed or not Ticket.objects.exists():
        started = time.monotonic()
        call_command(
            "seed", tickets=SIZES[args.size], seed=42, admin_password="bench", bulk=True, reset=True, no_hooks=True
        )
        info["seed_seconds"] = round(time.monotonic() - started, 1)
    if args.keep_rollups and not info:
        info["tickets"] = Ticket.objects.count()
        return info
    # The survey responses and macro uses first: the rebuild counts the uses (the Macros page's daily rollup).
    info.update(add_surveys_and_macros())
    started = time.monotonic()
    info["rebuild"] = analytics_rebuild()
    info["rebuild_seconds"] = round(time.monotonic() - started, 1)
    started = time.monotonic()
    info["vacuumed"] = analytics_tables_vacuum()  # as `supportloop analytics_rebuild` does
    info["vacuum_seconds"] = round(time.monotonic() - started, 1)
    info["tickets"] = Ticket.objects.count()
    from django.db import connection

    if connection.vendor == "postgresql":
        # Flush what the rebuild wrote now, so the timed requests do not share the disk with a spread checkpoint.
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    return info


def add_surveys_and_macros() -> dict:
    from django.db import connection
    from django.utils import timezone

    from supportloop.customers.models import Contact
    from supportloop.surveys.models import SurveyResponse, SurveySend
    from supportloop.tickets.models import Macro, MacroApplication, Ticket

    if SurveyResponse.objects.exists():
        return {"responses": SurveyResponse.objects.count(), "macro_applications": MacroApplication.objects.count()}
    rng = random.Random(42)
    since = timezone.now() - timedelta(days=120)
    solved = list(
        Ticket.objects.filter(solved_at__gte=since)
        .order_by("pk")
        .values_list(
            "pk", "requester_id", "assignee_id", "team_id", "product_area_id", "contact_reason_id", "solved_at"
        )[::5]
    )
    sends, responses = [], []
    for pk, contact, agent, team, area, reason, solved_at in solved:
        rated = solved_at + timedelta(hours=rng.uniform(1, 72))
        good = rng.random() < 0.85
        sends.append(SurveySend(kind="csat", ticket_id=pk, contact_id=contact, status="sent", expires_at=rated))
        responses.append(
            dict(
                kind="csat",
                score=int(good),
                sentiment="good" if good else "bad",
                ticket_id=pk,
                contact_id=contact,
                agent_id=agent,
                team_id=team,
                product_area_id=area,
                contact_reason_id=reason,
                rated_at=rated,
                solved_at=solved_at,
                comment=rng.choice(["", "", "Thanks!", "Too slow."]),
            )
        )
    for contact in Contact.objects.order_by("pk").values_list("pk", flat=True)[::50]:
        score = rng.choice(range(11))
        rated = timezone.now() - timedelta(days=rng.uniform(0, 120))
        sends.append(SurveySend(kind="nps", contact_id=contact, status="sent", expires_at=rated))
        responses.append(
            dict(
                kind="nps",
                score=score,
                sentiment="good" if score >= 9 else "neutral" if score >= 7 else "bad",
                contact_id=contact,
                rated_at=rated,
                comment="",
            )
        )
    created = SurveySend.objects.bulk_create(sends, batch_size=5000)
    SurveyResponse.objects.bulk_create(
        [SurveyResponse(send_id=s.pk, **r) for s, r in zip(created, responses, strict=True)], batch_size=5000
    )
    macros = list(Macro.objects.values_list("pk", flat=True)) or [
        Macro.objects.create(name=f"Bench macro {i}", body="...").pk for i in range(6)
    ]
    recent = Ticket.objects.filter(created_at__gte=since).order_by("pk").values_list("pk", "created_at")[::4]
    MacroApplication.objects.bulk_create(
        [
            MacroApplication(macro_id=rng.choice(macros), ticket_id=pk, applied_at=created + timedelta(hours=1))
            for pk, created in recent
        ],
        batch_size=5000,
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # VACUUM too: the pages count these rows from an index alone, which needs the visibility map
            cursor.execute("VACUUM (ANALYZE) surveys_surveyresponse, tickets_macroapplication")
    return {"responses": SurveyResponse.objects.count(), "macro_applications": MacroApplication.objects.count()}


def measure(args) -> list[dict]:
    from django.db import connection
    from django.test import Client

    from supportloop.accounts.choices import Role
    from supportloop.accounts.models import User

    lead = User.objects.filter(role=Role.LEAD).first() or User.objects.create_user(
        username="bench-lead", role=Role.LEAD, password="bench"
    )
    client = Client()
    client.force_login(lead)
    only = {c for c in args.only.split(",") if c}
    results = []
    for name, url in CASES.items():
        if only and name not in only:
            continue
        for _ in range(args.warmup):
            assert client.get(url).status_code == 200, (name, url)
        count = [0]

        def counter(execute, sql, params, many, context, count=count):
            count[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            client.get(url)
        timings = []
        for _ in range(args.iterations):
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        timings.sort()
        if args.timings:
            print(name, [round(t) for t in timings])
        results.append(
            {
                "case": name,
                "url": url,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
                "queries": count[0],
            }
        )
    return results


def main() -> None:
    args = parse_args()
    url = args.database_url or (
        f"postgres://postgres@127.0.0.1:5432/sl_bench_{args.size}"
        if args.db == "postgres"
        else f"sqlite:///{ROOT / 'var' / f'bench_{args.size}.sqlite3'}"
    )
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    else:
        (ROOT / "var").mkdir(exist_ok=True)
    setup_django(url)
    data = ensure_data(args)
    results = measure(args)
    print(f"\n{args.db} {args.size}: {data}\n")
    print("| case | median ms | p95 ms | queries |\n| --- | --- | --- | --- |")
    for r in results:
        print(f"| {r['case']} | {r['median_ms']} | {r['p95_ms']} | {r['queries']} |")
    out = ROOT / "benchmarks" / "results" / f"dashboards-{args.db}-{args.size}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"data": data, "results": results}, indent=2, default=str))


if __name__ == "__main__":
    main()
