"""Benchmark: the attribution reports against `ccotel report projects` over the same store.

Fills a fresh store with the demo generator (`ccotel.demo.load.write_bulk`), then times
`repos`, `skills --breakdown query_source`, `mcp --filter team=...` and `waste` (the medians
of a few runs each) and, in the same run, `projects`, the report over the same requests that
the attribution reports generalise. Opened as a report reading the file opens it (512MB).

    python bench/attribution.py                     # 1.5 M events, ~2 minutes on 2 cores
    python bench/attribution.py --data-dir /tmp/b --keep   # reuse the store next time

Last line: attribution_ms=<slowest attribution report's median> projects_ms=<median>
ratio=<attribution_ms / projects_ms> events=<events in the store>
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ccotel.demo.generate import spec_for_events
from ccotel.demo.load import write_bulk
from ccotel.report import data
from ccotel.report.query import ReportQuery
from ccotel.store import COMMAND_MEMORY_LIMIT, schema
from ccotel.store.writer import Writer

CASES = {"repos": ("repos", {}), "skills-by-query-source": ("skills", {"breakdown":
                                                                      "query_source"}),
         "mcp-filtered": ("mcp", {"var-team": "core"}), "waste": ("waste", {})}


def median_ms(con: object, name: str, params: dict[str, str], runs: int) -> float:
    q = ReportQuery.parse({"tz": "UTC", **params})
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        data.build(con, name, q)  # type: ignore[arg-type]
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--events", type=int, default=1_500_000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--data-dir", type=Path, help="store to use (filled when empty)")
    ap.add_argument("--keep", action="store_true", help="keep the store afterwards")
    args = ap.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ccotel-bench-"))
    try:
        con = schema.connect(data_dir, memory_limit=COMMAND_MEMORY_LIMIT)
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        if events == 0:
            now = datetime.now(UTC).replace(tzinfo=None)
            events = write_bulk(Writer(con), spec_for_events(args.events, args.users, args.days,
                                                     end=now)).events
        baseline = median_ms(con, "projects", {}, args.runs)
        results = {case: median_ms(con, name, params, args.runs)
                   for case, (name, params) in CASES.items()}
        con.close()
        for case, ms in results.items():
            print(f"{case}: {ms:.0f} ms")
        worst = max(results.values())
        print(f"attribution_ms={worst:.0f} projects_ms={baseline:.0f} "
              f"ratio={worst / baseline:.2f} events={events}")
        return 0
    finally:
        if not args.keep and not args.data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
