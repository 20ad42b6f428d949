"""Backpressure: overload a real server with a tiny write queue. OTLP/HTTP must answer
503 + Retry-After, OTLP/gRPC UNAVAILABLE + RetryInfo, the server keeps serving and stores
what it acknowledged. Its memory under the same overload is measured by
bench/backpressure.py (timings and RSS belong in bench/, not in tests)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ccotel.store import schema
from tests.reliability.conftest import serve

DURATION_S = 8.0
HTTP_CLIENTS = 24
GRPC_CLIENTS = 24
RECORDS_PER_REQUEST = 1000


def logs_body(records: int) -> bytes:
    """One api_request-shaped export of `records` events, all new (fresh session)."""
    req = ExportLogsServiceRequest()
    sl = req.resource_logs.add().scope_logs.add()
    sid = str(uuid.uuid4())

    def kv(key: str, value: AnyValue) -> KeyValue:
        return KeyValue(key=key, value=value)

    now = time.time_ns()
    for seq in range(records):
        rec = sl.log_records.add(time_unix_nano=now + seq)
        rec.body.string_value = "claude_code.api_request"
        rec.attributes.extend([
            kv("session.id", AnyValue(string_value=sid)),
            kv("user.id", AnyValue(string_value="u-overload")),
            kv("event.name", AnyValue(string_value="api_request")),
            kv("event.sequence", AnyValue(int_value=seq)),
            kv("model", AnyValue(string_value="claude-opus-5-5")),
            kv("input_tokens", AnyValue(int_value=seq)),
            kv("cost_usd", AnyValue(double_value=seq / 1e6)),
        ])
    return req.SerializeToString()


@dataclass
class Tally:
    offered: int = 0
    accepted: int = 0
    throttled: int = 0
    other: list[str] = field(default_factory=list)
    retry_after: set[str] = field(default_factory=set)
    retry_info_s: set[int] = field(default_factory=set)


async def _http_client(url: str, bodies: list[bytes], stop: float, t: Tally) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        i = 0
        while time.monotonic() < stop:
            body = bodies[i % len(bodies)]
            i += 1
            t.offered += 1
            r = await client.post(f"{url}/v1/logs", content=body,
                                  headers={"content-type": "application/x-protobuf"})
            if r.status_code == 200:
                t.accepted += 1
            elif r.status_code in (429, 503):
                t.throttled += 1
                t.retry_after.add(r.headers.get("retry-after", ""))
            else:
                t.other.append(f"http {r.status_code} {r.text[:100]}")


async def _grpc_client(target: str, bodies: list[bytes], stop: float, t: Tally) -> None:
    async with grpc.aio.insecure_channel(target) as ch:
        call = ch.unary_unary("/opentelemetry.proto.collector.logs.v1.LogsService/Export")
        i = 0
        while time.monotonic() < stop:
            body = bodies[i % len(bodies)]
            i += 1
            t.offered += 1
            try:
                await call(body, timeout=60)
                t.accepted += 1
            except grpc.aio.AioRpcError as err:
                if err.code() != grpc.StatusCode.UNAVAILABLE:
                    t.other.append(f"grpc {err.code()} {err.details()}")
                    continue
                t.throttled += 1
                md = dict(err.trailing_metadata() or ())
                status = status_pb2.Status.FromString(md["grpc-status-details-bin"])
                info = error_details_pb2.RetryInfo()
                assert status.details[0].Unpack(info)
                t.retry_info_s.add(info.retry_delay.seconds)
                # The bare trailer the opentelemetry-python exporter reads.
                bare = error_details_pb2.RetryInfo.FromString(md["google.rpc.retryinfo-bin"])
                assert bare.retry_delay.seconds == info.retry_delay.seconds


@pytest.mark.e2e
def test_overload_is_refused_politely(tmp_path: Path) -> None:
    srv = serve(tmp_path / "data", "--max-queue", "2")
    bodies = [logs_body(RECORDS_PER_REQUEST) for _ in range(8)]
    http_t, grpc_t = Tally(), Tally()

    async def overload() -> float:
        t0 = time.monotonic()
        stop = t0 + DURATION_S
        await asyncio.gather(
            *(_http_client(srv.http, bodies, stop, http_t) for _ in range(HTTP_CLIENTS)),
            *(_grpc_client(srv.grpc, bodies, stop, grpc_t) for _ in range(GRPC_CLIENTS)))
        return time.monotonic() - t0

    try:
        elapsed = asyncio.run(overload())
        # Still serving, and health checks answered through it all.
        assert httpx.get(f"{srv.ui}/readyz", timeout=10).status_code == 200
    finally:
        srv.stop()

    assert not http_t.other and not grpc_t.other, (http_t.other + grpc_t.other)[:5]
    assert http_t.throttled > 0 and grpc_t.throttled > 0, "the server was not overloaded"
    assert http_t.accepted > 0 and grpc_t.accepted > 0, "nothing got through"
    assert http_t.retry_after and all(v.isdigit() and int(v) >= 1 for v in http_t.retry_after)
    assert grpc_t.retry_info_s and min(grpc_t.retry_info_s) >= 1
    con = schema.connect(srv.data_dir, read_only=True)
    (stored,) = con.execute("SELECT count(*) FROM events WHERE user_id = 'u-overload'").fetchone()
    con.close()
    assert stored > 0
    offered = http_t.offered + grpc_t.offered
    throttled = http_t.throttled + grpc_t.throttled
    print(f"\noverload: {offered / elapsed:.0f} requests/s offered "
          f"({offered * RECORDS_PER_REQUEST / elapsed:.0f} records/s), "
          f"{throttled / offered:.0%} refused with 503/UNAVAILABLE, "
          f"{(http_t.accepted + grpc_t.accepted) / elapsed:.0f} requests/s accepted")
