"""Retention removes old telemetry but keeps history imported from transcripts."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from ccotel.otlp.decode import decode_request
from ccotel.query import Query
from ccotel.store import reader, schema
from ccotel.store.rows import Batch
from ccotel.store.writer import Writer
from tests.conftest import capture_requests, claude_result

DAY_NS = 86_400 * 10**9


def logs(name: str, *, days_ago: int, source: str = "telemetry") -> Batch:
    req = next(r for r in capture_requests(name) if r["path"] == "/v1/logs")
    batch = decode_request("logs", json.dumps(req["body"]).encode(), "json")
    for row in batch.events:
        row["time_unix_nano"] -= days_ago * DAY_NS
        row["source"] = source
        row["event_key"] += f"/{source}"
    return batch


def test_old_telemetry_goes_and_imported_history_stays(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path), retention=timedelta(days=30))
    w.write_now(logs("basic", days_ago=60, source="transcript"))
    w.write_now(logs("bashfail", days_ago=60))
    w.write_now(logs("edit", days_ago=1))
    everything = Query(start=datetime(2000, 1, 1), end=datetime(2100, 1, 1))
    assert reader.summary(w.cursors(), everything)["requests"] == 6
    now = datetime(2026, 11, 27, 12)
    w.apply_retention(now=now)
    after = reader.summary(w.cursors(), everything)
    assert after["requests"] == 4  # basic's two (imported) + edit's two
    assert after["tool_failures"] == 0  # bashfail's telemetry is gone
    assert after["cost_usd"] == pytest.approx(
        claude_result("basic")["total_cost_usd"] + claude_result("edit")["total_cost_usd"],
        abs=1e-9)
    # A second run a day later keeps the same history and the rollups agree with raw rows.
    w.apply_retention(now=now + timedelta(days=1))
    old = Query(start=datetime(2026, 9, 1), end=datetime(2026, 10, 1))
    assert reader.summary(w.cursors(), old)["requests"] == 2
    assert reader.summary(w.cursors(), everything) == {**after, "to": after["to"]}
