"""The outbox is filled in the commit of the rows it carries, and bounded."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from ccotel.forward.outbox import Outbox
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import RejectedBatch, Writer
from tests.conftest import SCENARIOS, capture_requests, start_server
from tests.reliability.conftest import free_ports


def _logs_request() -> tuple[bytes, dict[str, object]]:
    req = next(r for r in capture_requests(SCENARIOS[0]) if r["path"].endswith("logs"))
    return json.dumps(req["body"]).encode(), req["body"]


def test_a_request_is_queued_exactly_when_its_rows_are_stored(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path), outbox=Outbox(["http://a:4318", "grpc://b:4317"]))
    body, _ = _logs_request()
    batch = decode_request("logs", body, "json")
    batch.request = b"stored"
    w.write_now(batch)
    rows = w.cursors().execute("SELECT target, signal, body FROM outbox ORDER BY id").fetchall()
    assert rows == [("http://a:4318", "logs", b"stored"), ("grpc://b:4317", "logs", b"stored")]
    # A batch whose rows cannot be stored leaves nothing to forward.
    bad = decode_request("logs", body, "json")
    bad.request = b"refused"
    for e in bad.events:
        e["event_key"] += "-new"
        e["input_tokens"] = 1 << 70
    with pytest.raises(RejectedBatch):
        w.write_now(bad)
    assert w.cursors().execute("SELECT count(*) FROM outbox").fetchone() == (2,)
    w.close()


def test_past_the_size_limit_the_oldest_requests_are_dropped_and_counted(
        tmp_path: Path) -> None:
    dead = free_ports(1)[0]  # nothing listens: everything waits in the outbox
    srv = start_server(tmp_path / "data", "--forward", f"http://127.0.0.1:{dead}",
                       "--forward-max-bytes", "4000")
    try:
        for req in capture_requests(SCENARIOS[0]):
            resp = httpx.post(f"{srv.http}{req['path']}", json=req["body"], timeout=30)
            assert resp.status_code == 200
        deadline = time.monotonic() + 30
        dropped = 0.0
        while time.monotonic() < deadline:
            text = httpx.get(srv.metrics, timeout=10).text
            lines = [ln for ln in text.splitlines()
                     if ln.startswith("ccotel_forward_dropped_total") and "outbox_full" in ln]
            dropped = float(lines[0].split()[-1]) if lines else 0.0
            if dropped:
                break
            time.sleep(0.5)
        assert dropped > 0
        waiting = [ln for ln in text.splitlines()
                   if ln.startswith("ccotel_forward_outbox_bytes{")]
        assert 0 < float(waiting[0].split()[-1]) <= 4000
    finally:
        srv.stop()
    assert "dropped the" in srv.output and "oldest requests" in srv.output
