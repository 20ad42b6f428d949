"""ccotel's own metrics on the metrics port: requests and records by outcome, queue, commits."""

from __future__ import annotations

import json

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Server, capture_requests


def samples(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(server.metrics, timeout=10).text
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(text) for s in fam.samples}


def test_requests_and_records_are_counted_per_signal_protocol_and_outcome(server: Server) -> None:
    logs = next(r for r in capture_requests("basic") if r["path"] == "/v1/logs")
    records = sum(len(sl["logRecords"]) for rl in logs["body"]["resourceLogs"]
                  for sl in rl["scopeLogs"])
    ok = httpx.post(server.http + "/v1/logs", content=json.dumps(logs["body"]),
                    headers={"content-type": "application/json"})
    bad = httpx.post(server.http + "/v1/logs", content=b"{nope",
                     headers={"content-type": "application/json"})
    assert (ok.status_code, bad.status_code) == (200, 400)
    s = samples(server)
    req = "ccotel_otlp_requests_total"
    rec = "ccotel_otlp_records_total"
    lab = (("outcome", "accepted"), ("protocol", "http"), ("signal", "logs"))
    assert s[(req, lab)] == 1
    assert s[(req, (("outcome", "invalid"), ("protocol", "http"), ("signal", "logs")))] == 1
    assert s[(rec, (("outcome", "received"), ("protocol", "http"), ("signal", "logs")))] == records
    assert s[(rec, lab)] == records
    assert s[("ccotel_write_queue_depth", ())] == 0
    assert s[("ccotel_commit_seconds_count", ())] >= 1
