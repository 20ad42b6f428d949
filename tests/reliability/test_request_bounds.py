"""One request's work is bounded: records and nested values per export are counted before
parsing (413 / RESOURCE_EXHAUSTED past the bound, stored: nothing), and the write queue is
bounded by records (503 + Retry-After / UNAVAILABLE, so exporters retry). Every request
acknowledged is stored; every refused one leaves no row."""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import time
import uuid
from pathlib import Path

import grpc
import httpx
import pytest
from google.protobuf.internal.encoder import _VarintBytes
from google.rpc import status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ccotel.otlp import bounds
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.rows import Batch
from ccotel.store.writer import Overloaded, Writer
from tests.reliability.conftest import serve

PROTOBUF = {"content-type": "application/x-protobuf"}
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
MiB = 1 << 20


def _field(number: int, payload: bytes) -> bytes:
    return _VarintBytes(number << 3 | 2) + _VarintBytes(len(payload)) + payload


def empty_records(size: int) -> bytes:
    """An ExportLogsServiceRequest of `size` bytes that is nothing but empty log records
    (two bytes each): the cheapest way to ask for the most rows."""
    n = (size - 16) // 2
    return _field(1, _field(2, b"\x12\x00" * n))  # ResourceLogs{ScopeLogs{LogRecord x n}}


def empty_attributes(size: int) -> bytes:
    """One log record with (size/2) empty attributes."""
    n = (size - 24) // 2
    return _field(1, _field(2, _field(2, b"\x32\x00" * n)))


def logs_body(records: int, session: str, user: str) -> bytes:
    req = ExportLogsServiceRequest()
    sl = req.resource_logs.add().scope_logs.add()
    now = time.time_ns()
    for seq in range(records):
        rec = sl.log_records.add(time_unix_nano=now + seq)
        rec.body.string_value = "claude_code.api_request"
        rec.attributes.extend([
            KeyValue(key="session.id", value=AnyValue(string_value=session)),
            KeyValue(key="user.id", value=AnyValue(string_value=user)),
            KeyValue(key="event.name", value=AnyValue(string_value="api_request")),
            KeyValue(key="event.sequence", value=AnyValue(int_value=seq)),
            KeyValue(key="cost_usd", value=AnyValue(double_value=0.001)),
        ])
    return req.SerializeToString()


def stored(data_dir: Path, user: str) -> dict[str, int]:
    con = schema.connect(data_dir, read_only=True)
    try:
        return dict(con.execute("SELECT session_id, count(*) FROM events WHERE user_id = ? "
                                "GROUP BY 1", [user]).fetchall())
    finally:
        con.close()


# -- the wire count ----------------------------------------------------------------------


def _random_request(rng: random.Random, signal: str) -> bytes:
    def value(depth: int) -> AnyValue:
        pick = rng.randrange(6 if depth < 3 else 3)
        if pick == 0:
            return AnyValue(string_value="x" * rng.randrange(300))
        if pick == 1:
            return AnyValue(int_value=rng.randrange(-5, 1 << 40))
        if pick == 2:
            return AnyValue()
        if pick == 3:
            return AnyValue(double_value=rng.random())
        v = AnyValue()
        if pick == 4:
            v.array_value.values.extend(value(depth + 1) for _ in range(rng.randrange(4)))
        else:
            v.kvlist_value.values.extend(KeyValue(key="k" * rng.randrange(200),
                                                  value=value(depth + 1))
                                         for _ in range(rng.randrange(4)))
        return v

    def attrs() -> list[KeyValue]:
        return [KeyValue(key="a" * rng.randrange(3), value=value(0))
                for _ in range(rng.randrange(5))]

    if signal == "logs":
        req = ExportLogsServiceRequest()
        for _ in range(rng.randrange(3)):
            rl = req.resource_logs.add()
            rl.resource.attributes.extend(attrs())
            for _ in range(rng.randrange(3)):
                sl = rl.scope_logs.add()
                for _ in range(rng.randrange(5)):
                    rec = sl.log_records.add(time_unix_nano=rng.randrange(1 << 62))
                    rec.attributes.extend(attrs())
                    if rng.random() < 0.5:
                        rec.body.CopyFrom(value(0))
    elif signal == "metrics":
        req = ExportMetricsServiceRequest()
        sm = req.resource_metrics.add().scope_metrics.add()
        for i in range(rng.randrange(4)):
            m = sm.metrics.add(name=f"m{i}")
            points = (m.sum if i % 2 else m.histogram).data_points
            for _ in range(rng.randrange(4)):
                points.add().attributes.extend(attrs())
    else:
        req = ExportTraceServiceRequest()
        ss = req.resource_spans.add().scope_spans.add()
        for _ in range(rng.randrange(4)):
            sp = ss.spans.add(trace_id=b"t" * 16, span_id=b"s" * 8)
            sp.attributes.extend(attrs())
            sp.events.add(name="e").attributes.extend(attrs())
    return req.SerializeToString()


def _parsed_counts(signal: str, body: bytes) -> tuple[int, int]:
    """(records, messages) of the parsed request, counted the slow, obvious way."""
    msg = {"logs": ExportLogsServiceRequest, "metrics": ExportMetricsServiceRequest,
           "traces": ExportTraceServiceRequest}[signal].FromString(body)
    records = messages = 0

    def walk(m) -> None:  # type: ignore[no-untyped-def]
        nonlocal records, messages
        for f, v in m.ListFields():
            if f.message_type is None:
                continue
            for sub in (v if f.is_repeated else [v]):
                messages += 1
                records += sub.DESCRIPTOR.full_name in bounds.RECORD_TYPES
                walk(sub)

    walk(msg)
    return records, messages


@pytest.mark.parametrize("signal", ["logs", "metrics", "traces"])
def test_wire_count_matches_the_parsed_request(signal: str) -> None:
    rng = random.Random(signal)
    for _ in range(300):
        body = _random_request(rng, signal)
        counted = bounds.count_protobuf(signal, body, bounds.Limits())  # type: ignore[arg-type]
        assert counted == _parsed_counts(signal, body)


def test_wire_count_stops_at_the_bound_without_parsing() -> None:
    body = empty_records(16 * MiB)
    t0 = time.perf_counter()
    with pytest.raises(bounds.TooMuchWork, match="more than 1000 records"):
        bounds.check("logs", body, "protobuf", bounds.Limits(records=1000))
    with pytest.raises(bounds.TooMuchWork, match="protobuf messages"):
        bounds.check("logs", empty_attributes(16 * MiB), "protobuf", bounds.Limits())
    with pytest.raises(bounds.TooMuchWork, match="JSON objects"):
        bounds.check("logs", b"[" + b"{}," * (1 * MiB) + b"{}]", "json", bounds.Limits())
    assert time.perf_counter() - t0 < 10


# -- the record-bounded queue ------------------------------------------------------------


def _batch(records: int) -> Batch:
    return Batch("logs", events=[{"event_key": str(uuid.uuid4())} for _ in range(records)])


def test_queue_is_bounded_by_records_not_requests(tmp_path: Path) -> None:
    writer = Writer(schema.connect(tmp_path), max_queue=100, max_queue_records=1000)
    # Not started: nothing drains. A first batch larger than the bound still gets in.
    big = writer.submit(_batch(1500))
    with pytest.raises(Overloaded):
        writer.submit(_batch(1))
    assert writer.pending_records() == 1500
    big.set_result(None)  # type: ignore[arg-type]  # as the writer does once committed
    assert writer.pending_records() == 0
    writer.submit(_batch(600))
    with pytest.raises(Overloaded):
        writer.submit(_batch(401))
    writer.submit(_batch(400))
    assert writer.pending_records() == 1000


def test_queue_is_bounded_by_bytes_too(tmp_path: Path) -> None:
    writer = Writer(schema.connect(tmp_path), max_queue_records=1000, max_queue_bytes=100)
    writer.submit(_batch(1), size=80)
    with pytest.raises(Overloaded):  # one row, but from too many bytes
        writer.submit(_batch(1), size=30)
    writer.submit(_batch(1), size=20)


def test_a_failing_batch_in_a_group_fails_alone(tmp_path: Path) -> None:
    writer = Writer(schema.connect(tmp_path))
    good = writer.submit(decode_request("logs", logs_body(5, str(uuid.uuid4()), "u"),
                                        "protobuf"))
    bad = writer.submit(Batch("logs", events=[{"event_key": "k", "time_unix_nano": "x"}]))
    writer.start()  # both in the first group: its commit fails, each is retried alone
    try:
        assert good.result(timeout=30).events == 5
        with pytest.raises(TypeError):  # its own error, not a stalled or shared one
            bad.result(timeout=30)
        assert writer.pending_records() == 0
    finally:
        writer.stop()


# -- a real server -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    s = serve(tmp_path_factory.mktemp("bounds") / "data", "--max-records", "1000")
    yield s
    s.stop()


def _grpc_export(target: str, body: bytes, **kw) -> grpc.aio.AioRpcError | None:  # type: ignore[no-untyped-def]
    async def call() -> grpc.aio.AioRpcError | None:
        async with grpc.aio.insecure_channel(target) as ch:
            try:
                await ch.unary_unary(LOGS)(body, timeout=60, **kw)
            except grpc.aio.AioRpcError as err:
                return err
        return None

    return asyncio.run(call())


def test_too_many_records_is_413_and_resource_exhausted(srv) -> None:  # type: ignore[no-untyped-def]
    user = f"u-{uuid.uuid4()}"
    ok, over, over_grpc = (str(uuid.uuid4()) for _ in range(3))
    r = httpx.post(f"{srv.http}/v1/logs", content=logs_body(1001, over, user),
                   headers=PROTOBUF, timeout=60)
    assert r.status_code == 413
    status = status_pb2.Status.FromString(r.content)
    assert status.code == 8 and "more than 1000 records" in status.message  # RESOURCE_EXHAUSTED
    err = _grpc_export(srv.grpc, logs_body(1001, over_grpc, user))
    assert err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "more than 1000 records" in (err.details() or "")
    over_json = json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"attributes": [{"key": "user.id", "value": {"stringValue": user}}]}] * 1001}]}]})
    r = httpx.post(f"{srv.http}/v1/logs", content=over_json, timeout=60,
                   headers={"content-type": "application/json"})
    assert r.status_code == 413 and "more than 1000 records" in r.json()["message"]
    r = httpx.post(f"{srv.http}/v1/logs", content=logs_body(1000, ok, user),
                   headers=PROTOBUF, timeout=60)
    assert r.status_code == 200
    summary = srv.summary(user=user)
    assert (summary["sessions"], summary["requests"]) == (1, 1000)  # the accepted one only


@pytest.mark.parametrize("shape", ["records", "records-gzip", "attributes", "json"])
def test_amplifying_bodies_within_max_body_are_refused_quickly(srv, shape: str) -> None:  # type: ignore[no-untyped-def]
    headers = dict(PROTOBUF)
    if shape == "attributes":
        body = empty_attributes(16 * MiB - 64)
    elif shape == "json":
        body = b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[' + b"{}," * (5 * MiB) + b"{}]}]}]}"
        headers["content-type"] = "application/json"
    else:
        body = empty_records(16 * MiB - 64)
    if shape.endswith("gzip"):
        body = gzip.compress(body)
        headers["content-encoding"] = "gzip"
    t0 = time.monotonic()
    r = httpx.post(f"{srv.http}/v1/logs", content=body, headers=headers, timeout=60)
    assert r.status_code == 413, r.text[:200]
    assert time.monotonic() - t0 < 20
    if shape != "json":  # the same over gRPC, compressed or not
        err = _grpc_export(srv.grpc, empty_records(16 * MiB - 64) if shape != "attributes"
                           else body, compression=grpc.Compression.Gzip
                           if shape.endswith("gzip") else None)
        assert err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert httpx.get(f"{srv.ui}/readyz", timeout=5).status_code == 200


def test_grpc_size_limit_holds_after_decompression(srv) -> None:  # type: ignore[no-untyped-def]
    # 17 MiB of zeros compress to a few KB: grpc must measure what it decompressed.
    err = _grpc_export(srv.grpc, b"\x00" * (17 * MiB), compression=grpc.Compression.Gzip)
    assert err is not None and err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


# -- the queue bound, end to end ---------------------------------------------------------


@pytest.mark.e2e
def test_full_queue_refuses_with_retry_and_keeps_every_acknowledged_record(
        tmp_path: Path) -> None:
    s = serve(tmp_path / "data", "--max-queue-records", "1500", "--max-records", "1000")
    user = f"u-{uuid.uuid4()}"
    accepted: list[str] = []
    refused: list[str] = []
    retry_after: set[str] = set()

    async def http_client(client: httpx.AsyncClient, stop: float) -> None:
        while time.monotonic() < stop:
            sid = str(uuid.uuid4())
            r = await client.post(f"{s.http}/v1/logs", content=logs_body(1000, sid, user),
                                  headers=PROTOBUF)
            if r.status_code == 200:
                accepted.append(sid)
            else:
                assert r.status_code == 503, r.text[:200]
                retry_after.add(r.headers.get("retry-after", ""))
                refused.append(sid)

    async def grpc_client(ch: grpc.aio.Channel, stop: float) -> None:
        call = ch.unary_unary(LOGS)
        while time.monotonic() < stop:
            sid = str(uuid.uuid4())
            try:
                await call(logs_body(1000, sid, user), timeout=60)
                accepted.append(sid)
            except grpc.aio.AioRpcError as err:
                assert err.code() == grpc.StatusCode.UNAVAILABLE, err.details()
                refused.append(sid)

    async def run() -> None:
        stop = time.monotonic() + 4
        async with httpx.AsyncClient(timeout=60) as client, \
                grpc.aio.insecure_channel(s.grpc) as ch:
            await asyncio.gather(*(http_client(client, stop) for _ in range(6)),
                                 *(grpc_client(ch, stop) for _ in range(6)))

    try:
        asyncio.run(run())
    finally:
        s.stop()
    assert refused, "the queue never filled"
    assert accepted, "nothing got through"
    assert retry_after and all(v.isdigit() and int(v) >= 1 for v in retry_after)
    rows = stored(s.data_dir, user)
    assert rows == {sid: 1000 for sid in accepted}  # all acknowledged, nothing refused
