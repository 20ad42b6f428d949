"""The compiled wire decoder of log exports (`ccotel.otlp._wire`) against upb: every
request gives exactly the Batch the general path gives, or the same DecodeError."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import (
    AnyValue,
    ArrayValue,
    InstrumentationScope,
    KeyValue,
    KeyValueList,
)
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.metrics.v1.metrics_pb2 import (
    Exemplar,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from ccotel.claude import catalogue
from ccotel.otlp import decode
from ccotel.otlp.decode import DecodeError, decode_request, parse_message
from ccotel.store.rows import Signal
from tests.conftest import SCENARIOS, capture_requests, start_server
from tests.reliability.fuzzdata import varint

pytestmark = pytest.mark.skipif(
    decode.WIRE is None, reason="ccotel.otlp._wire is not built (no C compiler at install, "
    "or CCOTEL_WIRE=0): only the general path runs")

EXAMPLES = int(os.environ.get("CCOTEL_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# --- what both paths give ------------------------------------------------------------------


def outcome(body: bytes, wire: bool, signal: Signal) -> Any:
    """The Batch of `body` (received at a fixed time), or the fact of a DecodeError."""
    with mock.patch.object(decode, "time", types.SimpleNamespace(time_ns=lambda: 1234567)):
        try:
            return decode_request(signal, body, "protobuf", wire=wire)
        except DecodeError:
            return "DecodeError"


def same(body: bytes, signal: Signal = "logs") -> Any:
    """Assert both paths agree on `body`; return the C decoder's own answer: a list of
    resources, None (left to upb) or "ValueError"."""
    fast, general = outcome(body, True, signal), outcome(body, False, signal)
    assert repr(fast) == repr(general)  # every row, field and order (NaN equal to NaN)
    try:
        return (decode.WIRE.decode_logs if signal == "logs" else decode.WIRE.decode_metrics)(
            body)
    except ValueError:
        assert general == "DecodeError", "the C decoder refused what upb takes"
        return "ValueError"


# --- generated requests ---------------------------------------------------------------------

TIMES = st.one_of(st.sampled_from([0, 1, 2**63 - 1, 2**63, 2**64 - 1, 1_700_000_000 * 10**9]),
                  st.integers(0, 2**64 - 1))
TEXT = st.one_of(st.sampled_from(["", "é", "x" * 70, "日本語", "\U0001f600", "a\x00b"]),
                 st.text(max_size=12))
KEYS = st.one_of(st.sampled_from(sorted({*catalogue.COERCERS, *catalogue.EVENT_COLUMNS,
                                         *catalogue.RESOURCE_COLUMNS})), TEXT)


def plain_value() -> st.SearchStrategy[AnyValue]:
    return st.one_of(
        st.builds(lambda s: AnyValue(string_value=s), TEXT),
        st.builds(lambda i: AnyValue(int_value=i), st.one_of(
            st.integers(-(2**63), 2**63 - 1), st.sampled_from([0, -1, 2**63 - 1, 10**13])),),
        st.builds(lambda x: AnyValue(double_value=x), st.floats(allow_nan=True)),
        st.builds(lambda b: AnyValue(bool_value=b), st.booleans()),
        st.builds(lambda b: AnyValue(bytes_value=b), st.binary(max_size=7)),
        st.just(AnyValue()),
        st.builds(lambda s: AnyValue(string_value=s),
                  st.sampled_from(["12", "0.5", "true", "false", "-3", "1e400", "nan"])),
    )


def any_value(nested: bool) -> st.SearchStrategy[AnyValue]:
    if not nested:
        return plain_value()
    return st.one_of(
        plain_value(),
        st.builds(lambda vs: AnyValue(array_value=ArrayValue(values=vs)),
                  st.lists(plain_value(), max_size=3)),
        st.builds(lambda kvs: AnyValue(kvlist_value=KeyValueList(values=kvs)),
                  st.lists(st.builds(lambda k, v: KeyValue(key=k, value=v), KEYS,
                                     plain_value()), max_size=3)),
    )


def kvs(nested: bool, size: int = 6) -> st.SearchStrategy[list[KeyValue]]:
    kv = st.builds(lambda k, v: KeyValue(key=k, value=v), KEYS, any_value(nested))
    return st.lists(kv, max_size=size)


def record(nested: bool) -> st.SearchStrategy[LogRecord]:
    return st.builds(
        lambda t, o, sev, st_, body, attrs, tid, sid, name, flags, dropped: LogRecord(
            time_unix_nano=t, observed_time_unix_nano=o, severity_number=sev,
            severity_text=st_, body=body, attributes=attrs, trace_id=tid, span_id=sid,
            event_name=name, flags=flags, dropped_attributes_count=dropped),
        TIMES, TIMES, st.integers(-(2**31), 2**31 - 1), TEXT,
        st.one_of(st.none(), any_value(nested)), kvs(nested, 10),
        st.binary(max_size=17), st.binary(max_size=9), TEXT, st.integers(0, 2**32 - 1),
        st.integers(0, 2**32 - 1))


def request(nested: bool) -> st.SearchStrategy[ExportLogsServiceRequest]:
    scope = st.builds(
        lambda name, version, attrs, records, url: ScopeLogs(
            scope=InstrumentationScope(name=name, version=version, attributes=attrs),
            log_records=records, schema_url=url),
        TEXT, TEXT, kvs(False, 2), st.lists(record(nested), max_size=4), TEXT)
    resource = st.builds(
        lambda attrs, scopes, url: ResourceLogs(resource=Resource(attributes=attrs),
                                                scope_logs=scopes, schema_url=url),
        kvs(False), st.lists(scope, max_size=3), TEXT)
    return st.builds(lambda rs: ExportLogsServiceRequest(resource_logs=rs),
                     st.lists(resource, max_size=3))


def number_point(nested: bool) -> st.SearchStrategy[NumberDataPoint]:
    value = st.one_of(st.just({}), st.builds(lambda x: {"as_double": x}, st.floats()),
                      st.builds(lambda i: {"as_int": i}, st.integers(-(2**63), 2**63 - 1)))
    exemplars = st.lists(st.builds(lambda t: Exemplar(time_unix_nano=t, as_int=1), TIMES),
                         max_size=1) if nested else st.just([])
    return st.builds(
        lambda start, t, v, attrs, flags, ex: NumberDataPoint(
            start_time_unix_nano=start, time_unix_nano=t, attributes=attrs, flags=flags,
            exemplars=ex, **v),
        TIMES, TIMES, value, kvs(nested), st.integers(0, 2**32 - 1), exemplars)


def metric(nested: bool) -> st.SearchStrategy[Metric]:
    points = st.lists(number_point(nested), max_size=4)
    data = [
        st.builds(lambda ps, tmp, mono: {"sum": Sum(data_points=ps, aggregation_temporality=tmp,
                                                    is_monotonic=mono)},
                  points, st.sampled_from([0, 1, 2, 7, -1]), st.booleans()),
        st.builds(lambda ps: {"gauge": Gauge(data_points=ps)}, points),
        st.just({}),
    ]
    if nested:
        data.append(st.builds(lambda t: {"histogram": Histogram(data_points=[
            HistogramDataPoint(time_unix_nano=t, count=2, sum=1.5, bucket_counts=[1, 1],
                               explicit_bounds=[1.0])])}, TIMES))
    return st.builds(
        lambda name, desc, unit, d, meta: Metric(name=name, description=desc, unit=unit,
                                                 metadata=meta, **d),
        TEXT, TEXT, TEXT, st.one_of(*data), kvs(False, 2))


def metrics_request(nested: bool) -> st.SearchStrategy[ExportMetricsServiceRequest]:
    scope = st.builds(
        lambda name, version, attrs, metrics, url: ScopeMetrics(
            scope=InstrumentationScope(name=name, version=version, attributes=attrs),
            metrics=metrics, schema_url=url),
        TEXT, TEXT, kvs(False, 2), st.lists(metric(nested), max_size=3), TEXT)
    resource = st.builds(
        lambda attrs, scopes, url: ResourceMetrics(resource=Resource(attributes=attrs),
                                                   scope_metrics=scopes, schema_url=url),
        kvs(False), st.lists(scope, max_size=2), TEXT)
    return st.builds(lambda rs: ExportMetricsServiceRequest(resource_metrics=rs),
                     st.lists(resource, max_size=2))


@FUZZ
@given(metrics_request(nested=False))
def test_generated_metric_exports_decode_alike_and_fast(req: ExportMetricsServiceRequest
                                                         ) -> None:
    """Sums and gauges (without exemplars or nested values) are read by C itself."""
    assert isinstance(same(req.SerializeToString(), "metrics"), list)


@FUZZ
@given(metrics_request(nested=True))
def test_generated_metric_exports_with_histograms_decode_alike(
        req: ExportMetricsServiceRequest) -> None:
    same(req.SerializeToString(), "metrics")


@FUZZ
@given(request(nested=False))
def test_generated_requests_decode_alike_and_fast(req: ExportLogsServiceRequest) -> None:
    """(a) Without arrays and kvlists every request is read by the C decoder itself."""
    body = req.SerializeToString()
    answer = same(body)
    assert isinstance(answer, list), "a plain request left to upb"
    assert len(answer) == len(req.resource_logs)


@FUZZ
@given(request(nested=True))
def test_generated_requests_with_nested_values_decode_alike(
        req: ExportLogsServiceRequest) -> None:
    same(req.SerializeToString())


# --- mutated encodings ----------------------------------------------------------------------


def field(number: int, wire_type: int, payload: bytes) -> bytes:
    tag = varint(number << 3 | wire_type)
    return tag + (varint(len(payload)) + payload if wire_type == 2 else payload)


def encode(msg: Message, inject: Callable[[Message, bytes], bytes]) -> bytes:
    """`msg` encoded field by field as protobuf does, each message's bytes passed through
    `inject` (which may add to them: unknown fields, repeats, wrong wire types)."""
    out = b""
    for fd, value in msg.ListFields():
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            for v in (value if fd.is_repeated else [value]):
                out += field(fd.number, 2, encode(v, inject))
        else:
            one = type(msg)()
            if fd.is_repeated:  # packed numbers (histogram buckets)
                getattr(one, fd.name).extend(value)
            else:
                setattr(one, fd.name, value)
            out += one.SerializeToString()
    return inject(msg, out)


EXTRA = st.one_of(
    # unknown fields of every wire type, groups included
    st.builds(lambda n, v: field(n, 0, varint(v)), st.sampled_from([13, 99, 2**29 - 1]),
              st.integers(0, 2**64 - 1)),
    st.builds(lambda n, b: field(n, 1, b), st.sampled_from([13, 4000]), st.binary(min_size=8, max_size=8)),
    st.builds(lambda n, b: field(n, 2, b), st.sampled_from([13, 4000]), st.binary(max_size=5)),
    st.builds(lambda n, b: field(n, 5, b), st.sampled_from([13, 4000]), st.binary(min_size=4, max_size=4)),
    st.builds(lambda n: field(n, 3, b"") + field(n, 4, b""), st.sampled_from([13, 4000])),
    st.builds(lambda n: field(n, 3, b"\x08\x01") + field(n, 4, b""), st.sampled_from([1, 5])),
    # known field numbers with any wire type
    st.builds(lambda n, wt: field(n, wt, b"\x01" * (8 if wt == 1 else 4 if wt == 5 else 1)),
              st.integers(1, 12), st.sampled_from([0, 1, 2, 5])),
    # overlong or odd tags and varints
    st.sampled_from([b"\x88\x80\x80\x80\x80\x00\x01", b"\x08" + b"\xff" * 9 + b"\x01",
                     b"\x08" + b"\xff" * 10 + b"\x01", b"\x08\x80\x00", b"\x00\x00",
                     b"\x0e", b"\x0f", b"\x0a\x80\x80\x80\x80\x80\x00"]),
    # invalid UTF-8 where a string may be
    st.builds(lambda n: field(n, 2, b"\xff\xfe"), st.integers(1, 12)),
)


@FUZZ
@given(st.one_of(request(nested=True), metrics_request(nested=True)), st.data())
def test_mutated_encodings_decode_alike(req: Message, data: st.DataObject) -> None:
    """(b) Unknown fields, repeats (protobuf merges them), odd wire types and tags spliced
    into any message; then a cut or flipped byte: same Batch or same refusal."""
    def inject(msg: Message, out: bytes) -> bytes:
        how = data.draw(st.sampled_from(["keep", "keep", "extra", "twice", "extra_first"]))
        if how == "extra":
            return out + data.draw(EXTRA)
        if how == "extra_first":
            return data.draw(EXTRA) + out
        if how == "twice":
            return out + out
        return out

    signal: Signal = "logs" if isinstance(req, ExportLogsServiceRequest) else "metrics"
    body = encode(req, inject)
    same(body, signal)
    if body:
        cut = data.draw(st.integers(0, len(body) - 1))
        same(body[:cut], signal)
        at = data.draw(st.integers(0, len(body) - 1))
        flipped = bytearray(body)
        flipped[at] ^= data.draw(st.integers(1, 255))
        same(bytes(flipped), signal)


@FUZZ
@given(st.one_of(request(nested=False), metrics_request(nested=False)),
       st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0", b"\xf4\x90", b"\xc0\xaf"]))
def test_invalid_utf8_in_any_string_is_refused_alike(req: Message, bad: bytes) -> None:
    """An "é" anywhere (keys, values, severity text, scope, event name, schema URL, metric
    name, unit, metadata) made invalid UTF-8: both paths refuse the request (or keep it
    alike, in a bytes field)."""
    signal: Signal = "logs" if isinstance(req, ExportLogsServiceRequest) else "metrics"
    same(req.SerializeToString().replace("é".encode(), bad), signal)


@FUZZ
@given(st.binary(max_size=64), st.sampled_from(["logs", "metrics"]))
def test_random_bytes_decode_alike(body: bytes, signal: Signal) -> None:
    same(body, signal)


# --- the rest -------------------------------------------------------------------------------


def test_fields_match_the_installed_descriptors() -> None:
    """(c) The field numbers and types the C decoder reads are opentelemetry-proto's."""
    assert decode.wire_fields() == decode.WIRE.FIELDS
    log = decode.WIRE.FIELDS["opentelemetry.proto.logs.v1.LogRecord"]
    assert log["time_unix_nano"] == (1, FieldDescriptor.TYPE_FIXED64)
    assert log["flags"] == (8, FieldDescriptor.TYPE_FIXED32)
    point = decode.WIRE.FIELDS["opentelemetry.proto.metrics.v1.NumberDataPoint"]
    assert point["as_int"] == (6, FieldDescriptor.TYPE_SFIXED64)


def test_claude_code_exports_take_the_fast_path() -> None:
    """The records Claude Code sends (bench's template) are read by C, not left to upb."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
    import ingest as bench  # type: ignore[import-not-found]

    body = bench.logs_template(50, 1_700_000_000 * 10**9).SerializeToString()
    assert isinstance(same(body), list)
    batch = decode_request("logs", body, "protobuf")
    assert len(batch.events) == 50 and batch.events[0]["session_id"]
    body = bench.metrics_template(50, 1_700_000_000 * 10**9, 1).SerializeToString()
    assert isinstance(same(body, "metrics"), list)
    assert len(decode_request("metrics", body, "protobuf").points) == 50


def test_singular_fields_given_twice_go_to_upb() -> None:
    rec = LogRecord(time_unix_nano=5, body=AnyValue(string_value="a"))
    twice = rec.SerializeToString() + LogRecord(body=AnyValue(int_value=3)).SerializeToString()
    body = field(1, 2, field(2, 2, field(2, 2, twice)))
    assert same(body) is None
    (ev,) = decode_request("logs", body, "protobuf").events
    assert ev["body"] == "3"  # merged by upb: the last value of the oneof


def test_the_switch_turns_the_fast_path_off() -> None:
    code = "from ccotel.otlp import decode; print(decode.WIRE is None)"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "CCOTEL_WIRE": "0"},
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "True"


@pytest.mark.parametrize(("wire", "reader"), [("1", "compiled"), ("0", "protobuf")])
def test_readyz_says_which_reader_decodes(tmp_path: Path, wire: str, reader: str) -> None:
    """A running server tells which reader its install decodes protobuf exports with."""
    srv = start_server(tmp_path / "data", env={"CCOTEL_WIRE": wire})
    try:
        assert httpx.get(f"{srv.ui}/readyz", timeout=10).json()["decoder"] == reader
    finally:
        srv.stop()


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_claude_code_captures_read_alike_in_protobuf(scenario: str) -> None:
    """Every export Claude Code sent in the captured scenarios, as protobuf: exactly the
    rows upb's path gives, and read by C itself unless it holds an array or kvlist value
    (Claude Code's managed_settings_resolved event: once a session)."""
    read = 0
    for r in capture_requests(scenario):
        signal = r["path"].split("/")[-1]
        if signal not in ("logs", "metrics"):
            continue
        text = json.dumps(r["body"])
        body = parse_message(signal, text.encode(), "json").SerializeToString()
        answer = same(body, signal)
        if "arrayValue" not in text and "kvlistValue" not in text:
            assert isinstance(answer, list), f"{signal} export left to upb"
            read += 1
    assert read
