"""Load test runner: seed (if needed), start the server as production does, run locust headless, report per kind.

    .venv/bin/python benchmarks/load/run.py --tickets 1000 --users 10 --run-time 20s      # a smoke run
    .venv/bin/python benchmarks/load/run.py --tickets 1000000 --users 50 --run-time 5m    # the issue's run (stress)
    .venv/bin/python benchmarks/load/run.py --tickets 1000000 --users 50 --run-time 5m --think 1,5  # paced agents

The server is `supportloop serve` without SUPPORTLOOP_DEBUG: gunicorn with --workers (2). The database is PostgreSQL
(`--database-url`, default sl_load_<tickets>); it is migrated and seeded with `supportloop seed --bulk` when it has
fewer tickets than asked. Agents sign in with API tokens made here (benchmarks/load/locustfile.py says what they do).
Writes benchmarks/results/load-<tickets>.json: per request kind the count, failures, error rate, median, p95, p99.
Only loopback traffic; the run stops by itself after --run-time.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent))

from benchsetup import ensure_postgres_database, setup_django  # noqa: E402

BIN = Path(sys.executable).parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--run-time", default="60s")
    parser.add_argument("--bind", default="127.0.0.1:8765")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: one per core)")
    parser.add_argument("--target-p95-ms", type=float, default=300)
    parser.add_argument(
        "--think",
        default="0.05,0.25",
        help="seconds an agent waits between two requests, MIN,MAX (default 0.05,0.25: a stress run that saturates "
        "2 cores; a person reading a ticket before answering waits seconds)",
    )
    return parser.parse_args()


def prepare(url: str, tickets: int, users: int) -> dict:
    """Migrate, seed if short of tickets, and make the fixture: agents' tokens, open tickets, feedback items."""
    env = os.environ | {"DATABASE_URL": url, "SECRET_KEY": "benchmark-only-secret"}
    env.pop("SUPPORTLOOP_DEBUG", None)
    setup_django(url)
    from django.core.management import call_command

    from supportloop.accounts.choices import Role
    from supportloop.accounts.models import User
    from supportloop.accounts.services import api_token_create, user_create
    from supportloop.feedback.models import FeedbackItem
    from supportloop.feedback.services import feedback_item_create
    from supportloop.tickets.models import Ticket

    call_command("migrate", interactive=False, verbosity=0)
    if Ticket.objects.count() < tickets:
        call_command("seed", tickets=tickets, seed=42, admin_password="bench", bulk=True, reset=True, no_hooks=True)
    agents = []
    for n in range(1, min(users, 50) + 1):
        user = User.objects.filter(username=f"load-agent-{n}").first() or user_create(
            username=f"load-agent-{n}",
            email=f"load-agent-{n}@staff.example",
            password="load-pw-123456",
            role=Role.AGENT,
        )
        agents.append(user)
    tokens = [api_token_create(user=user, name="load test")[1] for user in agents]
    pm = User.objects.filter(username="load-pm").first() or user_create(
        username="load-pm", email="load-pm@staff.example", password="load-pw-123456", role=Role.PRODUCT
    )
    items = list(FeedbackItem.objects.filter(title__startswith="Load test item").values_list("pk", flat=True))
    items += [
        feedback_item_create(kind="feature_request", title=f"Load test item {n}", actor=pm).pk
        for n in range(len(items), 20)
    ]
    numbers = list(
        Ticket.objects.filter(status__in=["new", "open"]).order_by("?").values_list("number", flat=True)[:5000]
    )
    from django.db import connections

    connections.close_all()
    return {"tokens": tokens, "tickets": numbers, "items": items}


def wait_port(bind: str, timeout: float = 60) -> None:
    host, port = bind.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, int(port)), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not listen on {bind}")


def main() -> None:
    args = parse_args()
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/sl_load_{args.tickets}"
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    fixture = prepare(url, args.tickets, args.users)
    work = Path(tempfile.mkdtemp(prefix="sl-load-"))
    (work / "fixture.json").write_text(json.dumps(fixture))
    env = os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark-only-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SUPPORTLOOP_API_RATE": "100000000/m",  # the load test is not testing the rate limiter
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    env.pop("SUPPORTLOOP_DEBUG", None)
    server = subprocess.Popen(
        [str(BIN / "supportloop"), "serve", "--bind", args.bind, "--workers", str(args.workers)],
        env=env,
        stdout=open(work / "server.log", "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )
    try:
        wait_port(args.bind)
        subprocess.run(
            [
                str(BIN / "locust"),
                "-f",
                str(HERE / "locustfile.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.spawn_rate),
                "--run-time",
                args.run_time,
                "--host",
                f"http://{args.bind}",
                "--csv",
                str(work / "stats"),
                "--only-summary",
            ],
            env=os.environ
            | {"SUPPORTLOOP_LOAD_FIXTURE": str(work / "fixture.json"), "SUPPORTLOOP_LOAD_THINK": args.think},
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    kinds = {}
    with open(work / "stats_stats.csv") as fh:
        for row in csv.DictReader(fh):
            count, failures = int(row["Request Count"]), int(row["Failure Count"])
            kinds[row["Name"]] = {
                "requests": count,
                "failures": failures,
                "error_rate": round(failures / count, 4) if count else 0.0,
                "median_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "rps": round(float(row["Requests/s"] or 0), 1),
            }
    result = {
        "tickets": args.tickets,
        "users": args.users,
        "run_time": args.run_time,
        "think_seconds": args.think,
        "kinds": kinds,
    }
    think = args.think.replace(",", "-")
    out = ROOT / "benchmarks" / "results" / f"load-{args.tickets}-think{think}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"| kind | requests | errors | median ms | p95 ms (target <= {args.target_p95_ms:g}) |")
    print("| --- | --- | --- | --- | --- |")
    for name, k in kinds.items():
        print(f"| {name} | {k['requests']} | {k['failures']} | {k['median_ms']:g} | {k['p95_ms']:g} |")
    print(f"written: {out}  (server log: {work / 'server.log'})")
    failed = any(k["failures"] for k in kinds.values())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
