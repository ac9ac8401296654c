#!/usr/bin/env python
"""Mail ingest benchmark: APPEND N messages to a private local Dovecot, then time the IMAP poller ingesting them.

    python benchmarks/mail_ingest.py                      # 10,000 messages, PostgreSQL database sl_bench_mail
    python benchmarks/mail_ingest.py --count 2000 --database-url sqlite:///var/bench_mail.sqlite3
    python benchmarks/mail_ingest.py --tracemalloc         # also Python heap peak (slows the run down)

The database is flushed of tickets/mail first (it is a benchmark database, never your real one). The mix:
~70% new tickets from 2,500 senders at 60 company domains, ~30% replies threading by In-Reply-To to an
earlier message, with a share of HTML-only, GBK, KOI8-R, quoted-printable and attachment-carrying mail.
The auto-responder is on (each new ticket enqueues a task row in the database backend; sending is the
worker's job and not timed). Timed: the whole poll (IMAP FETCH, parsing, ingest transactions, \\Seen flags).
Reported: messages/second, peak RSS (ru_maxrss) and, with --tracemalloc, the Python heap peak.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sl_bench_mail")
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--rate-limit",
        type=int,
        default=0,
        help="the mailbox's per-sender limit (0: off; the product's default is 30 an hour)",
    )
    parser.add_argument(
        "--auth-results",
        action="store_true",
        help="give every message an Authentication-Results header of our own MTA (authserv-id "
        "mx.bench.test, set as SUPPORTLOOP_AUTHSERV_ID), as real mail has: the parser then "
        "reads the SPF/DKIM/DMARC verdict with authres",
    )
    parser.add_argument(
        "--one-by-one",
        action="store_true",
        help="ingest each message with inbound_ingest, as before the batch path, for comparison",
    )
    return parser.parse_args()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["SUPPORTLOOP_ALLOW_PRIVATE_HOSTS"] = "1"  # the benchmark's Dovecot listens on 127.0.0.1
    os.environ.pop("SUPPORTLOOP_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportloop.settings"
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "tests"))  # supportloop_testing: the tests' Dovecot harness
    if url.startswith("postgres"):
        import psycopg

        admin = url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            name = url.rsplit("/", 1)[1]
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()


def make_messages(count: int, rng: random.Random, auth_results: bool = False) -> list[bytes]:
    domains = [f"company{i}.test" for i in range(60)]
    senders = [f"user{i}@{domains[i % 60]}" for i in range(2500)]
    sent: list[tuple[str, str]] = []  # (message id, sender) to reply to
    out = []
    for i in range(count):
        mid = f"bench{i}.{rng.getrandbits(40):x}@bench.test"
        if sent and rng.random() < 0.3:
            parent, sender = rng.choice(sent)
            headers = f"In-Reply-To: <{parent}>\r\nReferences: <{parent}>\r\n"
            subject = "Re: still broken"
            body = (
                f"Update {i}: still happening.\r\n\r\nOn Mon, Nov 23, 2026 at 10:00, Support wrote:\r\n"
                "> Please try again\r\n"
            )
        else:
            sender = rng.choice(senders)
            headers = ""
            subject = f"Problem {i} with invoices"
            body = f"Hello,\r\n\r\nInvoice {i} cannot be downloaded.\r\n\r\nRegards,\r\n{sender}\r\n"
        kind = rng.random()
        if kind < 0.1:
            content = (
                "Content-Type: text/html; charset=utf-8\r\n\r\n"
                f"<html><body><p>HTML only message {i}</p><p>Second paragraph</p></body></html>\r\n"
            ).encode()
        elif kind < 0.2:
            content = b"Content-Type: text/plain; charset=gbk\r\n\r\n" + f"您好，第{i}号发票无法下载。\r\n".encode(
                "gbk"
            )
        elif kind < 0.3:
            content = (
                b"Content-Type: text/plain; charset=koi8-r\r\n\r\n"
                + f"Здравствуйте, счёт {i} не скачивается.\r\n".encode("koi8-r")
            )
        elif kind < 0.4:
            attachment = base64.encodebytes(os.urandom(20_000)).replace(b"\n", b"\r\n")
            content = (
                b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
                + body.encode()
                + b'\r\n--b\r\nContent-Type: application/pdf; name="invoice.pdf"\r\n'
                b'Content-Disposition: attachment; filename="invoice.pdf"\r\n'
                b"Content-Transfer-Encoding: base64\r\n\r\n" + attachment + b"\r\n--b--\r\n"
            )
        else:
            content = (
                f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n{body}"
            ).encode()
        if auth_results:  # what Postfix with OpenDKIM/OpenDMARC writes, comments included
            domain = sender.rpartition("@")[2]
            headers = (
                f"Authentication-Results: mx.bench.test; dkim=pass (2048-bit key) header.d={domain} "
                f"header.i=@{domain} header.b=Ab{i:06d}; spf=pass (mx.bench.test: domain of {sender} "
                f"designates 192.0.2.{i % 250} as permitted sender) smtp.mailfrom={sender}; dmarc=pass "
                f"(p=none dis=none) header.from={domain}\r\n"
            ) + headers
        raw = (
            f"From: {sender}\r\nTo: support@example.test\r\nSubject: {subject}\r\nMessage-ID: <{mid}>\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n{headers}"
        ).encode() + content
        out.append(raw)
        sent.append((mid, sender))
    return out


def main() -> None:
    args = parse_args()
    if args.auth_results:
        os.environ["SUPPORTLOOP_AUTHSERV_ID"] = "mx.bench.test"
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from supportloop.mail.choices import ImapSecurity
    from supportloop.mail.imap import mailbox_poll
    from supportloop.mail.models import InboundMail, Mailbox, Quarantine
    from supportloop.mail.services import mailbox_create
    from supportloop.tickets.models import Message, Ticket
    from supportloop_testing.dovecot import IMAP_PASSWORD, start_dovecot

    call_command("migrate", interactive=False, verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    rng = random.Random(args.seed)
    messages = make_messages(args.count, rng, auth_results=args.auth_results)
    dovecot = start_dovecot(label="bench")
    try:
        user = "bench"
        client = dovecot.client(user)
        started = time.monotonic()
        for raw in messages:
            client.append("INBOX", raw)
        client.logout()
        append_seconds = time.monotonic() - started
        mailbox = mailbox_create(
            address="support@example.test",
            name="Bench",
            imap_host=dovecot.host,
            imap_port=dovecot.port,
            imap_security=ImapSecurity.NONE,
            imap_username=user,
            password=IMAP_PASSWORD,
            rate_limit_messages=args.rate_limit,
        )
        if args.one_by_one:
            from supportloop.mail import imap
            from supportloop.mail.services.inbound_batch import ingest_one

            imap.inbound_ingest_batch = lambda items, **kw: [ingest_one(raw, uid, **kw) for uid, raw in items]
        if args.tracemalloc:
            import tracemalloc

            tracemalloc.start()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.monotonic()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        stats = mailbox_poll(Mailbox.objects.get(pk=mailbox.pk), batch_size=args.batch_size)
        if os.environ.get("BENCH_PROFILE"):
            profiler.disable()
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        seconds = time.monotonic() - started
        heap_peak = None
        if args.tracemalloc:
            heap_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        # Baseline in the same conditions: the ticket service alone (no mail), 200 tickets in one transaction.
        from django.db import transaction

        from supportloop.tickets.services import ticket_create

        started = time.monotonic()
        with transaction.atomic():
            for i in range(200):
                ticket_create(subject="baseline", body="baseline", requester_email=f"baseline{i}@baseline.test")
        baseline = 200 / (time.monotonic() - started)
        load = os.getloadavg()
        counts = {
            "tickets": Ticket.objects.count() - 200,
            "messages": Message.objects.count() - 200,
            "quarantined": Quarantine.objects.count(),
            "ledger": InboundMail.objects.count(),
        }
    finally:
        dovecot.remove()
    engine = connection.vendor
    rate = stats.fetched / seconds if seconds else 0
    print(
        f"\n### Mail ingest: {args.count:,} messages, {engine}, batch {args.batch_size}, "
        f"{'one by one' if args.one_by_one else 'batch path'}, rate limit {args.rate_limit or 'off'}"
        f"{', tracemalloc on' if args.tracemalloc else ''}"
        f"{', Authentication-Results on' if args.auth_results else ''}\n"
    )
    print("| figure | value |\n| --- | --- |")
    print(f"| APPEND to Dovecot (setup, not timed) | {append_seconds:.1f} s |")
    print(f"| poll + ingest | {seconds:.1f} s |")
    print(f"| **messages/second** | **{rate:.0f}** |")
    print(
        f"| outcome | {stats.tickets:,} tickets, {stats.threaded:,} threaded, {stats.quarantined:,} quarantined, "
        f"{stats.duplicates:,} duplicates |"
    )
    print(f"| rows | {counts} |")
    print(f"| peak RSS (ru_maxrss) | {rss_peak / 1024:.0f} MiB (before the poll: {rss_before / 1024:.0f} MiB) |")
    if heap_peak is not None:
        print(f"| Python heap peak (tracemalloc) | {heap_peak / 1_048_576:.1f} MiB |")
    print(f"| baseline: ticket_create alone, same run | {baseline:.0f} tickets/second |")
    print(
        f"| machine | Python {platform.python_version()}, {os.cpu_count()} cores, load average after the run "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} |"
    )
    if stats.error:
        print(f"\nERROR: {stats.error}")
        sys.exit(1)


if __name__ == "__main__":
    main()
