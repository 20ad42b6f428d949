"""Identity comes from the data as sent, never from when it arrived: a resent record is
stored once, however its copies came (every transport, after a restart, with another
time), and a point without a time is refused with a partial success, not stored at "now"."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from opentelemetry._logs import LogRecord as SdkLogRecord
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.resources import Resource

from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.conftest import start_server
from tests.otlp_client import TRANSPORTS, export
from tests.reliability.conftest import free_ports, port_args, sdk_exporters

DAY_NS = 86_400 * 10**9
NOW = time.time_ns()


def kv(key: str, value: Any) -> KeyValue:
    if isinstance(value, str):
        return KeyValue(key=key, value=AnyValue(string_value=value))
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    return KeyValue(key=key, value=AnyValue(int_value=value))


def api_request(*, time_ns: int = 0, observed_ns: int = 0, session: str | None = None,
                seq: int = 1, cost: float = 0.25) -> ExportLogsServiceRequest:
    """One api_request event as Claude Code sends it; `session` None leaves out session.id
    and event.sequence, so its identity is a digest of its content."""
    attrs = [kv("event.name", "api_request"), kv("model", "claude-x"), kv("cost_usd", cost),
             kv("input_tokens", 10), kv("output_tokens", 5)]
    if session is not None:
        attrs += [kv("session.id", session), kv("event.sequence", seq)]
    rec = LogRecord(time_unix_nano=time_ns, observed_time_unix_nano=observed_ns,
                    body=AnyValue(string_value="claude_code.api_request"), attributes=attrs)
    return ExportLogsServiceRequest(resource_logs=[ResourceLogs(
        scope_logs=[ScopeLogs(log_records=[rec])])])


def span(*, start_ns: int = 0, end_ns: int = 0,
         session: str | None = None) -> ExportTraceServiceRequest:
    sp = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="claude_code.interaction",
              start_time_unix_nano=start_ns, end_time_unix_nano=end_ns,
              attributes=[kv("session.id", session)] if session else [])
    return ExportTraceServiceRequest(resource_spans=[ResourceSpans(
        scope_spans=[ScopeSpans(spans=[sp])])])


def points(*times: tuple[int, int], tag: str = "x") -> ExportMetricsServiceRequest:
    """claude_code.cost.usage delta points, one per (start, time), worth 3 each."""
    dps = [NumberDataPoint(start_time_unix_nano=start, time_unix_nano=t, as_double=3.0,
                           attributes=[kv("model", "claude-x"), kv("tag", tag)])
           for start, t in times]
    metric = Metric(name="claude_code.cost.usage", unit="USD",
                    sum=Sum(data_points=dps, aggregation_temporality=1, is_monotonic=True))
    return ExportMetricsServiceRequest(resource_metrics=[ResourceMetrics(
        scope_metrics=[ScopeMetrics(metrics=[metric])])])


def counts(data_dir: Path) -> dict[str, Any]:
    con = schema.connect(data_dir, read_only=True)
    try:
        return {
            "events": con.execute("SELECT count(*) FROM events").fetchone()[0],
            "cost": float(con.execute("SELECT sum(cost_usd) FROM events").fetchone()[0] or 0),
            "spans": con.execute("SELECT count(*) FROM spans").fetchone()[0],
            "points": con.execute("SELECT count(*) FROM points").fetchone()[0],
            "value": con.execute("SELECT sum(value) FROM points").fetchone()[0],
        }
    finally:
        con.close()


# -- decoding -------------------------------------------------------------------------------


def test_the_receive_time_is_no_part_of_a_key() -> None:
    body = api_request().SerializeToString()  # no time, no observed time, no session
    first = decode_request("logs", body, "protobuf").events[0]
    time.sleep(0.002)
    again = decode_request("logs", body, "protobuf").events[0]
    assert first["event_key"] == again["event_key"]
    assert first["time_unix_nano"] == 0 and first["ts"] < again["ts"]  # placed on receipt
    other = decode_request("logs", api_request(cost=0.5).SerializeToString(),
                           "protobuf").events[0]
    assert other["event_key"] != first["event_key"]  # a hot column is content too
    observed = decode_request("logs", api_request(observed_ns=7).SerializeToString(),
                              "protobuf").events[0]
    assert observed["time_unix_nano"] == 7 and "ts" not in observed  # the observed time
    sp = decode_request("traces", span().SerializeToString(), "protobuf").spans[0]
    assert sp["start_unix_nano"] is None and sp["end_unix_nano"] is None and sp["ts"] > 0


def test_a_point_without_a_time_is_refused_and_the_rest_kept() -> None:
    batch = decode_request("metrics", points((0, 0), (NOW - 10, NOW)).SerializeToString(),
                           "protobuf")
    assert [p["time_unix_nano"] for p in batch.points] == [NOW]
    assert batch.rejected == 1 and "time_unix_nano" in batch.rejection


# -- the writer ------------------------------------------------------------------------------


def test_the_same_session_and_sequence_with_other_times_is_stored_once(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))

    def write(**kw: Any) -> int:
        body = api_request(session="s-1", **kw).SerializeToString()
        return w.write_now(decode_request("logs", body, "protobuf")).events

    assert write(time_ns=NOW - 3 * DAY_NS) == 1
    w.roll_up()  # that day is rolled up: the repeat is found through the session's hours
    assert write(time_ns=NOW) == 0
    assert write(time_ns=NOW - 10 * DAY_NS) == 0
    assert write() == 0  # no time at all
    assert write(time_ns=NOW + DAY_NS) == 0
    assert write(time_ns=NOW, seq=2) == 1  # the next event of the session is new
    (n, cost), = w.cursors().execute("SELECT count(*), sum(cost_usd) FROM events").fetchall()
    assert (n, float(cost)) == (2, 0.5)


def test_a_repeat_whose_first_copy_is_newer_is_found_too(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))
    first = api_request(session="s-2", time_ns=NOW).SerializeToString()
    late = api_request(session="s-2", time_ns=NOW - 5 * DAY_NS).SerializeToString()
    assert w.write_now(decode_request("logs", first, "protobuf")).events == 1
    assert w.write_now(decode_request("logs", late, "protobuf")).events == 0


def test_a_span_of_a_session_resent_with_another_start_is_stored_once(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))

    def write(signal: str, msg: Any) -> Any:
        return w.write_now(decode_request(signal, msg.SerializeToString(), "protobuf"))

    write("logs", api_request(session="s-3", time_ns=NOW - 4 * DAY_NS))
    assert write("traces", span(session="s-3", start_ns=NOW - 4 * DAY_NS,
                                end_ns=NOW - 4 * DAY_NS + 5)).spans == 1
    w.roll_up()
    assert write("traces", span(session="s-3", start_ns=NOW, end_ns=NOW + 5)).spans == 0
    assert write("traces", span(session="s-3")).spans == 0  # no time at all
    (n,) = w.cursors().execute("SELECT count(*) FROM spans").fetchone()
    assert n == 1


# -- a live server --------------------------------------------------------------------------


@pytest.mark.e2e
def test_records_resent_without_a_time_are_stored_once(tmp_path: Path) -> None:
    """Six copies of each, two per transport, some after a restart, each received at
    another time: an event without any time or session, an event with a session but no
    time, a span without start or end, a point without a start."""
    data = tmp_path / "data"
    requests: list[tuple[str, Any]] = [
        ("logs", api_request()),
        ("logs", api_request(session="s-live", seq=4)),
        ("traces", span()),
        ("metrics", points((0, NOW))),
    ]
    srv = start_server(data)
    try:
        for copy in range(6):
            if copy == 3:  # a retry after the server restarted
                srv.stop()
                srv = start_server(data)
            for signal, msg in requests:
                response = export(srv, TRANSPORTS[copy % 3], signal, msg)
                assert not response.HasField("partial_success")
            time.sleep(0.01)
        summary = srv.summary()
    finally:
        srv.stop()
    assert summary["requests"] == 2
    assert summary["cost_usd"] == pytest.approx(0.5, abs=1e-12)  # not 6 * 0.5
    assert counts(data) == {"events": 2, "cost": 0.5, "spans": 1, "points": 1, "value": 3.0}


@pytest.mark.e2e
def test_a_point_without_a_time_gets_a_partial_success_on_every_transport(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        for transport in TRANSPORTS:
            msg = points((0, 0), (NOW - 10, NOW), tag=transport)
            response = export(srv, transport, "metrics", msg)
            assert response.partial_success.rejected_data_points == 1, transport
            assert "time_unix_nano" in response.partial_success.error_message
        # A whole export of time-less points: all refused, nothing stored, still a 200.
        response = export(srv, "protobuf", "metrics", points((0, 0), (5, 0), tag="none"))
        assert response.partial_success.rejected_data_points == 2
    finally:
        srv.stop()
    assert counts(data)["points"] == 3  # the one valid point of each transport's export


@pytest.mark.e2e
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf"])
def test_the_sdk_retrying_and_resending_an_event_without_a_time_stores_it_once(
        tmp_path: Path, protocol: str) -> None:
    """The real exporter, a record with no time and no observed time: its first export
    meets no server and is retried until one starts; then it sends the record five more
    times. Each copy arrives at another time."""
    data, ports = tmp_path / "data", free_ports(4)
    endpoint = f"http://127.0.0.1:{ports[0] if protocol == 'grpc' else ports[1]}"
    exporter, _ = sdk_exporters(protocol, endpoint, timeout=60)
    record = ReadableLogRecord(SdkLogRecord(
        timestamp=None, observed_timestamp=0, body="claude_code.api_request",
        attributes={"event.name": "api_request", "model": "claude-x", "cost_usd": 0.25}),
        resource=Resource.create({"service.name": "claude-code"}))
    results: list[LogRecordExportResult] = []
    first = threading.Thread(target=lambda: results.append(exporter.export([record])))
    first.start()
    time.sleep(1.0)  # the exporter is retrying by now
    srv = start_server(data, *port_args(ports))
    try:
        first.join(60)
        for _ in range(5):
            time.sleep(0.01)
            results.append(exporter.export([record]))
        summary = srv.summary()
    finally:
        exporter.shutdown()
        srv.stop()
    assert results == [LogRecordExportResult.SUCCESS] * 6
    assert summary["requests"] == 1
    assert summary["cost_usd"] == pytest.approx(0.25, abs=1e-12)
