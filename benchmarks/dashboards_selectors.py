#!/usr/bin/env python
"""The dashboards' selectors of an earlier revision and of the working tree, called alternately in one process on
the same database, so a change is measured under the same load (a shared machine moves whole benchmark runs).

    python benchmarks/dashboards_selectors.py --against 93744fa --iterations 8

Loads `src/supportloop/analytics/dashboards.py` of `--against` (git show) as a second module beside the current
one; both read the current models, so the old file must still import. Prints median / p95 ms per selector and
whether both returned the same tables.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchsetup import setup_django

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--against", required=True, help="a git revision")
    parser.add_argument("--iterations", type=int, default=8)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/sl_bench_1m")
    args = parser.parse_args()
    setup_django(args.database_url)
    from supportloop.analytics import dashboards as new

    source = subprocess.run(
        ["git", "show", f"{args.against}:src/supportloop/analytics/dashboards.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location("dashboards_before", handle.name)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules["dashboards_before"] = old  # dataclasses look their module up
    spec.loader.exec_module(old)

    start, end = new.period_days(days=30)
    cases = {
        "volume_report()": lambda m: m.volume_report(start=start, end=end, filters=m.Filters()),
        "volume_report(channel=email)": lambda m: m.volume_report(
            start=start, end=end, filters=m.Filters(channel="email")
        ),
        "times_report()": lambda m: m.times_report(start=start, end=end, filters=m.Filters()),
        "satisfaction_report(rated)": lambda m: m.satisfaction_report(
            start=start, end=end, window="rated", filters=m.Filters()
        ),
        "satisfaction_report(solved)": lambda m: m.satisfaction_report(
            start=start, end=end, window="solved", filters=m.Filters()
        ),
        "macros_report()": lambda m: m.macros_report(start=start, end=end, filters=m.Filters()),
    }

    def summary(values: list[float]) -> str:
        values = sorted(values)
        return f"{statistics.median(values):.0f} / {values[int(0.95 * (len(values) - 1))]:.0f}"

    print(f"| selector | {args.against} median / p95 ms | working tree median / p95 ms | same tables |")
    print("| --- | --- | --- | --- |")
    for name, run in cases.items():
        same = [t.rows for t in run(old)] == [t.rows for t in run(new)]
        timings: dict[str, list[float]] = {"old": [], "new": []}
        for _ in range(args.iterations):
            for label, module in (("old", old), ("new", new)):
                started = time.perf_counter()
                run(module)
                timings[label].append((time.perf_counter() - started) * 1000)
        print(f"| `{name}` | {summary(timings['old'])} | {summary(timings['new'])} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
