"""OTLP/gRPC: status codes for bad data, size limit, compression, throttling with RetryInfo."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2, logs_service_pb2_grpc

from ccotel.otlp import grpc as otlp_grpc
from ccotel.otlp.decode import parse_message
from ccotel.otlp.ingest import Ingestor
from ccotel.selfmetrics import ServerMetrics
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.conftest import Server, capture_requests, claude_result, start_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Any:
    s = start_server(tmp_path_factory.mktemp("grpc") / "data", "--max-body", "100000")
    yield s
    s.stop()


def logs_request(name: str = "basic") -> logs_service_pb2.ExportLogsServiceRequest:
    req = next(r for r in capture_requests(name) if r["path"] == "/v1/logs")
    return parse_message("logs", json.dumps(req["body"]).encode(), "json")  # type: ignore[return-value]


def raw_call(target: str, body: bytes, *, compression: Any = None) -> Any:
    with grpc.insecure_channel(target) as ch:
        call = ch.unary_unary("/opentelemetry.proto.collector.logs.v1.LogsService/Export")
        return call(body, timeout=10, compression=compression)


def test_export_succeeds_with_an_empty_response(srv: Server) -> None:
    with grpc.insecure_channel(srv.grpc) as ch:
        resp = logs_service_pb2_grpc.LogsServiceStub(ch).Export(logs_request(), timeout=10)
    assert not resp.HasField("partial_success")


def test_gzip_compressed_export(srv: Server) -> None:
    with grpc.insecure_channel(srv.grpc) as ch:
        logs_service_pb2_grpc.LogsServiceStub(ch).Export(
            logs_request("edit"), timeout=10, compression=grpc.Compression.Gzip)
    result = claude_result("edit")
    assert srv.summary(session=result["session_id"])["requests"] == 2


def test_malformed_protobuf_is_invalid_argument(srv: Server) -> None:
    with pytest.raises(grpc.RpcError) as err:
        raw_call(srv.grpc, b"\x0a\xff\xff\xff\xff\x0f")
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_size_limit_after_decompression_is_resource_exhausted(srv: Server) -> None:
    req = logs_service_pb2.ExportLogsServiceRequest()
    req.resource_logs.add().scope_logs.add().log_records.add().body.string_value = "0" * 500_000
    body = req.SerializeToString()
    assert len(gzip.compress(body)) < 100_000
    with pytest.raises(grpc.RpcError) as err:
        raw_call(srv.grpc, body, compression=grpc.Compression.Gzip)
    assert err.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # ... and the server still serves.
    raw_call(srv.grpc, logs_request().SerializeToString())


def test_overload_is_unavailable_with_retry_info(tmp_path: Path) -> None:
    """A writer that is not draining fills its queue; the next export must be told to wait."""

    async def scenario() -> tuple[grpc.StatusCode, Any]:
        writer = Writer(schema.connect(tmp_path), max_queue=1)  # never started: never drains
        server = otlp_grpc.build_server(Ingestor(writer, ServerMetrics()), max_body=1 << 20)
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        body = logs_request().SerializeToString()
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as ch:
            call = ch.unary_unary("/opentelemetry.proto.collector.logs.v1.LogsService/Export")
            first = asyncio.ensure_future(call(body, timeout=10))  # queued, waits for commit
            await asyncio.sleep(0.5)
            try:
                await call(body, timeout=10)
                raise AssertionError("expected UNAVAILABLE")
            except grpc.aio.AioRpcError as exc:
                code, md = exc.code(), exc.trailing_metadata()
            first.cancel()
        await server.stop(0)
        return code, md

    code, md = asyncio.run(scenario())
    assert code == grpc.StatusCode.UNAVAILABLE
    details = dict(md)["grpc-status-details-bin"]
    st = status_pb2.Status.FromString(details)
    info = error_details_pb2.RetryInfo()
    assert st.details[0].Unpack(info)
    assert info.retry_delay.seconds >= 1
