#!/usr/bin/env python
"""Search latency at 100k / 1M tickets, measured in-process (server side), against the naive `icontains` query.

    python benchmarks/search.py                                   # postgres sl_bench_1m on 127.0.0.1
    python benchmarks/search.py --database-url postgres://postgres@127.0.0.1:5432/sl_search_bench
    python benchmarks/search.py --add-search-fixtures --database-url ...   # once per database, then measure

Every request goes through Django's full stack with the test Client (as benchmarks/run.py does): the API
(`/api/v1/search`, token auth, 25 ranked results with excerpts), or the web pages (`/search/` for a number or an
address, which answers with a redirect to it; `/search/suggest/` for type-ahead; `/?q=` for a saved search in the
inbox). The naive case is the ORM query the peers run (django-helpdesk: subject or any message body
`icontains` the word, distinct, newest first, 25 rows) called directly, with fewer iterations because it is slow.

The database must be seeded (`benchmarks/run.py --size ... --database-url ...` or `supportloop seed --bulk`) and
indexed: bulk seeding with --no-hooks writes no index rows, so run `supportloop search_rebuild` first (this
script refuses to measure an index that covers less than 99% of the tickets). `--add-search-fixtures` adds, through
the services (so they are indexed), a handful of tickets holding a word no seeded ticket holds (the rare-word case)
and Chinese and Russian sentences; it is idempotent and works on an existing database of any size.

Prints a Markdown table for RESULTS.md (with how many tickets each query matches) and writes
benchmarks/results/search-<database name>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench

ROOT = bench.ROOT
FIXTURE_SUBJECT = "[search benchmark]"
RARE_WORD = "quokkaphone"  # in no phrase bank: only the fixture tickets hold it
# Words the seed's phrase banks put in about 1% of tickets (measured on the 100k seed: 984 / 844 / 599 tickets).
WORD_1PCT = "questionnaire"
CHINESE = "乱码"  # "garbled text": segmented by jieba inside 导出的 CSV 中文乱码
RUSSIAN = "выгрузка"  # nominative; the tickets say "в выгрузке" (stemmed to выгрузк)
FIXTURES = [
    ("en", f"Bluetooth {RARE_WORD} keeps disconnecting", f"Our {RARE_WORD} headset drops the call after a minute."),
    ("en", "Headset pairing", f"The {RARE_WORD} does not pair with the desktop app."),
    ("zh-hans", "导出的文件是乱码", f"我导出的 CSV 打开后全是乱码，{RARE_WORD} 也一样。"),
    ("zh-hans", "申请退款", "我想申请退款，上个月被重复扣费了。"),
    ("ru", "Кракозябры в выгрузке", f"В выгрузке вместо кириллицы кракозябры, {RARE_WORD} тоже."),
    ("ru", "Возврат денег", "Прошу оформить возврат за прошлый месяц."),
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default="postgres://postgres@127.0.0.1:5432/sl_bench_1m",
        help="the seeded, indexed database (default: postgres sl_bench_1m on 127.0.0.1)",
    )
    parser.add_argument("--iterations", type=int, default=200, help="timed requests per case (default 200)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--naive-iterations", type=int, default=10, help="timed runs of the icontains query")
    parser.add_argument("--only", default="", help="comma-separated case names (prefixes) to run")
    parser.add_argument("--add-search-fixtures", action="store_true", help="add the fixture tickets, then measure")
    parser.add_argument("--word", default=WORD_1PCT, help=f"the ~1%% word (default {WORD_1PCT})")
    return parser.parse_args()


def add_fixtures() -> int:
    """The fixture tickets, through ticket_create (indexed in its transaction). Returns how many were added."""
    from supportloop.tickets.models import Ticket
    from supportloop.tickets.services.tickets import ticket_create

    if Ticket.objects.filter(subject__startswith=FIXTURE_SUBJECT).exists():
        return 0
    for n, (language, subject, body) in enumerate(FIXTURES):
        ticket_create(
            subject=f"{FIXTURE_SUBJECT} {subject}",
            body=body,
            requester_email=f"search-fixture-{n}@bench.example",
            language=language,
        )
    return len(FIXTURES)


def check_index() -> dict:
    from supportloop.search.models import SearchDocument
    from supportloop.tickets.models import Ticket

    tickets = Ticket.objects.count()
    indexed = SearchDocument.objects.filter(kind="ticket").count()
    if indexed < 0.99 * tickets:
        raise SystemExit(
            f"The search index holds {indexed} of {tickets} tickets: run `supportloop search_rebuild` first "
            "(with the same DATABASE_URL)."
        )
    return {"tickets": tickets, "indexed_tickets": indexed}


class Answer:
    """What measure() needs of a response, for the cases that call a function rather than a URL."""

    status_code = 200
    content = b""


def matches(q: str) -> int:
    """How many tickets the engine matches for q (its text part), counted through the same engine."""
    from supportloop.search.engine import matching_ids
    from supportloop.tickets.models import Ticket

    return len(matching_ids(kind="ticket", q=q, limit=Ticket.objects.count()))


def naive_count(word: str) -> int:
    from django.db.models import Q

    from supportloop.tickets.models import Ticket

    return Ticket.objects.filter(Q(subject__icontains=word) | Q(messages__body_text__icontains=word)).distinct().count()


def cases(args):
    from django.db.models import Q
    from django.test import Client

    from supportloop.accounts.models import User
    from supportloop.accounts.services import api_token_create
    from supportloop.customers.models import ContactEmail
    from supportloop.tickets.models import Ticket

    agent = User.objects.get(username="agent")
    _token, raw = api_token_create(user=agent, name=f"search benchmark {time.time():.0f}")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    web = Client()
    web.force_login(agent)
    numbers = list(Ticket.objects.order_by("?").values_list("number", flat=True)[:500])
    emails = list(ContactEmail.objects.order_by("?").values_list("email", flat=True)[:500])
    word = args.word
    filtered = f"{word} status:closed priority:normal"

    def search(q):
        return lambda i: api.get("/api/v1/search", {"q": q, "type": "ticket"})

    def number(i):
        return web.get("/search/", {"q": f"#{numbers[i % len(numbers)]}"})

    def email(i):
        return web.get("/search/", {"q": emails[i % len(emails)]})

    prefixes = [word[:k] for k in range(4, len(word) + 1)]

    def typeahead(i):
        return web.get("/search/suggest/", {"q": prefixes[i % len(prefixes)]}, HTTP_HX_REQUEST="true")

    def saved_search(i):
        return web.get("/", {"q": word})

    def naive_for(looked_for: str):
        def naive(i):
            rows = list(
                Ticket.objects.filter(Q(subject__icontains=looked_for) | Q(messages__body_text__icontains=looked_for))
                .distinct()
                .order_by("-updated_at")
                .values("id", "number", "subject")[:25]
            )
            assert rows
            return Answer()

        return naive

    return [
        ("word_1pct", search(word), 200, {"q": word, "matches": matches(word)}),
        ("rare_word", search(RARE_WORD), 200, {"q": RARE_WORD, "matches": matches(RARE_WORD)}),
        ("ticket_number", number, 302, {"q": "#<number>, 500 random tickets"}),
        ("exact_email", email, 302, {"q": "<address>, 500 random contacts"}),
        ("word_2_filters", search(filtered), 200, {"q": filtered, "matches": matches(filtered)}),
        ("typeahead", typeahead, 200, {"q": f"{prefixes[0]} … {word}", "note": "top 5 per kind, 4 kinds"}),
        ("chinese", search(CHINESE), 200, {"q": CHINESE, "matches": matches(CHINESE)}),
        ("russian", search(RUSSIAN), 200, {"q": RUSSIAN, "matches": matches(RUSSIAN)}),
        ("inbox_saved_search", saved_search, 200, {"q": word, "note": "GET /?q= (engine ids, then the inbox)"}),
        ("naive_icontains", naive_for(word), 200, {"q": word, "matches": naive_count(word), "naive": True}),
        # A rare word is the naive query's worst case: no 25 newest matches to stop at, every message is read.
        ("naive_icontains_rare", naive_for(RARE_WORD), 200, {"q": RARE_WORD, "naive": True}),
    ]


def main():
    args = parse_args()
    url = bench.setup_django(SimpleNamespace(database_url=args.database_url, db="postgres", size=""))
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    added = add_fixtures() if args.add_search_fixtures else 0
    index = check_index()
    only = {c for c in args.only.split(",") if c}
    load = os.getloadavg()
    results = []
    for name, call, expect, extra in cases(args):
        if only and not any(name.startswith(o) for o in only):
            continue
        naive = extra.pop("naive", False)
        iterations, warmup = (args.naive_iterations, 1) if naive else (args.iterations, args.warmup)
        try:
            row = bench.measure(name, call, iterations=iterations, warmup=warmup, expect=expect)
        except AssertionError as exc:
            row = {"case": name, "error": str(exc)[:300]}
        row.update(extra)
        results.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)
    load_after = os.getloadavg()
    name = url.rsplit("/", 1)[-1]
    report = {
        "database_url": url.split("@")[-1],
        "index": index,
        "fixtures_added": added,
        "machine": bench.machine(),
        "load_before": load,
        "load_after": load_after,
        "results": results,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    out = ROOT / "benchmarks" / "results" / f"search-{name}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    tickets = index["tickets"]
    print(f"\nsearch on {name}: {tickets} tickets, {index['indexed_tickets']} indexed, {report['when']}\n")
    print("| case | query | matching tickets | p50 ms | p95 ms | mean ms | SQL queries |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        found = r.get("matches")
        share = f"{found} ({100 * found / tickets:.2f}%)" if isinstance(found, int) and tickets else ""
        query = str(r.get("q", "")).replace("|", "\\|")
        if "error" in r:
            print(f"| {r['case']} | `{query}` | {share} | error: {r['error'][:80]} | | | |")
        else:
            print(
                f"| {r['case']} | `{query}` | {share} | {r['median_ms']} | {r['p95_ms']} | {r['mean_ms']} | "
                f"{r['queries']} |"
            )
    print(f"\n{report['machine']}\nload average before: {load}, after: {load_after}")


if __name__ == "__main__":
    main()
