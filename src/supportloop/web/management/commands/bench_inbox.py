"""Measure the HTML inbox: the rows' rendering (Jinja2 against Django templates) and the whole page.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sl_bench_1m supportloop bench_inbox --iterations 200

Server-side time in-process through the full middleware stack (django.test.Client), DEBUG off.
The figures and the decision they support are in docs/decisions/0003-inbox-rendering.md.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.template.loader import render_to_string
from django.test import Client

from supportloop.accounts.models import Team, User
from supportloop.tickets.models import Ticket
from supportloop.tickets.selectors import TicketFilters
from supportloop.web import selectors
from supportloop.web.views.inbox import _rows_html


def timed(fn, iterations: int, warmup: int = 10) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p95": samples[int(len(samples) * 0.95) - 1],
        "mean": statistics.fmean(samples),
    }


class Command(BaseCommand):
    help = "Benchmark the inbox page (rows rendering with Jinja2 vs Django templates, whole page warm and cold)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--iterations", type=int, default=200)
        parser.add_argument("--user", default="agent")

    def handle(self, *args: Any, **opts: Any) -> None:
        n = opts["iterations"]
        user = User.objects.get(username=opts["user"])
        tickets = Ticket.objects.count()
        page = selectors.inbox_page(filters=TicketFilters(active=True), limit=50)
        rows = page.rows
        names = {
            "agents": {u.pk: u.display_name for u in User.objects.all()},
            "teams": dict(Team.objects.values_list("pk", "name")),
        }

        def jinja() -> None:
            _rows_html(None, [dict(r) for r in rows], "", page.next_cursor, **names)

        def django_templates() -> None:
            prepared = [dict(r) for r in rows]
            _rows_html(None, prepared, "", None, **names)  # the same preparation, then the same markup in DTL
            render_to_string("web/bench/inbox_rows.html", {"rows": prepared})

        client = Client()
        client.force_login(user)

        def page_warm() -> None:
            response = client.get("/")
            assert response.status_code == 200

        def page_cold() -> None:
            selectors.inbox_counts_forget(user)
            response = client.get("/")
            assert response.status_code == 200

        def query_only() -> None:
            selectors.inbox_page(filters=TicketFilters(active=True), limit=50)

        def counts_cold() -> None:
            selectors.inbox_counts_forget(user)
            selectors.inbox_counts(user=user)

        results = {
            "rows query (2 SQL)": timed(query_only, n),
            "sidebar counts, uncached (3 SQL)": timed(counts_cold, max(n // 4, 20)),
            "50 rows, Jinja2 (incl. preparation)": timed(jinja, n),
            "50 rows, Django templates (incl. preparation)": timed(django_templates, n),
            "whole page, counts cached": timed(page_warm, n),
            "whole page, counts uncached": timed(page_cold, max(n // 4, 20)),
        }
        self.stdout.write(f"tickets: {tickets:,}; rows on the page: {len(rows)}; iterations: {n}\n")
        self.stdout.write("| what | p50 ms | p95 ms | mean ms |\n| --- | --- | --- | --- |")
        for name, r in results.items():
            self.stdout.write(f"| {name} | {r['p50']:.1f} | {r['p95']:.1f} | {r['mean']:.1f} |")
