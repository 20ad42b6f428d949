"""Benchmark: every dashboard panel's query over a 100-person team's 30 days.

Writes ~10 M events plus their metric points straight into a fresh store with the demo
generator (`ccotel.demo.load.write_bulk`), then times each panel's data function (the one
behind `/api/v1/panels/<id>`) for the 30-day view and the 1-hour view, on a cursor of a
connection opened the way `ccotel serve` opens it.

    python bench/dashboard.py                       # 10 M events, ~3 minutes on 2 cores
    python bench/dashboard.py --events 1000000      # quicker
    python bench/dashboard.py --data-dir /tmp/bench --keep   # reuse the store next time

Last line: dashboard_30d_ms=<sum of panel medians, 30-day view> worst_panel_ms=<highest
p95 of any panel in either view> events=<events in the store>
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ccotel import panel_data
from ccotel.demo.generate import spec_for_events
from ccotel.demo.load import write_bulk
from ccotel.panels import PANELS
from ccotel.query import Query
from ccotel.store import schema
from ccotel.store.writer import Writer


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=10, help="timed runs per panel and view")
    ap.add_argument("--data-dir", type=Path, help="store to use (filled when empty)")
    ap.add_argument("--keep", action="store_true", help="keep the store afterwards")
    ap.add_argument("--memory-limit", default="64MB", help="as 'ccotel serve --memory-limit'")
    args = ap.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ccotel-bench-"))
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        con = schema.connect(data_dir, memory_limit=args.memory_limit)
        stored = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        if stored == 0:
            spec = spec_for_events(args.events, args.users, args.days, end=now)
            t0 = time.perf_counter()
            counts = write_bulk(Writer(con), spec, progress=lambda line: print(f"  {line}",
                                                                      file=sys.stderr))
            print(f"wrote {counts.events:,} events and {counts.points:,} points in "
                  f"{time.perf_counter() - t0:.0f} s to {data_dir}")
            # Served as `ccotel serve` would serve it: a fresh connection to the store.
            con.close()
            con = schema.connect(data_dir, memory_limit=args.memory_limit)
        else:
            print(f"reusing {data_dir}: {stored:,} events")
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        cur = con.cursor()  # the server reads on cursors of the writer's connection
        views = {"30d": Query.parse({"from": f"now-{args.days}d", "to": "now"}),
                 "1h": Query.parse({"from": "now-1h", "to": "now"})}
        results: dict[str, dict[str, tuple[float, float]]] = {}
        for view, q in views.items():
            results[view] = {}
            for p in PANELS:
                panel_data.panel_data(cur, p.id, q)  # warm: first use reads from disk
                times = []
                for _ in range(args.runs):
                    t = time.perf_counter()
                    panel_data.panel_data(cur, p.id, q)
                    times.append((time.perf_counter() - t) * 1000)
                results[view][p.id] = (statistics.median(times), p95(times))
        print(f"{'panel':<26} {'30d p50':>9} {'30d p95':>9} {'1h p50':>9} {'1h p95':>9}  (ms)")
        for p in PANELS:
            a, b = results["30d"][p.id], results["1h"][p.id]
            print(f"{p.id:<26} {a[0]:9.1f} {a[1]:9.1f} {b[0]:9.1f} {b[1]:9.1f}")
        total_30d = sum(m for m, _ in results["30d"].values())
        total_1h = sum(m for m, _ in results["1h"].values())
        worst = max(x for view in results.values() for _, x in view.values())
        print(f"dashboard_1h_ms={total_1h:.1f}")
        print(f"dashboard_30d_ms={total_30d:.1f} worst_panel_ms={worst:.1f} events={events}")
        con.close()
    finally:
        if not args.keep and args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
