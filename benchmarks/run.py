#!/usr/bin/env python
"""Latency benchmark of supportloop's hot paths at 100k and 1M tickets, measured in-process (server side).

    python benchmarks/run.py --db postgres --size 100k          # seeds sl_bench_100k on 127.0.0.1 if empty
    python benchmarks/run.py --db sqlite --size 1m              # var/bench_1m.sqlite3
    python benchmarks/run.py --db postgres --size 100k --only list,detail --iterations 300

Every request goes through Django's full stack (middleware, auth, Ninja, services, selectors) via the test
Client, so figures are what a server spends, without network or a WSGI server. DEBUG is off (no query log).
The database is seeded with `supportloop seed --bulk --seed 42` when it has no tickets, or reused as is.
Create and reply requests add rows to the benchmark database; that is harmless at these sizes.
Prints a Markdown table and writes JSON next to it (benchmarks/results/<db>-<size>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = {"100k": 100_000, "1m": 1_000_000}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--size", choices=list(SIZES), default="100k")
    parser.add_argument(
        "--database-url",
        default=None,
        help="override (default postgres://postgres@127.0.0.1:5432/sl_bench_<size> or "
        "sqlite:///var/bench_<size>.sqlite3)",
    )
    parser.add_argument("--iterations", type=int, default=200, help="timed requests per case (default 200)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated case names to run")
    parser.add_argument("--reseed", action="store_true", help="wipe and seed again even if tickets exist")
    parser.add_argument(
        "--experiment",
        choices=["lean-joins"],
        default=None,
        help="lean-joins: patch tickets.selectors.ticket_queryset in-process to join only "
        "requester, company, assignee and team and prefetch the three taxonomy relations "
        "(measures the fix proposed in RESULTS.md; changes no file)",
    )
    parser.add_argument(
        "--create-workers",
        type=int,
        default=0,
        help="also measure ticket creation throughput with N processes posting at once "
        "(the DESIGN aim is 150 tickets/s on 2 cores)",
    )
    parser.add_argument("--create-per-worker", type=int, default=300)
    return parser.parse_args()


def _create_worker(raw_token: str, emails: list[str], count: int, start, results) -> None:
    """One process: wait for the start signal, then POST `count` tickets as fast as it can."""
    from django.test import Client

    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw_token}")
    rng = random.Random(os.getpid())
    start.wait()
    began = time.perf_counter()
    for i in range(count):
        body = {
            "subject": f"Concurrent ticket {i}",
            "body": "Hello,\n\nThe export fails again.",
            "requester_email": rng.choice(emails),
            "channel": "web",
            "tags": ["benchmark"],
        }
        response = api.post("/api/v1/tickets", json.dumps(body), content_type="application/json")
        assert response.status_code == 201, response.content[:300]
    results.put(time.perf_counter() - began)


def concurrent_create(workers: int, per_worker: int) -> dict:
    """Tickets per second with `workers` processes creating through the API at once (forked after setup;
    each opens its own database connection). The rate limiter is per user, so each worker has its own."""
    import multiprocessing

    from django.db import connections

    from supportloop.accounts.models import User
    from supportloop.accounts.services import api_token_create
    from supportloop.customers.models import ContactEmail

    emails = list(ContactEmail.objects.order_by("?").values_list("email", flat=True)[:2000])
    agents = list(User.objects.filter(is_active=True).order_by("pk")[:workers])
    tokens = [api_token_create(user=u, name=f"concurrent {time.time():.0f}")[1] for u in agents]
    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    start, results = ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_create_worker, args=(tokens[i], emails, per_worker, start, results))
        for i in range(len(tokens))
    ]
    for proc in procs:
        proc.start()
    time.sleep(1)
    began = time.perf_counter()
    start.set()
    for proc in procs:
        proc.join()
    wall = time.perf_counter() - began
    if any(proc.exitcode for proc in procs):
        return {"case": f"create_concurrent_{len(procs)}", "error": "a worker failed"}
    total = per_worker * len(procs)
    return {
        "case": f"create_concurrent_{len(procs)}",
        "n": total,
        "wall_s": round(wall, 2),
        "per_second": round(total / wall, 1),
    }


def setup_django(args) -> str:
    url = args.database_url or (
        f"postgres://postgres@127.0.0.1:5432/sl_bench_{args.size}"
        if args.db == "postgres"
        else f"sqlite:///{ROOT / 'var' / f'bench_{args.size}.sqlite3'}"
    )
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ["SUPPORTLOOP_API_RATE"] = "100000000/m"  # the benchmark is not testing the rate limiter
    os.environ.pop("SUPPORTLOOP_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportloop.settings"
    sys.path.insert(0, str(ROOT / "src"))
    (ROOT / "var").mkdir(exist_ok=True)
    import django

    django.setup()
    return url


def ensure_seeded(args) -> dict:
    from django.core.management import call_command

    from supportloop.tickets.models import Ticket

    call_command("migrate", interactive=False, verbosity=0)
    have = Ticket.objects.count()
    if have and not args.reseed:
        return {"seeded": False, "tickets": have}
    started = time.monotonic()
    call_command(
        "seed", tickets=SIZES[args.size], seed=42, admin_password="bench", bulk=True, reset=True, no_hooks=True
    )
    return {"seeded": True, "seed_seconds": round(time.monotonic() - started, 1), "tickets": Ticket.objects.count()}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(name, call, *, iterations, warmup, expect) -> dict:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup):
        response = call(i)
        assert response.status_code == expect, (name, response.status_code, response.content[:300])
    with CaptureQueriesContext(connection) as ctx:
        call(warmup)
    queries = len(ctx.captured_queries)
    timings = []
    for i in range(iterations):
        started = time.perf_counter()
        response = call(warmup + 1 + i)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == expect, (name, response.status_code, response.content[:300])
    reset_queries()
    return {
        "case": name,
        "n": iterations,
        "median_ms": round(statistics.median(timings), 2),
        "p95_ms": round(percentile(timings, 0.95), 2),
        "mean_ms": round(statistics.fmean(timings), 2),
        "max_ms": round(max(timings), 2),
        "per_second": round(1000 / statistics.fmean(timings), 1),
        "queries": queries,
    }


def cases(args):
    from django.db.models import Count
    from django.test import Client

    from supportloop.accounts.models import Team, User
    from supportloop.accounts.services import api_token_create
    from supportloop.customers.models import ContactEmail
    from supportloop.tickets.models import Ticket

    admin = User.objects.get(username="agent")
    _token, raw = api_token_create(user=admin, name=f"benchmark {time.time():.0f}")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    rng = random.Random(7)

    team = Team.objects.get(slug="technical")
    biggest_company = (
        Ticket.objects.values("company_id").exclude(company_id=None).annotate(n=Count("id")).order_by("-n").first()
    )
    company_id, company_tickets = biggest_company["company_id"], biggest_company["n"]
    long_threads = list(
        Ticket.objects.filter(message_count__gte=20, message_count__lte=24).values_list("number", flat=True)[:50]
    )
    if not long_threads:
        raise SystemExit("no ticket with 20-24 messages; seed more tickets")
    active = list(
        Ticket.objects.filter(status__in=["open", "pending", "new"])
        .order_by("?")
        .values_list("number", flat=True)[:2000]
    )
    emails = list(ContactEmail.objects.order_by("?").values_list("email", flat=True)[:2000])

    def list_first(i):
        return api.get("/api/v1/tickets", {"limit": 50})

    def list_active(i):
        return api.get("/api/v1/tickets", {"limit": 50, "active": "true"})

    def list_status_team(i):
        return api.get("/api/v1/tickets", {"limit": 50, "status": ["pending", "closed"][i % 2], "team": team.pk})

    def list_company(i):
        return api.get("/api/v1/tickets", {"limit": 50, "company": company_id})

    def detail(i):
        return api.get(f"/api/v1/tickets/{long_threads[i % len(long_threads)]}")

    def create(i):
        body = {
            "subject": f"Benchmark ticket {i}: export fails",
            "body": "Hello,\n\nThe export fails again.\n\nThanks",
            "requester_email": rng.choice(emails),
            "channel": "web",
            "tags": ["benchmark"],
        }
        return api.post("/api/v1/tickets", json.dumps(body), content_type="application/json")

    def reply(i):
        number = active[i % len(active)]
        return api.post(
            f"/api/v1/tickets/{number}/replies",
            json.dumps({"body": "Thanks, we are looking into it."}),
            content_type="application/json",
        )

    web = Client()
    web.force_login(admin)
    from supportloop.web.models import InboxPreference

    # The inbox remembers the last sort (the sorted cases below set it): "/" measures the default sort every run.
    InboxPreference.objects.filter(user=admin).delete()

    def inbox(i):
        return web.get("/")

    def inbox_sorted(sort):
        # The queue-shaping sorts (docs/web.md), each on its partial index. They run after html_inbox: the sort
        # is remembered per user, so the bare "/" above keeps measuring the default one.
        return lambda i: web.get(f"/?view=all&sort={sort}")

    from supportloop.web.models import SavedView
    from supportloop.web.views.inbox import _view_counts

    saved = [
        SavedView.objects.get_or_create(user=admin, name=name, defaults={"query": query})[0]
        for name, query in [
            ("Urgent, technical", f"priority=urgent&team={team.pk}"),
            ("Pending and mine", "status=pending&assignee=me"),
            ("Unassigned high", "unassigned=1&priority=high"),
        ]
    ]
    teams = list(Team.objects.order_by("name"))

    class Counted:
        status_code = 200
        content = b""

    def view_counts(i):
        # What the sidebar shows: every built-in view, every team and the saved views, from the rollup.
        counts = _view_counts(admin, saved, teams)
        assert len(counts) >= len(teams) + len(saved), counts
        return Counted()

    def ticket_page(i):
        return web.get(f"/t/{active[i % len(active)]}/")

    def ticket_page_long(i):
        return web.get(f"/t/{long_threads[i % len(long_threads)]}/")

    return [
        ("list_first_page", list_first, 200, {}),
        ("list_active_first_page", list_active, 200, {}),
        ("list_status_team", list_status_team, 200, {"team": team.slug, "statuses": "pending / closed alternating"}),
        ("list_company", list_company, 200, {"company_id": company_id, "company_tickets": company_tickets}),
        ("detail_20_messages", detail, 200, {"tickets": len(long_threads)}),
        ("create", create, 201, {}),
        ("reply", reply, 201, {}),
        ("html_inbox", inbox, 200, {"note": "GET / logged in (web app as it is at run time)"}),
        ("html_inbox_longest_waiting", inbox_sorted("waiting"), 200, {"note": "GET /?sort=waiting"}),
        ("html_inbox_priority", inbox_sorted("priority"), 200, {"note": "GET /?sort=priority"}),
        ("html_inbox_newest", inbox_sorted("-created"), 200, {"note": "GET /?sort=-created"}),
        ("inbox_view_counts", view_counts, 200, {"note": "the sidebar's counts (views, teams, 3 saved views)"}),
        ("html_ticket", ticket_page, 200, {"note": "GET /t/<number>/ of random active tickets, logged in"}),
        ("html_ticket_20_messages", ticket_page_long, 200, {"tickets": len(long_threads)}),
    ]


def machine() -> dict:
    import django
    from django.db import connection

    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) // 1024 // 1024} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if connection.vendor == "postgresql" else "SELECT sqlite_version()")
        db_version = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": connection.vendor,
        "db_version": db_version.split(" on ")[0],
        "platform": platform.platform(),
    }


def main():
    args = parse_args()
    url = setup_django(args)
    seeding = ensure_seeded(args)
    if args.experiment == "lean-joins":
        from supportloop.tickets import selectors
        from supportloop.tickets.models import Ticket

        def lean():
            return Ticket.objects.select_related("requester", "company", "assignee", "team").prefetch_related(
                "product_area", "product_feature", "contact_reason"
            )

        selectors.ticket_queryset = lean
    only = {c for c in args.only.split(",") if c}
    load = os.getloadavg()
    results = []
    for name, call, expect, extra in cases(args):
        if only and not any(name.startswith(o) for o in only):
            continue
        try:
            row = measure(name, call, iterations=args.iterations, warmup=args.warmup, expect=expect)
        except AssertionError as exc:
            row = {"case": name, "error": str(exc)[:300]}
        row.update(extra)
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    if args.create_workers:
        row = concurrent_create(args.create_workers, args.create_per_worker)
        results.append(row)
        print(json.dumps(row), flush=True)
    report = {
        "database_url": url.split("@")[-1],
        "size": args.size,
        "experiment": args.experiment,
        "seeding": seeding,
        "machine": machine(),
        "results": results,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    suffix = f"-{args.experiment}" if args.experiment else ""
    out = ROOT / "benchmarks" / "results" / f"{args.db}-{args.size}{suffix}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{args.db} {args.size} {args.experiment or ''}: {seeding}\n")
    print("| case | median ms | p95 ms | mean ms | req/s | SQL queries |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        if "wall_s" in r:
            print(f"| {r['case']} | {r['n']} tickets in {r['wall_s']} s | | | {r['per_second']} | |")
        elif "error" in r:
            print(f"| {r['case']} | error: {r['error'][:80]} | | | | |")
        else:
            print(
                f"| {r['case']} | {r['median_ms']} | {r['p95_ms']} | {r['mean_ms']} | "
                f"{r['per_second']} | {r['queries']} |"
            )
    print(f"\n{report['machine']}, load average before/after: {load}, {os.getloadavg()}")


if __name__ == "__main__":
    main()
