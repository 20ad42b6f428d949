"""Sending the outbox on: one thread per `--forward` target, oldest request first.

OTLP/HTTP for `http://` and `https://` URLs (the base URL, as OTEL_EXPORTER_OTLP_ENDPOINT:
`/v1/logs` etc. are appended), OTLP/gRPC for `grpc://` (plain) and `grpcs://` (TLS). Each
`--forward-header 'name=value'` goes with every request (an API key, `Authorization`);
`--forward-ca` verifies the target's certificate against a private CA.

A request leaves the outbox when the target took it, or refused it for good (invalid data:
it would be refused forever); otherwise it is retried with exponential backoff (1 s
doubling to 60 s, or the target's Retry-After), and after a restart from the same table:
at least once. Past `--forward-max-bytes` waiting for a target, the oldest requests are
dropped, counted in `ccotel_forward_dropped_total` and logged.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import duckdb
import grpc
import httpx
from prometheus_client import Counter, Gauge

from ccotel.forward import outbox
from ccotel.selfmetrics import ServerMetrics
from ccotel.store import queries
from ccotel.store.writer import Writer

log = logging.getLogger("ccotel.forward")
BATCH = 64
POLL_S = 0.2
TRIM_EVERY_S = 5.0
MAX_BACKOFF_S = 60.0
TIMEOUT_S = 30.0
Outcome = Literal["sent", "retry", "refused"]
# Answers that mean: this request will never be taken. Anything else is retried, even
# 401/403 (a wrong key is fixed by the user; the data must still be there then).
_REFUSED_HTTP = frozenset({400, 404, 405, 413, 415, 422})
_REFUSED_GRPC = frozenset({grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.UNIMPLEMENTED,
                           grpc.StatusCode.OUT_OF_RANGE})


class ForwardError(ValueError):
    """A --forward URL or header that cannot be used; the message says why."""


@dataclass(frozen=True)
class Target:
    """One `--forward` URL."""

    url: str
    protocol: Literal["http", "grpc"]
    tls: bool
    address: str  # host:port for gRPC, the base URL for HTTP

    @classmethod
    def parse(cls, url: str) -> Target:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https", "grpc", "grpcs") or not parts.hostname:
            raise ForwardError(f"--forward {url!r}: use http(s)://host:port for OTLP/HTTP or "
                               "grpc(s)://host:port for OTLP/gRPC")
        if parts.username or parts.password:
            raise ForwardError(f"--forward {url!r}: put credentials in --forward-header, "
                               "not in the URL")
        if parts.scheme.startswith("http"):
            return cls(url, "http", parts.scheme == "https", url.rstrip("/"))
        try:
            port = parts.port or 4317
        except ValueError:
            raise ForwardError(f"--forward {url!r}: bad port") from None
        return cls(url, "grpc", parts.scheme == "grpcs", f"{parts.hostname}:{port}")


def parse_headers(items: tuple[str, ...] | list[str]) -> dict[str, str]:
    """`name=value` pairs (the value may contain '=') as a dict."""
    headers = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ForwardError(f"--forward-header {item.split('=')[0]!r}...: use 'name=value'")
        headers[name.strip()] = value.strip()
    return headers


class ForwardMetrics:
    """The forwarder's self-metrics, on the server's registry."""

    def __init__(self, metrics: ServerMetrics) -> None:
        self.sent = Counter("ccotel_forward_sent", "OTLP requests a forward target took.",
                            ["target"], registry=metrics.registry)
        self.dropped = Counter(
            "ccotel_forward_dropped", "OTLP requests dropped from the forward outbox: "
            "refused for good by the target, or the oldest past --forward-max-bytes.",
            ["target", "reason"], registry=metrics.registry)
        self.retries = Counter("ccotel_forward_retries", "Failed attempts that will be "
                               "retried.", ["target"], registry=metrics.registry)
        self.waiting = Gauge("ccotel_forward_outbox_bytes", "Bytes waiting in the outbox.",
                             ["target"], registry=metrics.registry)


class Forwarder:
    """The thread that empties the outbox of one target."""

    def __init__(self, writer: Writer, target: Target, headers: dict[str, str],
                 metrics: ForwardMetrics, *, ca: Path | None = None,
                 max_bytes: int = 256 << 20) -> None:
        self.writer = writer
        self.target = target
        self.headers = headers
        self.metrics = metrics
        self.max_bytes = max_bytes
        self.ca = ca
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"ccotel-forward-{target.address}")
        self._client: Any = None
        self._stubs: dict[str, Any] = {}
        self._backoff = 0.0
        self._last_trim = 0.0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    # -- the loop -----------------------------------------------------------------------

    def _run(self) -> None:
        cur = self.writer.cursors()  # reads; each change is handed to the writer
        try:
            self._connect()
            while not self._stop.is_set():
                try:
                    self._step(cur)
                except duckdb.Error:  # e.g. a write conflict with the writer: try again
                    if self._stop.is_set():
                        break
                    log.exception("forward outbox for %s: store error; retrying",
                                  self.target.url)
                    self._stop.wait(1.0)
        except Exception:  # a bug: log it; the outbox keeps everything for the next start
            log.exception("forwarding to %s stopped", self.target.url)
        finally:
            cur.close()
            self._close()

    def _step(self, cur: Any) -> None:
        """Trim when due, then send the oldest waiting requests until one must wait."""
        if time.monotonic() - self._last_trim > TRIM_EVERY_S:
            self._last_trim = time.monotonic()
            self._trim(cur)
        rows = queries.run(cur, "outbox_next", target=self.target.url,
                           limit=BATCH).fetchall()
        if not rows:
            self._stop.wait(POLL_S)
            return
        for row_id, signal, body in rows:
            outcome, retry_after = self._send(signal, bytes(body))
            if outcome == "retry":
                self.metrics.retries.labels(self.target.url).inc()
                self._backoff = min(MAX_BACKOFF_S, max(1.0, self._backoff * 2))
                wait = retry_after if retry_after is not None else self._backoff
                self._stop.wait(wait * random.uniform(0.8, 1.2))
                return
            self._backoff = 0.0
            self.writer.write_sync(functools.partial(outbox.sent, row_id=row_id))
            if outcome == "sent":
                self.metrics.sent.labels(self.target.url).inc()
            else:
                self.metrics.dropped.labels(self.target.url, "refused").inc()
            if self._stop.is_set():
                return

    def _trim(self, cur: Any) -> None:
        dropped = self.writer.write_sync(
            lambda con: outbox.trim(con, self.target.url, self.max_bytes))
        if dropped:
            self.metrics.dropped.labels(self.target.url, "outbox_full").inc(dropped)
            log.warning("forward outbox for %s is past %d bytes: dropped the %d oldest "
                        "requests", self.target.url, self.max_bytes, dropped)
        row = queries.run(cur, "outbox_size", target=self.target.url).fetchone()
        self.metrics.waiting.labels(self.target.url).set(row[1] if row else 0)

    # -- transports ---------------------------------------------------------------------

    def _connect(self) -> None:
        if self.target.protocol == "http":
            verify: Any = str(self.ca) if self.ca else True
            self._client = httpx.Client(timeout=TIMEOUT_S, verify=verify, trust_env=False)
            return
        from opentelemetry.proto.collector.logs.v1 import logs_service_pb2_grpc as logs
        from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2_grpc as metrics
        from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc as trace

        if self.target.tls:
            roots = self.ca.read_bytes() if self.ca else None
            channel = grpc.secure_channel(self.target.address,
                                          grpc.ssl_channel_credentials(roots))
        else:
            channel = grpc.insecure_channel(self.target.address)
        self._client = channel
        self._stubs = {"logs": logs.LogsServiceStub(channel),
                       "metrics": metrics.MetricsServiceStub(channel),
                       "traces": trace.TraceServiceStub(channel)}

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()

    def _send(self, signal: str, body: bytes) -> tuple[Outcome, float | None]:
        try:
            if self.target.protocol == "http":
                return self._send_http(signal, body)
            return self._send_grpc(signal, body)
        except (httpx.HTTPError, OSError) as exc:
            self._log_retry(str(exc) or type(exc).__name__)
            return "retry", None

    def _send_http(self, signal: str, body: bytes) -> tuple[Outcome, float | None]:
        resp = self._client.post(
            f"{self.target.address}/v1/{signal}", content=body,
            headers={**self.headers, "Content-Type": "application/x-protobuf"})
        if 200 <= resp.status_code < 300:
            return "sent", None
        if resp.status_code in _REFUSED_HTTP:
            log.warning("%s refused a %s request for good (%d): dropped", self.target.url,
                        signal, resp.status_code)
            return "refused", None
        self._log_retry(f"HTTP {resp.status_code}")
        try:
            retry_after = min(MAX_BACKOFF_S, float(resp.headers.get("Retry-After", "")))
        except ValueError:
            retry_after = None
        return "retry", retry_after

    def _send_grpc(self, signal: str, body: bytes) -> tuple[Outcome, float | None]:
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
            ExportLogsServiceRequest,
        )
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
            ExportMetricsServiceRequest,
        )
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
        )

        types: dict[str, Any] = {"logs": ExportLogsServiceRequest,
                                 "metrics": ExportMetricsServiceRequest,
                                 "traces": ExportTraceServiceRequest}
        request = types[signal].FromString(body)
        metadata = [(k.lower(), v) for k, v in self.headers.items()]
        try:
            self._stubs[signal].Export(request, metadata=metadata, timeout=TIMEOUT_S)
        except grpc.RpcError as exc:
            code = exc.code() if hasattr(exc, "code") else grpc.StatusCode.UNKNOWN
            if code in _REFUSED_GRPC:
                log.warning("%s refused a %s request for good (%s): dropped",
                            self.target.url, signal, code.name)
                return "refused", None
            self._log_retry(code.name)
            return "retry", None
        return "sent", None

    def _log_retry(self, why: str) -> None:
        log.warning("forwarding to %s failed (%s): retrying with backoff", self.target.url,
                    why)
