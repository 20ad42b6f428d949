"""Benchmark: one evaluation of a typical rules file (`ccotel.alerts.evaluate.step`) over a
team's month, against the summary of the same month in the same run (the dashboard's own
headline query) as the baseline.

    python bench/alerts.py                      # 1 M events, 50 people, 30 days
    python bench/alerts.py --events 300000      # quicker

Last line: alerts_step_ms=<median step> summary_month_ms=<median summary> ratio=<step /
summary> events=<events in the store>
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

from ccotel.alerts.evaluate import period_start, step
from ccotel.alerts.rules import parse
from ccotel.demo.generate import spec_for_events
from ccotel.demo.load import write_bulk
from ccotel.query import Query
from ccotel.store import reader, schema
from ccotel.store.writer import Writer

RULES = """\
rules:
  - name: monthly-per-user
    spend: {over: 50, per: month, by: user}
  - name: daily-total
    spend: {over: 500, per: day}
  - name: weekly-per-model
    spend: {over: 300, per: week, by: model}
  - name: errors
    spike: {of: error_rate, over: 0.2, window: 15m, by: user}
    for: 5m
  - name: quiet
    silence: {by: user, after: 6h, seen_within: 7d}
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="ccotel-bench-alerts-"))
    now = datetime.now(UTC).replace(tzinfo=None)
    try:
        con = schema.connect(data_dir, memory_limit="64MB")
        write_bulk(Writer(con), spec_for_events(args.events, args.users, args.days, end=now))
        con.close()
        con = schema.connect(data_dir, memory_limit="64MB")
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        writer = Writer(con)
        cur = writer.cursors()
        rules = parse(RULES)
        month = Query.parse({"from": str(int(period_start("month", now).replace(
            tzinfo=UTC).timestamp() * 1000)), "to": "now"})
        steps, summaries = [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            step(writer, rules, datetime.now(UTC).replace(tzinfo=None))
            steps.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            reader.summary(cur, month)
            summaries.append((time.perf_counter() - t) * 1000)
        a, b = statistics.median(steps), statistics.median(summaries)
        print(f"alerts_step_ms={a:.1f} summary_month_ms={b:.1f} ratio={a / b:.2f} "
              f"events={events}")
        con.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
