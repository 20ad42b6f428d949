"""Benchmark: the dashboard's 30-day view over a 100-person team's 30 days.

Writes ~10 M events plus their metric points straight into a fresh store with the demo
generator (`ccotel.demo.load.write_bulk`), then times, for the 30-day view and the 1-hour
view, on a cursor of a connection opened the way `ccotel serve` opens it, reading as the
server's reads do (rolled_until taken from the writer's mark, `rollups.known_until`, not
asked of the store by every part):

- the page's parts (`page_parts`): each request the dashboard page makes when it opens
  the view, by the data function behind it: `/api/v1/dashboard` for the panels it asks
  for together (those that read the same rows: `ccotel.panels.page_batches`) and for each
  other panel, the logs, the filter values (`/api/v1/filters`);
- each panel alone (`timed`: `/api/v1/panels/<id>`, as a script asks for one), the repo
  page (`/api/v1/repo`, for the repo with the most cost: a page of its own) and the filter
  values: the parts earlier releases' figures summed.

The store is opened with `ccotel serve`'s memory limit unless `--memory-limit` says
otherwise: DuckDB keeps the blocks it read within it, beside each query's working memory,
so below the month's working set (the bench store's rollups are about 55 MB) each part
reads again what the one before evicted.

    python bench/dashboard.py                       # 10 M events, ~8 minutes on 2 cores
    python bench/dashboard.py --events 1000000      # quicker
    python bench/dashboard.py --data-dir /tmp/bench --keep   # reuse the store next time

With `--profile`, also where each view's time goes, from DuckDB's profiler over every
statement the page's parts run (one more pass, not timed with the others): how many
statements, their planning (binder, optimizer, physical planner) and the rest of their
time, and the optimizers that take longest.

Before it, `empty_30d_ms`: the page's parts of the 30-day view over an empty store (the
schema alone, opened the same way, in the same run): what the statements cost with no data
to read, planning and starting them. It bounds from below what any rollup can give.

Last line: dashboard_30d_ms=<sum of the medians of the page's parts, 30-day view>
repo_page_30d_ms=<the repo page's median> alone_30d_ms=<the sum of every panel alone, the
repo page and the filter values: the measure of earlier releases> worst_panel_ms=<highest
p95 of any panel alone (`ccotel.panels.PANELS`) in either view> worst=<its name>
worst_part_ms=<highest p95 of any of the page's parts> worst_part=<its name> timed=<how
many parts per view> failed=<how many failed, e.g. out of memory: listed above it, and nan
in the sums> memory_limit=<DuckDB's> events=<events in the store>
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ccotel import panel_data
from ccotel.demo.generate import spec_for_events
from ccotel.demo.load import write_bulk
from ccotel.panels import PANELS, page_batches
from ccotel.query import Query
from ccotel.store import MEMORY_LIMIT, attribution, logs, rollups, schema
from ccotel.store.writer import Writer


def p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def timed(cur: Any, q: Query) -> dict[str, Callable[[], object]]:
    """What can be asked for in view `q`, by name: each panel alone (as
    `/api/v1/panels/<id>`), the repo page (the repo with the most cost in the range) and
    the filter values."""
    out: dict[str, Callable[[], object]] = {
        p.id: (lambda pid=p.id: panel_data.panel_data(cur, pid, q)) for p in PANELS}
    return out | _pages(cur, q)


def page_parts(cur: Any, q: Query) -> dict[str, Callable[[], object]]:
    """What the dashboard page asks for when it opens view `q`, by name: each of its
    requests to `/api/v1/dashboard` (the panels of the same `together` in one, named
    after the first; `ccotel.panels.page_batches`), the logs, the filter values."""
    out: dict[str, Callable[[], object]] = {}
    for ids in page_batches():
        name = ids[0] if len(ids) == 1 else f"{ids[0]}+{len(ids) - 1}"
        out[name] = lambda ids=ids: panel_data.panels_data(cur, ids, q)
    out["logs"] = lambda: panel_data.panel_data(cur, "logs", q)
    out["filters"] = _pages(cur, q)["filters"]
    return out


def _pages(cur: Any, q: Query) -> dict[str, Callable[[], object]]:
    repos = attribution.breakdown_panel(cur, q, "repo")["items"]
    repo = repos[0]["name"] if repos else attribution.UNKNOWN
    return {"repo_page": lambda: attribution.repo_page(cur, q, repo),
            "filters": lambda: (logs.filters(cur, q), attribution.filter_values(cur, q))}


class Profiled:
    """A cursor whose every statement is profiled by DuckDB: `spent` adds up, over them,
    the seconds of each planning phase and of each statement in all. Results are fetched
    at once, so that each statement's profile is complete before the next one runs."""

    def __init__(self, cur: Any) -> None:
        self._cur, self.spent = cur, Counter[str]()
        self._rows: list[Any] = []
        self.description: Any = None
        cur.execute("SET enable_profiling = 'no_output'")
        cur.execute("SET profiling_mode = 'detailed'")

    def execute(self, query: str, *args: Any) -> Profiled:
        self._cur.execute(query, *args)
        self.description, self._rows = self._cur.description, self._cur.fetchall()
        prof = json.loads(self._cur.get_profiling_information(format="json"))
        self.spent["statements"] += 1
        self.spent["unprofiled"] += "query" not in prof  # DuckDB gave no profile
        self.spent["total"] += prof.get("query", {}).get("total_time", 0.0)
        for phase in ("planner", "optimizer", "physical_planner"):
            self.spent[phase] += prof.get(phase, {}).get("total_time", 0.0)
        for name, s in prof.get("optimizer", {}).items():
            if name != "total_time":
                self.spent["optimizer:" + name] += s
        return self

    def fetchall(self) -> list[Any]:
        return self._rows

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def close(self) -> None:
        self._cur.close()


def medians(cur: Any, q: Query, runs: int, failed: dict[str, str], view: str,
            parts: Callable[[Any, Query], dict[str, Callable[[], object]]] = page_parts
            ) -> dict[str, tuple[float, float]]:
    """Part name -> (median, p95) in ms of `runs` timed calls after a warm-up call, for
    view `q`, of `parts` (`page_parts`, or `timed`); a part that fails is recorded in
    `failed` and timed as nan."""
    out: dict[str, tuple[float, float]] = {}
    with rollups.known_until(rollups.rolled_until(cur)):  # as the server's reads run
        for name, fn in parts(cur, q).items():
            out[name] = _median(fn, runs, failed, f"{view}:{name}")
    return out


def _median(fn: Callable[[], object], runs: int, failed: dict[str, str], name: str
            ) -> tuple[float, float]:
    """(median, p95) in ms of `runs` timed calls of `fn` after a warm-up call; nan when it
    fails (recorded in `failed` under `name`)."""
    try:
        fn()  # warm: first use reads from disk
    except duckdb.Error as exc:  # e.g. out of memory at the server's limit
        failed[name] = type(exc).__name__
        return float("nan"), float("nan")
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), p95(times)


def worst_of(results: dict[str, dict[str, tuple[float, float]]], names: set[str]
             ) -> tuple[float, str]:
    """The highest p95 of the parts `names` in any view, and that part's name."""
    return max((p95_ms, name) for view in results.values()
               for name, (_, p95_ms) in view.items() if name in names and p95_ms == p95_ms)


def empty_view_ms(q: Query, runs: int, memory_limit: str) -> float:
    """The sum of the medians of view `q` over an empty store, opened as `ccotel serve`
    opens it."""
    with tempfile.TemporaryDirectory(prefix="ccotel-bench-empty-") as tmp:
        con = schema.connect(Path(tmp), memory_limit=memory_limit)
        try:
            cur = con.cursor()
            failed: dict[str, str] = {}
            total = sum(m for m, _ in medians(cur, q, runs, failed, "empty").values())
            return float("nan") if failed else total
        finally:
            con.close()


def profile(con: Any, view: str, q: Query) -> None:
    """Print where view `q`'s time goes (`--profile`)."""
    cur = Profiled(con.cursor())
    fns = page_parts(cur, q)
    with rollups.known_until(rollups.rolled_until(con)):  # as the server's reads run
        t0 = time.perf_counter()
        for fn in fns.values():
            fn()
        wall = time.perf_counter() - t0
    spent = cur.spent
    planning = spent["planner"] + spent["optimizer"] + spent["physical_planner"]
    print(f"profile {view}: {spent['statements']} statements in {wall * 1000:.0f} ms "
          f"(profiled): planning {planning * 1000:.0f} ms (binder {spent['planner'] * 1000:.0f}"
          f", optimizer {spent['optimizer'] * 1000:.0f}, physical planner "
          f"{spent['physical_planner'] * 1000:.0f}), statements in all "
          f"{spent['total'] * 1000:.0f} ms, outside DuckDB's profiles (Python, and "
          f"{spent['unprofiled']} statements DuckDB gave none for) "
          f"{(wall - spent['total']) * 1000:.0f} ms")
    slowest = sorted(((s, k.split(":", 1)[1]) for k, s in spent.items()
                      if k.startswith("optimizer:")), reverse=True)[:5]
    print(f"profile {view}: slowest optimizers: "
          + ", ".join(f"{name} {s * 1000:.0f} ms" for s, name in slowest))
    cur.close()


def store_arguments(ap: argparse.ArgumentParser) -> None:
    """The options that say which store a bench reads (`store`)."""
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--data-dir", type=Path, help="store to use (filled when empty)")
    ap.add_argument("--keep", action="store_true", help="keep the store afterwards")
    ap.add_argument("--memory-limit", default=MEMORY_LIMIT,
                    help="as 'ccotel serve --memory-limit' (default: its default)")


@contextmanager
def store(args: argparse.Namespace) -> Iterator[Path]:
    """The store's folder for `store_arguments`' options: `--data-dir`, else a temporary
    one, removed afterwards unless `--keep`."""
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="ccotel-bench-"))
    try:
        yield data_dir
    finally:
        if not args.keep and args.data_dir is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def fill(data_dir: Path, events: int, users: int, days: int,
         memory_limit: str) -> duckdb.DuckDBPyConnection:
    """The store in `data_dir`, filled with the demo team's `days` up to now (`events`
    events of `users` people) when it is empty; a fresh connection to it, opened as
    `ccotel serve` opens it."""
    con = schema.connect(data_dir, memory_limit=memory_limit)
    stored = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
    if stored:
        print(f"reusing {data_dir}: {stored:,} events")
        return con
    spec = spec_for_events(events, users, days, end=datetime.now(UTC).replace(tzinfo=None))
    t0 = time.perf_counter()
    counts = write_bulk(Writer(con), spec, progress=lambda line: print(f"  {line}",
                                                              file=sys.stderr))
    print(f"wrote {counts.events:,} events and {counts.points:,} points in "
          f"{time.perf_counter() - t0:.0f} s to {data_dir}")
    con.close()
    return schema.connect(data_dir, memory_limit=memory_limit)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(ap)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--runs", type=int, default=10, help="timed runs per panel and view")
    ap.add_argument("--profile", action="store_true",
                    help="also print where each view's time goes (DuckDB's profiler)")
    args = ap.parse_args()

    with store(args) as data_dir:
        con = fill(data_dir, args.events, args.users, args.days, args.memory_limit)
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        cur = con.cursor()  # the server reads on cursors of the writer's connection
        views = {"30d": Query.parse({"from": f"now-{args.days}d", "to": "now"}),
                 "1h": Query.parse({"from": "now-1h", "to": "now"})}
        results: dict[str, dict[str, tuple[float, float]]] = {}
        alone: dict[str, dict[str, tuple[float, float]]] = {}
        failed: dict[str, str] = {}
        for view, q in views.items():
            results[view] = medians(cur, q, args.runs, failed, view)
            alone[view] = medians(cur, q, args.runs, failed, f"{view} alone", timed)
        empty = empty_view_ms(views["30d"], args.runs, args.memory_limit)
        if args.profile:
            for view, q in views.items():
                profile(con, view, q)
        for title, table in (("the page's parts", results), ("each panel alone", alone)):
            print(f"{title:<26} {'30d p50':>9} {'30d p95':>9} {'1h p50':>9} {'1h p95':>9}"
                  "  (ms)")
            for name in table["30d"]:
                a, b = table["30d"][name], table["1h"][name]
                print(f"{name:<26} {a[0]:9.1f} {a[1]:9.1f} {b[0]:9.1f} {b[1]:9.1f}")
        total_30d = sum(m for m, _ in results["30d"].values())
        total_1h = sum(m for m, _ in results["1h"].values())
        alone_30d = sum(m for m, _ in alone["30d"].values())
        alone_1h = sum(m for m, _ in alone["1h"].values())
        worst, worst_name = worst_of(alone, {p.id for p in PANELS})
        worst_part, worst_part_name = worst_of(results, set(results["30d"]))
        for name, error in failed.items():
            print(f"FAILED {name}: {error}")
        print(f"dashboard_1h_ms={total_1h:.1f} alone_1h_ms={alone_1h:.1f}")
        print(f"empty_30d_ms={empty:.1f} (the 30-day view over an empty store)")
        print(f"dashboard_30d_ms={total_30d:.1f} "
              f"repo_page_30d_ms={alone['30d']['repo_page'][0]:.1f} "
              f"alone_30d_ms={alone_30d:.1f} worst_panel_ms={worst:.1f} worst={worst_name} "
              f"worst_part_ms={worst_part:.1f} worst_part={worst_part_name} "
              f"timed={len(results['30d'])} failed={len(failed)} "
              f"memory_limit={args.memory_limit} events={events}")
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
