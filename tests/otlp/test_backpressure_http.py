"""OTLP/HTTP asks clients to back off when the writer falls behind."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from ccotel.otlp import http as otlp_http
from ccotel.otlp.decode import decode_request
from ccotel.otlp.ingest import Ingestor
from ccotel.selfmetrics import ServerMetrics
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.conftest import capture_requests


def test_full_queue_answers_503_with_retry_after(tmp_path: Path) -> None:
    writer = Writer(schema.connect(tmp_path), max_queue=1)  # not started: never drains
    body = json.dumps(next(r for r in capture_requests("basic") if r["path"] == "/v1/logs")["body"])
    writer.submit(decode_request("logs", body.encode(), "json"))  # fills the queue
    app = otlp_http.build_app(Ingestor(writer, ServerMetrics()), max_body=1 << 20)
    with TestClient(app) as client:
        resp = client.post("/v1/logs", content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 503
    assert int(resp.headers["retry-after"]) >= 1
    assert resp.json()["code"] == 14  # UNAVAILABLE
