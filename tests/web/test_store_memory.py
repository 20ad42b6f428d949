"""The UI port's reads: a query that finds no memory (a low `--memory-limit`, other
queries) is a 503 to retry, never a 500; health checks and panels are not held up by
whatever else reads the store."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from starlette.testclient import TestClient

from ccotel.panel_data import DATA
from ccotel.selfmetrics import ServerMetrics
from ccotel.store import schema
from ccotel.web.app import READERS, WebContext, build_app
from tests.web import known

LOW = "4MB"  # enough to open the store, not for most panels' queries
VIEW = "from=now-7d&to=now"


def test_a_query_without_memory_is_a_503_to_retry(tmp_path: Path) -> None:
    """At a memory limit too low for most panels' queries: each is a 200 or a 503 with
    Retry-After naming the setting, never a 500."""
    known.write(tmp_path, datetime.now(UTC).replace(tzinfo=None))
    con = schema.connect(tmp_path, memory_limit=LOW)
    metrics = ServerMetrics()
    try:
        client = TestClient(build_app(WebContext(con.cursor, metrics=metrics)),
                            raise_server_exceptions=False)
        answers = {p: client.get(f"/api/v1/panels/{p}?{VIEW}") for p in DATA}
    finally:
        con.close()
    assert {p: r.status_code for p, r in answers.items() if r.status_code not in (200, 503)} == {}
    busy = [r for r in answers.values() if r.status_code == 503]
    assert busy, "the limit was high enough for every query: lower LOW"
    # Every 503 is counted as busy; a read that fitted at its second try, as rerun.
    counted = _counted(metrics)
    assert counted["busy"] == len(busy)
    assert set(counted) <= {"busy", "rerun"}
    for r in busy:
        assert r.headers["Retry-After"] == "1"
        assert "--memory-limit" in json.loads(r.text)["error"]["message"]


def test_health_and_panels_answer_while_every_reader_is_busy(tmp_path: Path) -> None:
    """Every panel reader taken (slow queries) and an export running: /readyz still
    answers at once; with only the export running, panels do too."""
    known.write(tmp_path, datetime.now(UTC).replace(tzinfo=None))
    con = schema.connect(tmp_path)
    release, export_done = threading.Event(), threading.Event()
    ctx = WebContext(con.cursor)
    try:
        with TestClient(build_app(ctx)) as client:
            busy = [client.portal.start_task_soon(ctx.read, lambda cur: release.wait(30))
                    for _ in range(READERS)]
            export = client.portal.start_task_soon(
                lambda: ctx.read(lambda cur: export_done.wait(30), long=True))
            time.sleep(0.3)
            t0 = time.monotonic()
            assert client.get("/readyz").status_code == 200
            assert time.monotonic() - t0 < 2
            release.set()
            for f in busy:
                f.result(10)
            t0 = time.monotonic()
            assert client.get(f"/api/v1/panels/total_requests?{VIEW}").status_code == 200
            assert time.monotonic() - t0 < 5, "a panel waited for the export"
            export_done.set()
            export.result(10)
    finally:
        release.set()
        export_done.set()
        con.close()


def test_a_read_out_of_memory_beside_others_runs_again_alone(tmp_path: Path) -> None:
    """A read that finds no memory while other reads run is run again once they are done,
    alone, and answered (not 503); reads that come meanwhile wait for it. DuckDB's own
    OutOfMemoryException, raised by the read while another runs, stands for a limit shared
    by several queries."""
    con = schema.connect(tmp_path)
    metrics = ServerMetrics()
    ctx = WebContext(con.cursor, metrics=metrics)
    lock = threading.Lock()
    running: set[str] = set()
    log: list[tuple[str, frozenset[str]]] = []  # (a read starting, the reads running)
    slow_started, release = threading.Event(), threading.Event()

    def read(name: str, hungry: bool = False, slow: bool = False) -> Any:
        def fn(cur: Any) -> str:
            with lock:
                others = frozenset(running)
                log.append((name, others))
                if hungry and others:
                    raise duckdb.OutOfMemoryException("Out of Memory Error: could not "
                                                      "allocate block")
                running.add(name)
            try:
                if slow:
                    slow_started.set()
                    release.wait(10)
                return cur.execute("SELECT ?", [name]).fetchone()[0]
            finally:
                with lock:
                    running.discard(name)
        return fn

    try:
        with TestClient(build_app(ctx)) as client:
            slow = client.portal.start_task_soon(ctx.read, read("slow", slow=True))
            assert slow_started.wait(10)
            hungry = client.portal.start_task_soon(ctx.read, read("hungry", hungry=True))
            deadline = time.monotonic() + 10
            while sum(n == "hungry" for n, _ in log) < 1 and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(0.1)  # the retry waits for "slow"
            assert [n for n, _ in log] == ["slow", "hungry"]
            later = client.portal.start_task_soon(ctx.read, read("later"))
            time.sleep(0.2)
            assert [n for n, _ in log] == ["slow", "hungry"], "a read overtook the retry"
            release.set()
            assert slow.result(10) == "slow"
            assert hungry.result(10) == "hungry"
            assert later.result(10) == "later"
    finally:
        release.set()
        con.close()
    assert log == [("slow", frozenset()), ("hungry", frozenset({"slow"})),
                   ("hungry", frozenset()), ("later", frozenset())]
    assert _counted(metrics) == {"rerun": 1}


def _counted(metrics: ServerMetrics) -> dict[str, float]:
    """ccotel_store_reads_out_of_memory_total by outcome, as the metrics port shows it."""
    return {s.labels["outcome"]: s.value for m in metrics.registry.collect()
            if m.name == "ccotel_store_reads_out_of_memory"
            for s in m.samples if s.name.endswith("_total")}
