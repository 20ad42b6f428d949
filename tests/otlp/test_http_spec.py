"""OTLP/HTTP to the letter of opentelemetry-proto docs/specification.md, on a live server."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)

from ccotel.otlp.decode import parse_message
from tests.conftest import Server, capture_requests, claude_result, start_server

PB = {"content-type": "application/x-protobuf"}
JS = {"content-type": "application/json"}


def send_capture(srv: Server, name: str, *, encoding: str = "json",
                 gzip_body: bool = False) -> None:
    for req in capture_requests(name):
        signal = req["path"].split("/")[-1]
        body = json.dumps(req["body"]).encode()
        headers = dict(JS)
        if encoding == "protobuf":
            body = parse_message(signal, body, "json").SerializeToString()
            headers = dict(PB)
        if gzip_body:
            body = gzip.compress(body)
            headers["content-encoding"] = "gzip"
        resp = httpx.post(srv.http + req["path"], content=body, headers=headers, timeout=30)
        assert resp.status_code == 200, resp.text
        assert resp.headers["content-type"].startswith(headers["content-type"])


def status_of(resp: httpx.Response) -> status_pb2.Status:
    st = status_pb2.Status()
    if resp.headers["content-type"].startswith("application/json"):
        json_format.Parse(resp.text, st)
    else:
        st.ParseFromString(resp.content)
    return st


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = start_server(tmp_path_factory.mktemp("http") / "data", "--max-body", "200000")
    yield s
    s.stop()


def test_full_success_json_leaves_partial_success_unset(srv: Server) -> None:
    body = json.dumps(capture_requests("basic")[1]["body"]).encode()
    resp = httpx.post(srv.http + "/v1/logs", content=body, headers=JS)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("application/json")
    assert resp.json() == {}


def test_full_success_protobuf_answers_protobuf(srv: Server) -> None:
    req = ExportLogsServiceRequest()
    req.resource_logs.add().scope_logs.add().log_records.add(time_unix_nano=1)
    resp = httpx.post(srv.http + "/v1/logs", content=req.SerializeToString(), headers=PB)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "application/x-protobuf"
    out = ExportLogsServiceResponse.FromString(resp.content)
    assert not out.HasField("partial_success")


@pytest.mark.parametrize("encoding,gz", [("json", False), ("protobuf", False), ("json", True),
                                         ("protobuf", True)])
def test_every_encoding_stores_exact_totals(tmp_path: Path, encoding: str, gz: bool) -> None:
    s = start_server(tmp_path / "d")
    try:
        send_capture(s, "basic", encoding=encoding, gzip_body=gz)
        result = claude_result("basic")
        got = s.summary(session=result["session_id"])
        assert got["cost_usd"] == pytest.approx(result["total_cost_usd"], abs=1e-9)
        assert got["requests"] == 2 and got["tool_calls"] == 1
    finally:
        s.stop()


def test_bad_json_is_400_with_a_status_body_in_json(srv: Server) -> None:
    resp = httpx.post(srv.http + "/v1/logs", content=b'{"resourceLogs": [', headers=JS)
    assert resp.status_code == 400
    assert resp.headers["content-type"].startswith("application/json")
    st = status_of(resp)
    assert st.code == code_pb2.INVALID_ARGUMENT and "JSON" in st.message


def test_truncated_protobuf_is_400_with_a_protobuf_status(srv: Server) -> None:
    good = ExportLogsServiceRequest()
    good.resource_logs.add().scope_logs.add().log_records.add(
        time_unix_nano=1).body.string_value = "x" * 50
    resp = httpx.post(srv.http + "/v1/logs", content=good.SerializeToString()[:-10], headers=PB)
    assert resp.status_code == 400
    assert resp.headers["content-type"] == "application/x-protobuf"
    assert status_of(resp).code == code_pb2.INVALID_ARGUMENT


def test_wrong_types_in_json_are_400(srv: Server) -> None:
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"timeUnixNano": {"a": 1}}]}]}]}
    resp = httpx.post(srv.http + "/v1/logs", content=json.dumps(body), headers=JS)
    assert resp.status_code == 400


def test_unknown_content_type_is_415(srv: Server) -> None:
    resp = httpx.post(srv.http + "/v1/logs", content=b"{}", headers={"content-type": "text/plain"})
    assert resp.status_code == 415
    assert "application/x-protobuf" in status_of(resp).message


def test_size_limit_is_measured_after_decompression(srv: Server) -> None:
    # 1 MB of zeros compresses to ~1 KB: small on the wire, too large once inflated.
    body = json.dumps({"resourceLogs": [], "pad": "0" * 1_000_000}).encode()
    packed = gzip.compress(body)
    assert len(packed) < 200_000
    resp = httpx.post(srv.http + "/v1/logs", content=packed,
                      headers={**JS, "content-encoding": "gzip"})
    assert resp.status_code == 413
    assert status_of(resp).code == code_pb2.RESOURCE_EXHAUSTED


def test_plain_body_over_the_limit_is_413(srv: Server) -> None:
    resp = httpx.post(srv.http + "/v1/logs", content=b"{" + b" " * 300_000 + b"}", headers=JS)
    assert resp.status_code == 413


def test_bad_gzip_is_400(srv: Server) -> None:
    resp = httpx.post(srv.http + "/v1/logs", content=b"\x1f\x8b\x08nonsense",
                      headers={**JS, "content-encoding": "gzip"})
    assert resp.status_code == 400


def test_get_is_405(srv: Server) -> None:
    assert httpx.get(srv.http + "/v1/logs").status_code == 405


def test_after_bad_requests_good_data_is_accepted_and_nothing_is_lost(tmp_path: Path) -> None:
    s = start_server(tmp_path / "d", "--max-body", "100000")
    try:
        send_capture(s, "basic")
        before = s.summary()
        bad = [
            (b"\x00\xff" * 100, PB),
            (b"not json", JS),
            (b"{}", {"content-type": "application/xml"}),
            (gzip.compress(b"{" + b" " * 500_000 + b"}"), {**JS, "content-encoding": "gzip"}),
        ]
        for body, headers in bad:
            assert httpx.post(s.http + "/v1/logs", content=body, headers=headers).status_code in (
                400, 413, 415)
        after = s.summary(to=before["to"])
        assert after == before
        send_capture(s, "bashfail")
        both = s.summary()
        assert both["cost_usd"] == pytest.approx(
            claude_result("basic")["total_cost_usd"] + claude_result("bashfail")["total_cost_usd"],
            abs=1e-9)
        assert httpx.get(s.ui + "/readyz").status_code == 200
    finally:
        s.stop()
