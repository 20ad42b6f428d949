"""Retention: rows older than --retention go, on a schedule, and the database file stops
growing once data arrives as fast as it expires. Time is shifted, never waited for: rows
are written with old timestamps, or retention is told what "now" is."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.rows import Batch
from ccotel.store.writer import Writer
from tests.reliability.conftest import serve

DAY_NS = 86_400 * 10**9
NOW = datetime(2026, 6, 1, tzinfo=UTC)
NOW_NS = int(NOW.timestamp()) * 10**9


def _kv(key: str, value: Any) -> KeyValue:
    v = AnyValue(int_value=value) if isinstance(value, int) else AnyValue(string_value=value)
    return KeyValue(key=key, value=v)


def logs_body(t_ns: int, n: int, *, filler: int = 64) -> bytes:
    """n api_request events at t_ns, each with `filler` bytes of unique text (so the
    file has real data to grow with)."""
    req = ExportLogsServiceRequest()
    sl = req.resource_logs.add().scope_logs.add()
    sid = str(uuid.uuid4())
    for i in range(n):
        rec = sl.log_records.add(time_unix_nano=t_ns + i * 1_000_000)
        rec.body.string_value = "claude_code.api_request"
        rec.attributes.extend([_kv("session.id", sid), _kv("event.sequence", i),
                               _kv("event.name", "api_request"), _kv("input_tokens", i),
                               _kv("note", os.urandom(filler // 2).hex())])
    return req.SerializeToString()


def metrics_body(t_ns: int) -> bytes:
    req = ExportMetricsServiceRequest()
    m = req.resource_metrics.add().scope_metrics.add().metrics.add(
        name="claude_code.cost.usage", unit="USD")
    m.sum.aggregation_temporality = 1
    m.sum.is_monotonic = True
    dp = m.sum.data_points.add(start_time_unix_nano=t_ns - 10**9, time_unix_nano=t_ns,
                               as_double=0.5)
    dp.attributes.append(_kv("session.id", str(uuid.uuid4())))
    return req.SerializeToString()


def traces_body(t_ns: int) -> bytes:
    req = ExportTraceServiceRequest()
    sp = req.resource_spans.add().scope_spans.add().spans.add(
        trace_id=os.urandom(16), span_id=os.urandom(8), name="claude_code.interaction",
        start_time_unix_nano=t_ns, end_time_unix_nano=t_ns + 10**9)
    sp.attributes.append(_kv("session.id", "s"))
    return req.SerializeToString()


def batches(t_ns: int) -> list[Batch]:
    return [decode_request("logs", logs_body(t_ns, 20), "protobuf"),
            decode_request("metrics", metrics_body(t_ns), "protobuf"),
            decode_request("traces", traces_body(t_ns), "protobuf")]


def counts(con: Any) -> dict[str, int]:
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("events", "points", "spans")}


def test_rows_older_than_the_retention_are_removed_and_newer_kept(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    writer = Writer(con, retention=timedelta(days=30))
    for age_days in (45, 31, 29, 1):
        for b in batches(NOW_NS - age_days * DAY_NS):
            writer.write_now(b)
    assert counts(con) == {"events": 80, "points": 4, "spans": 4}
    removed = writer.apply_retention(NOW)
    assert removed == 2 * (20 + 1 + 1)
    assert counts(con) == {"events": 40, "points": 2, "spans": 2}
    (oldest,) = con.execute("SELECT min(ts) FROM events").fetchone()
    assert oldest >= (NOW - timedelta(days=30)).replace(tzinfo=None)
    # Running it again removes nothing more.
    assert writer.apply_retention(NOW) == 0
    con.close()


def test_retention_runs_on_its_schedule_in_the_writer_thread(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    writer = Writer(con, retention=timedelta(days=30), retention_interval_s=0.1)
    writer.start()
    try:
        now = time.time_ns()
        for b in [*batches(now - 40 * DAY_NS), *batches(now)]:
            writer.submit(b).result(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            # Read on the writer, between its runs (it may be mid-retention).
            if writer.write_sync(counts) == {"events": 20, "points": 1, "spans": 1}:
                break
            time.sleep(0.05)
        assert writer.write_sync(counts) == {"events": 20, "points": 1, "spans": 1}
    finally:
        writer.close()


def test_the_file_stops_growing_when_data_expires_as_fast_as_it_arrives(tmp_path: Path) -> None:
    """Ingest a day's data, then expire, 14 simulated days with 3 days kept: the live data
    stays constant after day 3, and so must the file, give or take DuckDB's block reuse."""
    con = schema.connect(tmp_path)
    writer = Writer(con, retention=timedelta(days=3))
    path = schema.db_path(tmp_path)
    sizes = []
    for day in range(14):
        t = NOW_NS + day * DAY_NS
        for _ in range(2):
            writer.write_now(decode_request("logs", logs_body(t, 2000, filler=256), "protobuf"))
        writer.apply_retention(datetime.fromtimestamp(t / 1e9, tz=UTC))
        sizes.append(os.path.getsize(path))
    con.close()
    print(f"\nretention: file size per simulated day (MiB): "
          f"{[round(s / 2**20, 1) for s in sizes]}")
    steady = max(sizes[4:9])
    # Without reuse the last five days would add ~5 more days' worth (>50% growth).
    assert max(sizes[9:]) <= steady * 1.15, sizes


@pytest.mark.e2e
def test_a_live_server_expires_old_data_on_schedule(tmp_path: Path) -> None:
    srv = serve(tmp_path / "data", "--retention", "30d", "--retention-interval", "200ms")
    try:
        now = time.time_ns()
        for t in (now - 40 * DAY_NS, now):
            r = httpx.post(f"{srv.http}/v1/logs", content=logs_body(t, 10), timeout=30,
                           headers={"content-type": "application/x-protobuf"})
            assert r.status_code == 200
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if srv.summary()["requests"] == 10:
                break
            time.sleep(0.1)
        assert srv.summary()["requests"] == 10
    finally:
        srv.stop()


@pytest.mark.e2e
@pytest.mark.parametrize("value", ["forever", "99999999999y"])
def test_a_bad_retention_is_a_startup_error(tmp_path: Path, value: str) -> None:
    with pytest.raises(RuntimeError, match=r"retention|duration|range"):
        serve(tmp_path / "data", "--retention", value)
