"""Decoding Claude Code's real payloads: names, types, ids and every attribute kept."""

from __future__ import annotations

import base64
import json

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord

from ccotel.claude import catalogue
from ccotel.otlp.decode import DecodeError, decode_request, parse_message
from tests.conftest import SCENARIOS, capture_requests


def _decode(name: str, path: str):
    reqs = [r for r in capture_requests(name) if r["path"] == path]
    return [decode_request(path.split("/")[-1], json.dumps(r["body"]).encode(), "json")
            for r in reqs]


def test_every_scenario_captured() -> None:
    assert set(SCENARIOS) >= {"basic", "api_error", "bashfail", "denied", "details", "edit"}


def test_string_typed_numbers_and_booleans_are_stored_typed() -> None:
    (batch,) = _decode("basic", "/v1/logs")
    tool = next(e for e in batch.events if e["event_name"] == "tool_result")
    assert tool["success"] is True
    assert tool["duration_ms"] == 23.0
    extra = json.loads(tool["attributes"])
    assert extra["tool_input_size_bytes"] == 60 and extra["tool_result_size_bytes"] == 15
    prompt = next(e for e in batch.events if e["event_name"] == "user_prompt")
    assert json.loads(prompt["attributes"])["prompt_length"] == 14


def test_bash_failure_is_a_typed_false() -> None:
    (batch,) = _decode("bashfail", "/v1/logs")
    tool = next(e for e in batch.events if e["event_name"] == "tool_result")
    assert tool["success"] is False
    assert tool["error_type"] == "ShellError"


def test_event_name_falls_back_to_body_without_prefix() -> None:
    rec = LogRecord(time_unix_nano=1, body=AnyValue(string_value="claude_code.brand_new"))
    rec.attributes.append(KeyValue(key="session.id", value=AnyValue(string_value="s")))
    req = ExportLogsServiceRequest()
    req.resource_logs.add().scope_logs.add().log_records.append(rec)
    batch = decode_request("logs", req.SerializeToString(), "protobuf")
    assert batch.events[0]["event_name"] == "brand_new"
    assert batch.events[0]["body"] == "claude_code.brand_new"


def test_unknown_events_and_attributes_are_kept_whole() -> None:
    rec = LogRecord(time_unix_nano=5, body=AnyValue(string_value="claude_code.future_event"))
    for k, v in [("event.name", AnyValue(string_value="future_event")),
                 ("new.thing", AnyValue(int_value=7)),
                 ("nested", AnyValue(kvlist_value={"values": [
                     KeyValue(key="a", value=AnyValue(bool_value=True))]}))]:
        rec.attributes.append(KeyValue(key=k, value=v))
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.append(KeyValue(key="team", value=AnyValue(string_value="infra")))
    rl.scope_logs.add().log_records.append(rec)
    (ev,) = decode_request("logs", req.SerializeToString(), "protobuf").events
    assert json.loads(ev["attributes"]) == {"new.thing": 7, "nested": {"a": True}}
    assert json.loads(ev["resource"]) == {"team": "infra"}


def test_every_attribute_of_every_capture_is_kept() -> None:
    """Each record attribute lands in a typed column or in the JSON attributes."""
    for name in SCENARIOS:
        for req in capture_requests(name):
            if req["path"] != "/v1/logs":
                continue
            batch = decode_request("logs", json.dumps(req["body"]).encode(), "json")
            records = [r for rl in req["body"]["resourceLogs"] for sl in rl["scopeLogs"]
                       for r in sl["logRecords"]]
            for rec, row in zip(records, batch.events, strict=True):
                extra = json.loads(row["attributes"])
                for kv in rec["attributes"]:
                    key = kv["key"]
                    col = catalogue.EVENT_COLUMNS.get(key)
                    assert key in extra or (col is not None and row.get(col) is not None), (
                        f"{name}: attribute {key} lost")


def test_json_hex_ids_are_decoded_not_garbled() -> None:
    (batch,) = _decode("basic", "/v1/traces")
    span = batch.spans[0]
    raw = capture_requests("basic")[0]["body"]["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    assert span["trace_id"] == raw["traceId"] and span["span_id"] == raw["spanId"]
    assert span["parent_span_id"] == raw["parentSpanId"]


def test_log_trace_ids_round_trip() -> None:
    (batch,) = _decode("basic", "/v1/logs")
    ev = next(e for e in batch.events if e["event_name"] == "api_request")
    assert ev["trace_id"] == "bf764a595b5b979debd8ed4a60787145"
    assert ev["span_id"] == "ab35880995355d9a"


@pytest.mark.parametrize("bad", ["zz" * 16, "abcd", base64.b64encode(b"x" * 16).decode()])
def test_json_non_hex_ids_are_rejected(bad: str) -> None:
    body = {"resourceSpans": [{"scopeSpans": [{"spans": [
        {"traceId": bad, "spanId": "11a5b3bfc60c0a11", "name": "x"}]}]}]}
    with pytest.raises(DecodeError):
        decode_request("traces", json.dumps(body).encode(), "json")


def test_json_int64_as_string_or_number_enums_as_integers_unknown_fields_ignored() -> None:
    body = {"resourceMetrics": [{"scopeMetrics": [{"metrics": [{
        "name": "claude_code.commit.count", "futureField": {"x": 1},
        "sum": {"aggregationTemporality": 1, "isMonotonic": True, "dataPoints": [
            {"startTimeUnixNano": 1000, "timeUnixNano": "2000", "asInt": "3"},
            {"startTimeUnixNano": "2000", "timeUnixNano": 3000, "asDouble": 2.5}]}}]}]}]}
    batch = decode_request("metrics", json.dumps(body).encode(), "json")
    assert [(p["start_unix_nano"], p["time_unix_nano"], p["value"]) for p in batch.points] == [
        (1000, 2000, 3.0), (2000, 3000, 2.5)]
    assert batch.points[0]["temporality"] == 1


def test_spans_keep_parent_links_and_span_events() -> None:
    (batch,) = _decode("edit", "/v1/traces")
    by_id = {s["span_id"]: s for s in batch.spans}
    llm = next(s for s in batch.spans if s["name"] == "claude_code.llm_request")
    assert llm["parent_span_id"] in by_id or llm["parent_span_id"] is not None
    events = json.loads(llm["events"])
    assert events and events[0]["name"] == "gen_ai.request.attempt"
    assert json.loads(llm["attributes"])["input_tokens"] == 1200


@pytest.mark.parametrize("body", [b"\x0a\xff\xff\xff\xff\x0f", b"\x12", b"garbage" * 3])
def test_truncated_or_random_protobuf_is_a_decode_error(body: bytes) -> None:
    with pytest.raises(DecodeError):
        parse_message("metrics", body, "protobuf")


def test_histograms_and_gauges_are_kept() -> None:
    req = ExportMetricsServiceRequest()
    sm = req.resource_metrics.add().scope_metrics.add()
    h = sm.metrics.add(name="latency", unit="ms")
    h.histogram.aggregation_temporality = 1
    dp = h.histogram.data_points.add(start_time_unix_nano=1, time_unix_nano=2, count=3, sum=30.0)
    dp.explicit_bounds.extend([10, 20])
    dp.bucket_counts.extend([1, 1, 1])
    g = sm.metrics.add(name="queue")
    g.gauge.data_points.add(time_unix_nano=2, as_int=9)
    batch = decode_request("metrics", req.SerializeToString(), "protobuf")
    hist, gauge = batch.points
    assert hist["kind"] == "histogram" and hist["count"] == 3 and hist["sum"] == 30.0
    assert json.loads(hist["detail"]) == {"bounds": [10.0, 20.0], "counts": [1, 1, 1]}
    assert gauge["kind"] == "gauge" and gauge["value"] == 9.0


def test_a_non_string_service_name_stays_in_the_resource_json() -> None:
    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(
        array_value={"values": [AnyValue(string_value="a")]})))
    rl.scope_logs.add().log_records.add(time_unix_nano=5)
    (ev,) = decode_request("logs", req.SerializeToString(), "protobuf").events
    assert ev["service_name"] is None
    assert json.loads(ev["resource"]) == {"service.name": ["a"]}


def test_timestamps_beyond_int64_fall_back_instead_of_failing_the_export() -> None:
    req = ExportLogsServiceRequest()
    sl = req.resource_logs.add().scope_logs.add()
    sl.log_records.add(time_unix_nano=2**64 - 1, observed_time_unix_nano=7)
    sl.log_records.add(time_unix_nano=2**63)
    a, b = decode_request("logs", req.SerializeToString(), "protobuf").events
    assert a["time_unix_nano"] == 7
    # No usable time as sent: 0 in the row (identity), placed at its receive time.
    assert b["time_unix_nano"] == 0 and 0 < b["ts"] * 1000 < 2**63


def test_out_of_range_rows_are_stored_with_the_rest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from ccotel.store import schema
    from ccotel.store.writer import Writer

    req = ExportLogsServiceRequest()
    rl = req.resource_logs.add()
    rl.resource.attributes.append(KeyValue(key="service.name", value=AnyValue(int_value=3)))
    sl = rl.scope_logs.add()
    sl.log_records.add(time_unix_nano=2**64 - 1).body.string_value = "claude_code.x"
    sl.log_records.add(time_unix_nano=10).body.string_value = "claude_code.y"
    w = Writer(schema.connect(tmp_path))
    w.write_now(decode_request("logs", req.SerializeToString(), "protobuf"))
    assert w.cursors().execute("SELECT count(*) FROM events").fetchone() == (2,)


def test_absurd_token_counts_and_costs_are_kept_but_not_summed() -> None:
    rec = LogRecord(time_unix_nano=5, body=AnyValue(string_value="claude_code.api_request"))
    for k, v in [("event.name", AnyValue(string_value="api_request")),
                 ("input_tokens", AnyValue(int_value=2**63 - 1)),
                 ("output_tokens", AnyValue(int_value=-3)),
                 ("cache_read_tokens", AnyValue(int_value=10)),
                 ("cost_usd", AnyValue(double_value=1e300))]:
        rec.attributes.append(KeyValue(key=k, value=v))
    req = ExportLogsServiceRequest()
    req.resource_logs.add().scope_logs.add().log_records.append(rec)
    (ev,) = decode_request("logs", req.SerializeToString(), "protobuf").events
    assert "input_tokens" not in ev and "output_tokens" not in ev and "cost_usd" not in ev
    assert ev["cache_read_tokens"] == 10
    assert json.loads(ev["attributes"]) == {"input_tokens": 2**63 - 1, "output_tokens": -3,
                                            "cost_usd": 1e300}
