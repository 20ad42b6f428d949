"""GET /api/v1/summary: exactly the documented keys, time ranges, filters, error envelope."""

from __future__ import annotations

import json

import pytest
from starlette.testclient import TestClient

from ccotel.otlp.decode import decode_request
from ccotel.store import reader, schema
from ccotel.store.writer import Writer
from ccotel.web.app import WebContext, build_app
from tests.conftest import capture_requests, claude_result

KEYS = ["from", "to", "sessions", "users", "requests", "errors", "tool_calls", "tool_failures",
        "cost_usd", "tokens", "avg_response_ms", "lines_added", "lines_removed", "commits",
        "pull_requests"]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    w = Writer(schema.connect(tmp_path_factory.mktemp("api")))
    for name in ("basic", "bashfail", "api_error"):
        for req in capture_requests(name):
            w.write_now(decode_request(req["path"].split("/")[-1],
                                       json.dumps(req["body"]).encode(), "json"))
    return TestClient(build_app(WebContext(w.cursors)))


def test_exactly_the_documented_keys(client: TestClient) -> None:
    body = client.get("/api/v1/summary", params={"from": "0"}).json()
    assert list(body) == KEYS == list(reader.SUMMARY_KEYS)
    assert set(body["tokens"]) == {"input", "output", "cacheRead", "cacheCreation"}


def test_default_range_is_the_last_24_hours(client: TestClient) -> None:
    body = client.get("/api/v1/summary").json()
    # The captures are from 2026-11-27 04:18Z; whatever today is, the window is 24 h wide.
    from datetime import datetime

    span = datetime.fromisoformat(body["to"][:-1]) - datetime.fromisoformat(body["from"][:-1])
    assert span.total_seconds() == 24 * 3600


def test_rfc3339_and_epoch_ms_select_the_same_window(client: TestClient) -> None:
    a = client.get("/api/v1/summary", params={"from": "2026-11-27T04:18:00Z",
                                              "to": "2026-11-27T04:19:00Z"}).json()
    b = client.get("/api/v1/summary", params={"from": "1795753080000",
                                              "to": "1795753140000"}).json()
    assert a == b and a["requests"] == 4 and a["errors"] == 1


def test_window_excludes_what_is_outside(client: TestClient) -> None:
    body = client.get("/api/v1/summary", params={"from": "2026-11-27T04:19:00Z",
                                                 "to": "2026-11-27T05:00:00Z"}).json()
    assert body["requests"] == 0 and body["cost_usd"] == 0


def test_filters(client: TestClient) -> None:
    sid = claude_result("bashfail")["session_id"]
    s = client.get("/api/v1/summary", params={"from": "0", "session": sid}).json()
    assert s["sessions"] == 1 and s["tool_failures"] == 1 and s["requests"] == 2
    m = client.get("/api/v1/summary", params={"from": "0", "model": "claude-opus-5-5"}).json()
    assert m["requests"] == 4
    none = client.get("/api/v1/summary", params={"from": "0", "user": "nobody"}).json()
    assert none["requests"] == 0 and none["sessions"] == 0


def test_bad_parameters_get_the_error_envelope(client: TestClient) -> None:
    resp = client.get("/api/v1/summary", params={"from": "soon"})
    assert resp.status_code == 400
    assert resp.json() == {"error": {"status": 400, "message": resp.json()["error"]["message"]}}
    assert "not a time" in resp.json()["error"]["message"]
    backwards = client.get("/api/v1/summary", params={"from": "now", "to": "now-1h"})
    assert backwards.status_code == 400


def test_readyz(client: TestClient) -> None:
    assert client.get("/readyz").json()["status"] == "ok"
