#!/usr/bin/env python
"""Triggers benchmark: 200 active triggers evaluated on one ticket event, and one hourly time-rule pass.

    python benchmarks/triggers.py                                          # PostgreSQL sl_bench_1m (seeded by run.py)
    python benchmarks/triggers.py --database-url sqlite:///var/bench_triggers.sqlite3 --seed-tickets 2000
    python benchmarks/triggers.py --triggers 200 --events 1000 --due 2000

The database is migrated; the benchmark's own triggers ("bench trigger N") replace any earlier ones of the same
name, others are left alone (a benchmark database, never your real one). An empty database gets --seed-tickets
tickets through ticket_create (slow: for SQLite checks; use run.py's bulk seeding for the 1M measurement).

1. Evaluation: --triggers enabled triggers listening to "updated", with conditions of every kind (choices, ids,
   company plan and MRR, tags, text in the latest message, counts) that do not hold for the ticket, so a run
   evaluates all of them and writes nothing; timed per event (triggers_run, the listener's own path), p50/p95,
   and the queries of one event. The issue's budget: under 5 ms p95.
2. Time rules: --due solved (or closed) tickets are made solved 4 days and an hour ago, then one pass
   (time_rules_check) is timed: it must close at least those (a seeded database has others due in the window)
   through the partial index tickets_solved_since_idx;
   a second pass must act on none. The EXPLAIN of the listing query is printed. The budget: the hourly pass
   over 1,000,000 tickets under 30 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsetup import ensure_postgres_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sl_bench_1m"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--triggers", type=int, default=200)
    parser.add_argument("--events", type=int, default=1000, help="ticket events timed")
    parser.add_argument("--due", type=int, default=2000, help="solved tickets made due for the time-rule pass")
    parser.add_argument("--seed-tickets", type=int, default=0, help="tickets to create in an empty database")
    return parser.parse_args()


def conditions_for(i: int, team_id: int) -> dict:
    """Conditions that never hold for the benchmark ticket (normal priority, web, pro plan, no tag "nomatch")."""
    kind = i % 6
    return [
        {
            "all": [
                {"field": "priority", "op": "is", "value": "urgent"},
                {"field": "channel", "op": "is", "value": "phone"},
            ]
        },
        {
            "all": [
                {"field": "team", "op": "in", "value": [team_id]},
                {"field": "status", "op": "is", "value": "closed"},
            ]
        },
        {
            "all": [{"field": "plan", "op": "is", "value": "enterprise"}],
            "any": [{"field": "mrr", "op": "gt", "value": 10**9}],
        },
        {"any": [{"field": "tags", "op": "contains", "value": f"nomatch{i}"}]},
        {"all": [{"field": "latest_message", "op": "contains", "value": f"never-said-{i}"}]},
        {"all": [{"field": "public_replies", "op": "gt", "value": 10_000}]},
    ][kind]


def build(count: int):
    from supportloop.accounts.models import Team
    from supportloop.accounts.services import team_create
    from supportloop.automation.models import Trigger
    from supportloop.automation.services.triggers import trigger_create

    Trigger.objects.filter(name__startswith="bench trigger ").delete()
    team = Team.objects.filter(slug="bench-triggers").first() or team_create(
        name="Bench triggers", slug="bench-triggers"
    )
    for i in range(count):
        trigger_create(
            actor=None,
            name=f"bench trigger {i}",
            events=["updated"],
            conditions=conditions_for(i, team.pk),
            actions=[{"action": "add_tags", "tags": ["bench"]}, {"action": "set_priority", "priority": "high"}],
        )


def seed(count: int) -> None:
    from supportloop.tickets.models import Ticket
    from supportloop.tickets.services import ticket_create

    if Ticket.objects.exists() or not count:
        return
    print(f"creating {count} tickets ...")
    for i in range(count):
        ticket_create(
            subject=f"bench {i}",
            body="Export fails with a timeout. " * 10,
            requester_email=f"bench-{i % 300}@bench-triggers.test",
            status="solved" if i % 3 == 0 else "open",
        )


def quantiles(times: list[float]) -> str:
    p95 = statistics.quantiles(times, n=20)[-1] if len(times) >= 20 else max(times)
    return f"p50 {statistics.median(times):.3f} ms, p95 {p95:.3f} ms, mean {statistics.mean(times):.3f} ms"


def bench_evaluation(args) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportloop.automation.services.triggers import active_triggers, triggers_run
    from supportloop.tickets.hooks import TicketEvent
    from supportloop.tickets.models import Ticket

    build(args.triggers)
    ticket = Ticket.objects.filter(status__in=("new", "open"), priority="normal").order_by("-id").first()
    if ticket is None:
        sys.exit("no open ticket of normal priority to evaluate on")
    event = TicketEvent(kind="updated", ticket_id=ticket.pk, changes={"subject": ["a", "b"]})
    listening = len(active_triggers().by_kind["updated"])
    for _ in range(50):
        assert triggers_run(event) == [], "a benchmark trigger matched: conditions_for must never hold"
    times = []
    for _ in range(args.events):
        started = time.perf_counter()
        triggers_run(event)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        triggers_run(event)
    print(f"{connection.vendor}: {listening} triggers listening to 'updated', none matching, ticket #{ticket.number}")
    print(f"evaluation per event ({args.events} events): {quantiles(times)}; {len(queries)} queries an event")


def bench_time_rules(args) -> None:
    from django.db import connection
    from django.utils import timezone

    from supportloop.automation.services.time_rules import RULES, SOLVED_CLOSE, _due, time_rules_check
    from supportloop.tickets.models import Ticket

    now = timezone.now()
    # Solved or closed tickets (an earlier run closed its own) made solved 4 days and an hour ago. A plain UPDATE:
    # the status rollups of a benchmark database may drift, a real one is never touched by this script.
    ids = list(
        Ticket.objects.filter(status__in=("solved", "closed")).order_by("-id").values_list("pk", flat=True)[: args.due]
    )
    Ticket.objects.filter(pk__in=ids).update(status="solved", updated_at=now - timedelta(days=4, hours=1))
    solved_rule = next(r for r in RULES if r.name == SOLVED_CLOSE)
    sql, params = _due(solved_rule, now).order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        explain = "EXPLAIN " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
        cursor.execute(explain + sql, params)
        plan = "\n  ".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    started = time.perf_counter()
    first = time_rules_check(now=now)
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = time_rules_check(now=now)
    second_s = time.perf_counter() - started
    # A seeded database also holds tickets that fell due by themselves within the rules' window: at least ours.
    assert first.acted[SOLVED_CLOSE] >= len(ids), (first.acted, len(ids))
    assert second.acted[SOLVED_CLOSE] == 0, second.acted
    print(
        f"time-rule pass: {len(ids)} solved tickets made due, acted {first.acted} in {first_s:.2f} s "
        f"({first_s / max(sum(first.acted.values()), 1) * 1000:.2f} ms an action); "
        f"second pass {second_s:.3f} s, acted {second.acted}"
    )
    print(f"listing query plan:\n  {plan}")


def main() -> None:
    args = parse_args()
    if args.database_url.startswith("postgres"):
        ensure_postgres_database(args.database_url)
    # Mail is kept in memory: the benchmark times the rules, not an SMTP server (none listens here).
    setup_django(args.database_url, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from supportloop.tickets import hooks

    hooks.ticket_event_listeners[:] = []  # the benchmark calls the trigger path itself; no mail, SLA or routing
    seed(args.seed_tickets)
    bench_evaluation(args)
    bench_time_rules(args)


if __name__ == "__main__":
    main()
