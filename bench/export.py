"""Benchmark: peak memory of `ccotel export events` over a large store, in each format.

Writes ~10 M demo events (plus their metric points) straight into a fresh store
(`ccotel.demo.load.write_bulk`), then runs `ccotel export events --format F -o FILE` in a
fresh process per format and reads that process's peak RSS (VmHWM). The baseline is the
same command exporting `tools` (a few rows): the ratio is what the size of the export adds.
Each file is then read back by DuckDB: its requests, tokens and cost must equal the
store's `/api/v1/summary` (`store/reader.summary`) for all history.

    python bench/export.py                      # 10 M events: long (the fill dominates)
    python bench/export.py --events 1000000     # quicker
    python bench/export.py --data-dir /tmp/bench --keep   # reuse the store next time

Last line: export_peak_rss_mb csv=<MB> parquet=<MB> jsonl=<MB> baseline=<MB>
max_ratio=<worst / baseline> events=<events in the store> totals_equal_summary=<yes|no>
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ccotel.demo.generate import spec_for_events
from ccotel.demo.load import write_bulk
from ccotel.store import reader, schema
from ccotel.store.export import parse_query
from ccotel.store.writer import Writer

_PEAK = (
    "import re, sys\n"
    "from ccotel.export_cli import export_command\n"
    "try:\n    export_command(sys.argv[1:])\n"
    "except SystemExit as e:\n    assert not e.code, e.code\n"
    "status = open('/proc/self/status').read()\n"
    "print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n")


def peak_mb(args: list[str]) -> tuple[float, float]:
    """Peak RSS (MB) and seconds of one `ccotel export` process."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _PEAK, *args], capture_output=True,
                          text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024, time.perf_counter() - t0


_READ = {"csv": "read_csv", "parquet": "read_parquet", "jsonl": "read_json"}


def file_totals(path: Path, fmt: str) -> dict[str, float]:
    """Requests, tokens and cost summed over an exported events file, read by DuckDB."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    cols = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens")
    row = con.execute(
        f"SELECT count(*), {', '.join(f'sum({c})' for c in cols)}, sum(cost_usd)::DOUBLE "
        f"FROM {_READ[fmt]}('{path}') WHERE event_name = 'api_request'").fetchone()
    con.close()
    assert row is not None
    return dict(zip(("requests", *cols, "cost_usd"), (float(v or 0) for v in row),
                    strict=True))


def summary_totals(data_dir: Path) -> dict[str, float]:
    """The same sums as `/api/v1/summary` gives them for all history."""
    con = schema.connect(data_dir, read_only=True)
    s = reader.summary(con, parse_query({}))
    con.close()
    t = s["tokens"]
    return {"requests": s["requests"], "input_tokens": t["input"],
            "output_tokens": t["output"], "cache_read_tokens": t["cacheRead"],
            "cache_creation_tokens": t["cacheCreation"], "cost_usd": s["cost_usd"]}


def equal(got: dict[str, float], want: dict[str, float]) -> bool:
    return all(abs(got[k] - want[k]) <= (1e-6 if k == "cost_usd" else 0) for k in want)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--data-dir", type=Path, help="store to use (filled when empty)")
    ap.add_argument("--keep", action="store_true", help="keep the store afterwards")
    ap.add_argument("--formats", default="csv,parquet,jsonl", help="comma-separated")
    args = ap.parse_args()

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ccotel-bench-"))
    out = Path(tempfile.mkdtemp(prefix="ccotel-bench-out-"))
    try:
        con = schema.connect(data_dir)
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        if events == 0:
            t0 = time.perf_counter()
            counts = write_bulk(Writer(con), spec_for_events(args.events, args.users, args.days))
            events = counts.events
            print(f"wrote {counts.events:,} events in {time.perf_counter() - t0:.0f} s",
                  flush=True)
        con.close()
        common = ["--data-dir", str(data_dir)]
        want = summary_totals(data_dir)
        print(f"summary  {want}")
        baseline, _ = peak_mb(["tools", *common, "-o", str(out / "tools.csv")])
        peaks, same = {}, True
        for fmt in args.formats.split(","):
            path = out / f"events.{fmt}"
            peaks[fmt], secs = peak_mb(["events", "--format", fmt, *common, "-o", str(path)])
            got = file_totals(path, fmt)
            same = same and equal(got, want)
            print(f"{fmt:<8} peak {peaks[fmt]:7.1f} MB  {secs:6.1f} s  "
                  f"{path.stat().st_size / 1e6:9.1f} MB written  totals "
                  f"{'= summary' if equal(got, want) else f'DIFFER: {got}'}", flush=True)
            path.unlink()
        worst = max(peaks.values())
        print("export_peak_rss_mb " + " ".join(f"{k}={v:.0f}" for k, v in peaks.items())
              + f" baseline={baseline:.0f} max_ratio={worst / baseline:.2f} events={events}"
              + f" totals_equal_summary={'yes' if same else 'no'}")
    finally:
        shutil.rmtree(out, ignore_errors=True)
        if not args.keep and args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
