#!/usr/bin/env python
"""Routing benchmark: what routing and assignment add to creating a ticket.

    python benchmarks/routing.py                                   # 500 tickets a case, PostgreSQL sl_bench_routing
    python benchmarks/routing.py --count 200 --database-url sqlite:///var/bench_routing.sqlite3

The database is migrated and the automation tables emptied (a benchmark database, never your real one). Set-up:
--rules active routing rules (keywords in several scripts, languages, plans, channels; the last one matches
everything) into a team of 10 agents that assigns by least loaded with required skills and a capacity. Timed, per
ticket, in one process: ticket_create plus the routing listener it triggers after commit, against ticket_create
with no listener (the baseline). Reported: mean and p95 milliseconds and the queries of one routed ticket.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument(
        "--no-match", action="store_true", help="no catch-all rule and a manual team: the path most tickets take"
    )
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sl_bench_routing")
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.pop("SUPPORTLOOP_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportloop.settings"
    sys.path.insert(0, str(ROOT / "src"))
    if url.startswith("postgres"):
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            name = url.rsplit("/", 1)[1]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(rule_count: int, *, match: bool = True):
    from supportloop.accounts.models import Team, User
    from supportloop.accounts.services import team_create, user_create
    from supportloop.automation.models import AgentProfile, RoutingRule, TeamAssignment
    from supportloop.automation.services.assignment import agent_profile_update, team_assignment_update
    from supportloop.automation.services.routing import routing_rule_create

    RoutingRule.objects.all().delete()
    TeamAssignment.objects.all().delete()
    AgentProfile.objects.all().delete()
    team = Team.objects.filter(slug="bench-routing").first()
    if team is None:
        agents = [
            User.objects.filter(username=f"bench-agent-{i}").first()
            or user_create(username=f"bench-agent-{i}", role="agent")
            for i in range(10)
        ]
        team = team_create(name="Bench routing", slug="bench-routing", members=agents)
    for agent in team.members.all():
        agent_profile_update(user=agent, actor=None, languages=["en", "zh", "ru"], capacity=10_000)
    method = "least_loaded" if match else "manual"
    team_assignment_update(team=team, actor=None, method=method, require_skills=True)
    for i in range(rule_count - 1):
        kind = i % 4
        criteria = (
            {"keywords": [f"nomatch{i}", f"несовпадение{i}", f"不匹配{i}"]},
            {"languages": ["ja"], "channels": ["phone"]},
            {"plans": ["enterprise"], "keywords": [f"rare{i}"]},
            {"channels": ["phone"], "keywords": [f"never{i}"]},
        )[kind]
        routing_rule_create(actor=None, name=f"bench rule {i}", team=team, **criteria)
    if match:
        routing_rule_create(actor=None, name="bench catch-all", team=team)
    return team


def timed(count: int, label: str) -> list[float]:
    from supportloop.tickets.services import ticket_create

    out = []
    for i in range(count):
        started = time.perf_counter()
        ticket_create(
            subject=f"{label} {i}: cannot export",
            body="Экспорт не работает, 导出失败. Export fails with a timeout. " * 20,
            requester_email=f"bench-routing-{i % 200}@bench-routing.test",
            language="en",
        )
        out.append((time.perf_counter() - started) * 1000)
    return out


def summary(times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    return f"mean {statistics.mean(times):.2f} ms, median {statistics.median(times):.2f} ms, p95 {p95:.2f} ms"


def main() -> None:
    args = parse_args()
    setup_django(args.database_url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportloop.automation.services.routing import routing_on_ticket_event
    from supportloop.tickets import hooks

    build(args.rules, match=not args.no_match)
    listeners = list(hooks.ticket_event_listeners)
    hooks.ticket_event_listeners[:] = []
    timed(20, "warm-up")
    baseline = timed(args.count, "baseline")
    hooks.ticket_event_listeners[:] = [routing_on_ticket_event]
    timed(20, "warm-up")
    routed = timed(args.count, "routed")
    with CaptureQueriesContext(connection) as queries:
        timed(1, "count")
    hooks.ticket_event_listeners[:] = []
    with CaptureQueriesContext(connection) as base_queries:
        timed(1, "count")
    hooks.ticket_event_listeners[:] = listeners
    case = "no rule matches, manual team" if args.no_match else "the last rule matches, least loaded assigns"
    print(f"{connection.vendor}, {args.rules} active rules ({case}), {args.count} tickets a case")
    print(f"ticket_create alone:             {summary(baseline)}; {len(base_queries)} queries")
    print(f"ticket_create + route + assign:  {summary(routed)}; {len(queries)} queries")
    print(f"routing adds: {statistics.mean(routed) - statistics.mean(baseline):.2f} ms a ticket (mean)")


if __name__ == "__main__":
    main()
