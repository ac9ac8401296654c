"""Creation over HTTP: a ticket plus 3 replies through the REST API, from N concurrent clients on this machine.

    .venv/bin/python benchmarks/load/http_create.py --tickets 1000 --clients 2 --per-client 200

The server is `supportloop serve` (gunicorn, --workers 2, production settings), as in run.py; each client is a
process with one keep-alive HTTP connection. Prints tickets/s and requests/s (4 requests per ticket) and writes
benchmarks/results/http-create.json. The issue's aim: >= 40 tickets/s (160 requests/s) on 2 cores.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import BIN, ROOT, ensure_postgres_database, prepare, wait_port  # noqa: E402


def client(bind: str, token: str, worker: int, count: int, start, out, reference: bool = False) -> None:
    host, port = bind.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    errors = 0

    def post(path: str, body: dict) -> dict | None:
        nonlocal errors
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status not in (200, 201):
            errors += 1
            return None
        return json.loads(data)

    start.wait()
    began = time.perf_counter()
    if reference:
        for _ in range(count * 4):
            conn.request("GET", "/health/")
            response = conn.getresponse()
            response.read()
            errors += response.status != 200
        out.put((time.perf_counter() - began, errors))
        return
    for i in range(count):
        ticket = post(
            "/api/v1/tickets",
            {
                "subject": f"HTTP create {worker}-{i}",
                "body": "It broke.",
                "requester_email": f"h{worker}-{i}@load.example",
            },
        )
        if ticket is None:
            continue
        for _ in range(3):
            post(f"/api/v1/tickets/{ticket['number']}/replies", {"body": "Thanks, looking into it."})
    out.put((time.perf_counter() - began, errors))


def _worker_cpu_seconds(server_pid: int) -> list[float]:
    import psutil  # installed with locust (the dev dependencies)

    workers = psutil.Process(server_pid).children()
    return sorted((round(sum(w.cpu_times()[:2]), 1) for w in workers), reverse=True)


def _database_cpu_seconds() -> dict[int, float]:
    import psutil

    found = {}
    for process in psutil.process_iter(["name"]):
        if process.info["name"] in ("postgres", "postmaster"):
            try:
                found[process.pid] = sum(process.cpu_times()[:2])
            except psutil.Error:
                continue
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1000, help="size of the seeded database")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--per-client", type=int, default=200)
    parser.add_argument("--bind", default="127.0.0.1:8766")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker")
    parser.add_argument(
        "--redis-url", default="", help="REDIS_URL for the server (cache and rate-limit counters in Redis, as deployed)"
    )
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class (gthread keeps connections)")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="the machine's ceiling: the same clients send as many GET /health/ (a Django view through the whole "
        "middleware stack, no database) instead of creating tickets",
    )
    args = parser.parse_args()
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/sl_load_{args.tickets}"
    if url.startswith("postgres"):
        ensure_postgres_database(url)
    fixture = prepare(url, args.tickets, args.clients)
    work = Path(tempfile.mkdtemp(prefix="sl-create-"))
    env = os.environ | {
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark-only-secret",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SUPPORTLOOP_API_RATE": "100000000/m",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    env.pop("SUPPORTLOOP_DEBUG", None)
    env.pop("REDIS_URL", None)
    if args.redis_url:
        env["REDIS_URL"] = args.redis_url
    server = subprocess.Popen(
        [
            str(BIN / "supportloop"),
            "serve",
            "--bind",
            args.bind,
            "--workers",
            str(args.workers),
            "--threads",
            str(args.threads),
            "--worker-class",
            args.worker_class,
        ],
        env=env,
        stdout=open(work / "server.log", "w"),  # noqa: SIM115 - closed with the process
        stderr=subprocess.STDOUT,
    )
    try:
        wait_port(args.bind)
        start, out = multiprocessing.Event(), multiprocessing.Queue()
        procs = [
            multiprocessing.Process(
                target=client,
                args=(args.bind, fixture["tokens"][n], n, args.per_client, start, out, args.reference),
            )
            for n in range(args.clients)
        ]
        for p in procs:
            p.start()
        time.sleep(0.5)
        database_cpu_before = _database_cpu_seconds()
        start.set()
        results = [out.get(timeout=600) for _ in procs]
        for p in procs:
            p.join()
        worker_cpu = _worker_cpu_seconds(server.pid)
        database_cpu = round(sum(_database_cpu_seconds().values()) - sum(database_cpu_before.values()), 1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    seconds = max(r[0] for r in results)
    errors = sum(r[1] for r in results)
    tickets = args.clients * args.per_client
    result = {
        "kind": "reference: GET /health/" if args.reference else "a ticket plus 3 replies",
        "clients": args.clients,
        "server": f"{args.workers} {args.worker_class} workers x {args.threads} threads",
        "shared_state": "redis" if args.redis_url else "database",
        "tickets": tickets,
        "requests": tickets * 4,
        "seconds": round(seconds, 2),
        "tickets_per_s": round(tickets / seconds, 1),
        "requests_per_s": round(tickets * 4 / seconds, 1),
        "errors": errors,
        # CPU seconds of each gunicorn worker since it forked. Two kept-alive clients can land on one worker (each
        # worker accepts connections while a thread is free): then one process serves both on one core and the
        # other idles, and the run is much slower. The spread of these figures shows which kind of run it was.
        "worker_cpu_seconds": worker_cpu,
        "database_cpu_seconds": database_cpu,  # every PostgreSQL process of this machine, during the run
    }
    name = "http-create-reference.json" if args.reference else "http-create.json"
    (ROOT / "benchmarks" / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
