#!/usr/bin/env python
"""CPU cost of mail parsing alone: parse_message over the ingest benchmark's mix and over the test corpus.

    python benchmarks/mail_parse.py                  # 2,000 mixed messages (seed 42) and the 86-message corpus
    python benchmarks/mail_parse.py --count 5000 --runs 9
    python benchmarks/mail_parse.py --profile        # also print the top functions of one pass under cProfile

No database is touched (settings are loaded only for the attachment limits). Each set is parsed once to warm
up, then --runs times; the figure is the median microseconds per message. Messages parse_message rejects
(the corpus's unparseable ones) are timed too, since ingest pays for them as well.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from mail_ingest import make_messages  # noqa: E402 - needs the benchmarks folder on sys.path


def setup_django() -> None:
    os.environ["DATABASE_URL"] = "sqlite://"
    os.environ.setdefault("SECRET_KEY", "benchmark-only-secret")
    os.environ.setdefault("ALLOWED_HOSTS", "localhost")
    os.environ.pop("SUPPORTLOOP_DEBUG", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportloop.settings"
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def one_pass(parse, unparseable, messages: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in messages:
        try:  # noqa: SIM105 - a try costs nothing in the timed loop; contextlib.suppress would add to the figure
            parse(raw)
        except unparseable:
            pass
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    setup_django()
    from supportloop.mail.parsing import UnparseableMail, parse_message

    corpus = [p.read_bytes() for p in sorted((ROOT / "src/supportloop/mail/tests/corpus").glob("*.eml"))]
    sets = {
        f"mix ({args.count:,} messages, seed {args.seed})": make_messages(args.count, random.Random(args.seed)),
        f"corpus ({len(corpus)} messages)": corpus,
    }
    print(f"### parse_message, median of {args.runs} runs\n")
    print("| set | µs/message | min | max |\n| --- | --- | --- | --- |")
    for label, messages in sets.items():
        one_pass(parse_message, UnparseableMail, messages)
        per_message = [
            one_pass(parse_message, UnparseableMail, messages) / len(messages) * 1e6 for _ in range(args.runs)
        ]
        print(f"| {label} | {statistics.median(per_message):.0f} | {min(per_message):.0f} | {max(per_message):.0f} |")
    print(f"\nPython {platform.python_version()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for messages in sets.values():
            one_pass(parse_message, UnparseableMail, messages)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
