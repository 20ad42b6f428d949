"""OTLP/gRPC transport: the Logs, Metrics and Trace services, raw bytes in and out.

The size limit is grpc's own max_receive_message_length (RESOURCE_EXHAUSTED), as is the
limit of records per export (counted before parsing, otlp/bounds.py); an overload
answers UNAVAILABLE with a google.rpc.RetryInfo detail so exporters back off. The token is
checked by the server's one `auth.Authenticator`: a throttled address gets
RESOURCE_EXHAUSTED with the RetryInfo of its wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import grpc
from google.protobuf import duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from ccotel import connections
from ccotel.auth import Authenticator, peer_address
from ccotel.otlp.bounds import TooMuchWork
from ccotel.otlp.decode import DecodeError, export_response
from ccotel.otlp.ingest import Ingestor
from ccotel.otlp.worker import DecoderStopped
from ccotel.store.rows import Signal
from ccotel.store.writer import Overloaded, RejectedBatch

MAX_STREAMS = 100  # calls at once on one connection (HTTP/2 advises no fewer than 100)

SERVICES: dict[Signal, str] = {
    "logs": "opentelemetry.proto.collector.logs.v1.LogsService",
    "metrics": "opentelemetry.proto.collector.metrics.v1.MetricsService",
    "traces": "opentelemetry.proto.collector.trace.v1.TraceService",
}


def _retry_details(message: str, seconds: int, code: int = code_pb2.UNAVAILABLE
                   ) -> tuple[tuple[str, bytes], ...]:
    info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=seconds))
    status = status_pb2.Status(code=code, message=message)
    status.details.add().Pack(info)
    # The rich status is the standard place; opentelemetry-python's exporter (1.4x) only
    # reads a bare `google.rpc.retryinfo-bin` trailer, so send both.
    return (("grpc-status-details-bin", status.SerializeToString()),
            ("google.rpc.retryinfo-bin", info.SerializeToString()))


def _handler(ingestor: Ingestor, signal: Signal, auth: Authenticator) -> Callable[..., Any]:
    metrics = ingestor.metrics

    async def export(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        if auth.required:
            md = dict(context.invocation_metadata() or ())
            header = md.get("authorization")  # a str: only keys ending in -bin carry bytes
            verdict = auth.bearer(peer_address(context.peer()),
                                  header if isinstance(header, str) else None)
            if verdict.wait:
                metrics.request(signal, "grpc", "unauthorized")
                msg = f"too many wrong tokens from this address: try again in {verdict.wait} s"
                await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, msg,
                                    trailing_metadata=_retry_details(
                                        msg, verdict.wait, code_pb2.RESOURCE_EXHAUSTED))
            if not verdict.ok:
                metrics.request(signal, "grpc", "unauthorized")
                await context.abort(grpc.StatusCode.UNAUTHENTICATED,
                                    "missing or wrong bearer token")
        try:
            batch = await ingestor.decode(signal, request, "protobuf")
        except DecodeError as exc:
            metrics.request(signal, "grpc", "invalid")
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except TooMuchWork as exc:
            metrics.request(signal, "grpc", "too_large")
            await context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED,
                                f"{exc}: split it into smaller exports")
        except DecoderStopped as exc:  # replaced already: the retry is decoded
            metrics.request(signal, "grpc", "failed")
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc),
                                trailing_metadata=_retry_details(str(exc), 1))
        try:
            await ingestor.store(batch, len(request))
        except Overloaded as exc:
            metrics.request(signal, "grpc", "throttled", batch.records)
            msg = "ccotel is busy writing: retry later"
            await context.abort(grpc.StatusCode.UNAVAILABLE, msg,
                                trailing_metadata=_retry_details(msg, exc.retry_after_s))
        except RejectedBatch as exc:
            metrics.request(signal, "grpc", "invalid", batch.records)
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except Exception as exc:  # storage trouble: ask for a retry
            metrics.request(signal, "grpc", "failed", batch.records)
            msg = f"could not store the data: {exc}"
            await context.abort(grpc.StatusCode.UNAVAILABLE, msg,
                                trailing_metadata=_retry_details(msg, 5))
        metrics.request(signal, "grpc", "accepted", batch.records)
        return export_response(signal, batch).SerializeToString()

    return export


def build_server(ingestor: Ingestor, *, max_body: int,
                 auth: Authenticator | None = None,
                 limits: connections.Limits | None = None,
                 max_connections: int | None = None) -> grpc.aio.Server:
    auth = auth or Authenticator(None)
    limits = limits or connections.Limits()
    timeout_ms = int(limits.request_timeout * 1000)
    server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", max_body),
        ("grpc.so_reuseport", 0),  # a busy port must fail, not be shared
        # Slow or idle clients: the HTTP/2 handshake within the request deadline; a
        # connection without calls closes after a minute; any connection after two
        # (exporters reconnect on GOAWAY), its calls given the request deadline to end;
        # dead peers found by keepalive pings. A call trickling its message is bounded by
        # the connection's age, its streams per connection and the connection cap.
        ("grpc.server_handshake_timeout_ms", timeout_ms),
        ("grpc.max_connection_idle_ms", 60_000),
        ("grpc.max_connection_age_ms", 120_000),
        ("grpc.max_connection_age_grace_ms", timeout_ms),
        ("grpc.keepalive_time_ms", 60_000),
        ("grpc.keepalive_timeout_ms", 20_000),
        ("grpc.max_concurrent_streams", MAX_STREAMS),
        ("grpc.max_allowed_incoming_connections", max_connections or limits.max_connections),
    ])
    handlers = [
        grpc.method_handlers_generic_handler(service, {
            "Export": grpc.unary_unary_rpc_method_handler(_handler(ingestor, signal, auth))
        })
        for signal, service in SERVICES.items()
    ]
    server.add_generic_rpc_handlers(handlers)
    return server
