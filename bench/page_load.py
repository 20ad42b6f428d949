"""Benchmark: the dashboard page's loads, as a browser makes them, from a real `ccotel serve`.

The store is `bench/dashboard.py`'s (the demo team's 30 days, ~10 M events by default;
`--data-dir` reuses one). First, in this process, each request's data function is run once
after the other on one cursor (`bench/dashboard.py`'s measure: the baseline); then the
store is served by `ccotel serve` on free ports, and every request the page makes when it
opens a view (`/api/v1/dashboard` for each batch of panels, the logs, the filter values:
bench/dashboard.py's page_parts) is sent over `--connections`
kept-alive HTTP connections (6: a browser's per host), each 503 asked again after its
Retry-After as the page does. The time of a view is from the first request sent to the
last answer read; the median of `--runs`, after one warm-up.

    python bench/page_load.py --data-dir /tmp/bench --keep

Last line: page_30d_ms=<N> page_1h_ms=<N> serial_30d_ms=<N> serial_1h_ms=<N>
ratio_30d=<page/serial> ratio_1h=<page/serial> retries=<503s asked again> events=<N>
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/dashboard.py
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

import dashboard  # bench/dashboard.py, beside this file

from ccotel.panels import page_batches
from ccotel.query import Query
from ccotel.store import rollups
from tests.conftest import start_server

VIEWS = {"30d": "now-30d", "1h": "now-1h"}
RETRIES = 4  # as the page (static/api.js: RETRIES_503)


def serial_ms(con: object, since: str) -> float:
    """The page's requests' data functions, one after the other in this process, ms."""
    q = Query.parse({"from": since, "to": "now"})
    cur = con.cursor()  # type: ignore[attr-defined]
    calls = list(dashboard.page_parts(cur, q).values())  # bench/dashboard.py's
    with rollups.known_until(rollups.rolled_until(cur)):  # as the server's reads run
        for call in calls:  # warm: the first use reads from disk
            call()
        t0 = time.perf_counter()
        for call in calls:
            call()
        ms = (time.perf_counter() - t0) * 1000
    cur.close()
    return ms


async def page_ms(base: str, since: str, connections: int, runs: int) -> tuple[float, int]:
    """(the median time to load view `since` as the page does, ms; the 503s asked again)."""
    # as static/dashboard.js asks (bench/dashboard.py: page_parts)
    asks = [("/api/v1/dashboard", {"panels": ",".join(ids)}) for ids in page_batches()]
    asks += [("/api/v1/panels/logs", {}), ("/api/v1/filters", {})]
    params = {"from": since, "to": "now"}
    retried = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        async def get(path: str, extra: dict[str, str]) -> None:
            nonlocal retried
            for attempt in range(RETRIES + 1):
                r = await client.get(path, params={**params, **extra})
                if r.status_code != 503 or attempt == RETRIES:
                    break
                retried += 1
                await asyncio.sleep(min(float(r.headers.get("retry-after") or 1), 5))
            r.raise_for_status()

        times = []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            await asyncio.gather(*(get(p, extra) for p, extra in asks))
            if i:  # the first: warm-up
                times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), retried


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    dashboard.store_arguments(ap)
    ap.add_argument("--runs", type=int, default=5, help="timed loads per view")
    ap.add_argument("--connections", type=int, default=6)
    args = ap.parse_args()

    with dashboard.store(args) as data_dir:
        con = dashboard.fill(data_dir, args.events, args.users, 30, args.memory_limit)
        events = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        serial = {view: serial_ms(con, since) for view, since in VIEWS.items()}
        con.close()
        # The store's data is up to 30 days old: a longer retention keeps all of it.
        srv = start_server(data_dir, "--memory-limit", args.memory_limit,
                           "--retention", "3650d", timeout=120)
        try:
            page: dict[str, float] = {}
            retried = 0
            for view, since in VIEWS.items():
                page[view], n = asyncio.run(page_ms(srv.ui, since, args.connections,
                                                    args.runs))
                retried += n
        finally:
            srv.stop()
        for view in VIEWS:
            print(f"{view}: the page {page[view]:.0f} ms over {args.connections} connections, "
                  f"its requests one after the other in process {serial[view]:.0f} ms")
        print(f"page_30d_ms={page['30d']:.0f} page_1h_ms={page['1h']:.0f} "
              f"serial_30d_ms={serial['30d']:.0f} serial_1h_ms={serial['1h']:.0f} "
              f"ratio_30d={page['30d'] / serial['30d']:.2f} "
              f"ratio_1h={page['1h'] / serial['1h']:.2f} retries={retried} events={events}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
