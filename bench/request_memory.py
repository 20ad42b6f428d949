"""Peak RSS of a live `ccotel serve` under the most expensive OTLP requests --max-body allows.

Each shape is sent alone to a fresh server (whose peak RSS the kernel keeps: VmHWM,
reset when idle through /proc/<pid>/clear_refs; the server's and its decoding process's
added up), then the most expensive accepted shape
eight at a time, half over OTLP/HTTP and half over gRPC. Shapes: 8,000,000 empty log
records in 16 MiB (plain and gzip), 8,000,000 empty attributes in one record, a million
nested values just under the bound, the most records one export may hold with as many
attributes as fit (protobuf and JSON), as many histogram points, and one 16 MiB string.

    python bench/request_memory.py

Last line: idle_rss_mb=<I> worst_single_rss_mb=<S> worst_8x_rss_mb=<E> (peak RSS, MiB)
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
import psutil
from google.protobuf.internal.encoder import _VarintBytes
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

from tests.conftest import Server, start_server

MiB = 1 << 20
BODY = 16 * MiB - 4096  # within the default --max-body
RECORDS = 32_768        # the default --max-records
MESSAGES = 1_500_000    # nested values one export may hold (otlp/bounds.py)
PROTOBUF, JSON = "application/x-protobuf", "application/json"


def _field(number: int, payload: bytes) -> bytes:
    return _VarintBytes(number << 3 | 2) + _VarintBytes(len(payload)) + payload


def empty_records() -> bytes:
    return _field(1, _field(2, b"\x12\x00" * ((BODY - 16) // 2)))


def empty_attributes() -> bytes:
    return _field(1, _field(2, _field(2, b"\x32\x00" * ((BODY - 24) // 2))))


def nested_values() -> bytes:
    """One record whose body is an array of (MESSAGES - 16) empty values: just accepted."""
    values = b"\x0a\x00" * (MESSAGES - 16)
    return _field(1, _field(2, _field(2, _field(5, _field(5, values)))))


def full_records() -> ExportLogsServiceRequest:
    """RECORDS log records sharing BODY bytes: each as many tiny int attributes as fit."""
    attrs = [KeyValue(key=chr(65 + i % 26) * (1 + i // 26), value=AnyValue(int_value=i))
             for i in range(64)]
    while True:  # as many attributes as let RECORDS records fit in BODY
        rec = ExportLogsServiceRequest().resource_logs.add().scope_logs.add().log_records.add(
            time_unix_nano=1_700_000_000_000_000_000)
        rec.attributes.extend(attrs)
        rec.attributes.add(key="event.sequence", value=AnyValue(int_value=RECORDS))
        if ((rec.ByteSize() + 4) * RECORDS <= BODY - 64
                and RECORDS * (2 * len(attrs) + 3) < MESSAGES):
            break
        attrs.pop()
    req = ExportLogsServiceRequest()
    sl = req.resource_logs.add().scope_logs.add()
    for seq in range(RECORDS):
        rec = sl.log_records.add(time_unix_nano=1_700_000_000_000_000_000 + seq)
        rec.attributes.extend(attrs)
        rec.attributes.add(key="event.sequence", value=AnyValue(int_value=seq))
    return req


def full_points() -> bytes:
    req = ExportMetricsServiceRequest()
    m = req.resource_metrics.add().scope_metrics.add().metrics.add(name="h")
    m.histogram.aggregation_temporality = 1
    counts = list(range(BODY // RECORDS // 10))
    for i in range(RECORDS):
        dp = m.histogram.data_points.add(time_unix_nano=1_700_000_000_000_000_000 + i,
                                         count=1)
        dp.bucket_counts.extend(counts)
        dp.attributes.add(key="i", value=AnyValue(int_value=i))
    return req.SerializeToString()


def one_string() -> bytes:
    req = ExportLogsServiceRequest()
    req.resource_logs.add().scope_logs.add().log_records.add().body.string_value = (
        "x" * (BODY - 64))
    return req.SerializeToString()


def json_nested() -> bytes:
    """One record with as many empty JSON attributes as the bound lets in."""
    attrs = b"{}," * (MESSAGES // 4 - 64) + b"{}"
    return (b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[' + attrs
            + b"]}]}]}]}")


def json_records() -> bytes:
    records = [{"timeUnixNano": str(1_700_000_000_000_000_000 + i),
                "attributes": [{"key": "k", "value": {"intValue": str(i)}}]}
               for i in range(RECORDS)]
    body = json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": records}]}]})
    return body.encode()


def _hwm_mb(pid: int, reset: bool) -> float:
    """The peak RSS of the server plus that of its decoding process (an upper bound of
    what both held at once: their peaks may fall at different moments)."""
    kb = 0
    for p in (pid, *(c.pid for c in psutil.Process(pid).children())):
        status = Path(f"/proc/{p}/status").read_text()
        kb += next(int(line.split()[1]) for line in status.splitlines()
                   if line.startswith("VmHWM"))
        if reset:
            Path(f"/proc/{p}/clear_refs").write_text("5")  # the peak starts again from now
    return kb / 1024


async def _send(url: str, target: str, path: str, body: bytes, ctype: str,
                encoding: str | None, via_grpc: bool) -> str:
    if via_grpc:
        service = {"/v1/logs": "logs.v1.LogsService", "/v1/metrics":
                   "metrics.v1.MetricsService"}[path]
        async with grpc.aio.insecure_channel(
                target, options=[("grpc.max_send_message_length", 64 * MiB)]) as ch:
            try:
                await ch.unary_unary(f"/opentelemetry.proto.collector.{service}/Export")(
                    body, timeout=300)
                return "OK"
            except grpc.aio.AioRpcError as err:
                return err.code().name
    headers = {"content-type": ctype}
    if encoding:
        headers["content-encoding"] = encoding
    async with httpx.AsyncClient(timeout=300) as client:
        r = await client.post(f"{url}{path}", content=body, headers=headers)
        if r.status_code in (200, 413):
            return str(r.status_code)
        return f"{r.status_code} {r.content[:120]!r}"


def main() -> None:
    records = full_records()
    shapes = {
        "empty-records": ("/v1/logs", empty_records(), PROTOBUF, None),
        "empty-records-gzip": ("/v1/logs", gzip.compress(empty_records()), PROTOBUF, "gzip"),
        "empty-attributes": ("/v1/logs", empty_attributes(), PROTOBUF, None),
        "nested-values": ("/v1/logs", nested_values(), PROTOBUF, None),
        "full-records": ("/v1/logs", records.SerializeToString(), PROTOBUF, None),
        "full-records-json": ("/v1/logs", json_records(), JSON, None),
        "json-nested": ("/v1/logs", json_nested(), JSON, None),
        "full-points": ("/v1/metrics", full_points(), PROTOBUF, None),
        "one-string": ("/v1/logs", one_string(), PROTOBUF, None),
    }
    idle = worst_single = 0.0
    only = sys.argv[1:]  # shape names (8x-<name> for eight at once): only those
    for name, (path, body, ctype, enc) in shapes.items():
        if only and name not in only:
            continue
        with _server() as srv:
            idle = max(idle, _hwm_mb(srv.proc.pid, reset=True))
            t0 = time.monotonic()
            status = asyncio.run(_send(srv.http, srv.grpc, path, body, ctype, enc, False))
            peak = _hwm_mb(srv.proc.pid, reset=False)
        worst_single = max(worst_single, peak)
        print(f"{name}: {len(body) / MiB:.1f} MiB -> {status} in "
              f"{time.monotonic() - t0:.1f}s, peak RSS {peak:.0f} MiB", flush=True)

    worst_8x = 0.0
    for name, make in (("full-records", lambda: _distinct(records, 8)),
                       ("one-string", lambda: [shapes["one-string"][1]] * 8)):
        if only and f"8x-{name}" not in only:
            continue
        bodies = make()

        async def eight(srv: Server, bodies: list[bytes]) -> list[str]:
            return await asyncio.gather(*(
                _send(srv.http, srv.grpc, "/v1/logs", body, PROTOBUF, None, i % 2 == 1)
                for i, body in enumerate(bodies)))

        with _server() as srv:
            _hwm_mb(srv.proc.pid, reset=True)
            t0 = time.monotonic()
            statuses = asyncio.run(eight(srv, bodies))
            peak = _hwm_mb(srv.proc.pid, reset=False)
        worst_8x = max(worst_8x, peak)
        print(f"8 x {name} at once: {sorted(statuses)} in "
              f"{time.monotonic() - t0:.1f}s, peak RSS {peak:.0f} MiB", flush=True)
    print(f"idle_rss_mb={idle:.0f} worst_single_rss_mb={worst_single:.0f} "
          f"worst_8x_rss_mb={worst_8x:.0f}")


@contextlib.contextmanager
def _server() -> Iterator[Server]:
    """A fresh server (each measurement starts from an idle process)."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = start_server(Path(tmp) / "data")
        try:
            time.sleep(1)
            yield srv
        finally:
            srv.stop()


def _distinct(req: ExportLogsServiceRequest, n: int) -> list[bytes]:
    """n copies of `req` that are not duplicates of each other (nor of the first)."""
    out = []
    for i in range(n):
        req.resource_logs[0].resource.attributes.clear()
        req.resource_logs[0].resource.attributes.add(key="copy", value=AnyValue(int_value=i))
        out.append(req.SerializeToString())
    return out


if __name__ == "__main__":
    main()
