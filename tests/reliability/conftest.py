"""Helpers for the reliability and security tests: free ports, a self-signed certificate,
the real OpenTelemetry SDK exporters with recording wrappers."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.metrics import Counter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
)

from tests.conftest import Server, start_server

DELTA = {Counter: AggregationTemporality.DELTA}


def serve(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> Server:
    """`start_server` (its output is drained into `srv.log`)."""
    return start_server(data_dir, *args, env=env)


def free_ports(n: int) -> list[int]:
    """n distinct ports free right now: a restarted server must come back on the same
    ports so that the exporters' retries reach it."""
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def port_args(ports: Sequence[int]) -> list[str]:
    grpc, http, ui, metrics = ports
    return ["--grpc-port", str(grpc), "--http-port", str(http), "--ui-port", str(ui),
            "--metrics-port", str(metrics)]


@dataclass
class Cert:
    cert: Path
    key: Path


@pytest.fixture(scope="session")
def tls_cert(tmp_path_factory: pytest.TempPathFactory) -> Cert:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True)
    return Cert(cert, key)


def sdk_exporters(protocol: str, endpoint: str, *, headers: dict[str, str] | None = None,
                  certificate: Path | None = None, timeout: float = 10.0) -> tuple[Any, Any]:
    """(log exporter, metric exporter) of the real SDK, delta temporality."""
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        hdrs = tuple((k.lower(), v) for k, v in (headers or {}).items()) or None
        kw: dict[str, Any] = {"endpoint": endpoint, "headers": hdrs, "timeout": timeout}
        if certificate is not None:
            import grpc

            kw["credentials"] = grpc.ssl_channel_credentials(certificate.read_bytes())
            kw["insecure"] = False
        else:
            kw["insecure"] = True
        return OTLPLogExporter(**kw), OTLPMetricExporter(**kw, preferred_temporality=DELTA)
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HL
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HM

    cert = str(certificate) if certificate is not None else None
    return (HL(endpoint=f"{endpoint}/v1/logs", headers=headers, certificate_file=cert,
               timeout=timeout),
            HM(endpoint=f"{endpoint}/v1/metrics", headers=headers, certificate_file=cert,
               timeout=timeout, preferred_temporality=DELTA))


@dataclass
class Ledger:
    """What the exporters were told succeeded (and what failed), for exact comparison."""

    events: list[tuple[str, int]] = field(default_factory=list)
    points: list[tuple[str, tuple[tuple[str, Any], ...], int, int, float]] = field(
        default_factory=list)
    failed_exports: int = 0
    exports: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class RecordingLogExporter(LogRecordExporter):
    """Delegates to a real exporter and notes which records it acknowledged."""

    def __init__(self, inner: LogRecordExporter, ledger: Ledger) -> None:
        self.inner, self.ledger = inner, ledger

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        result = self.inner.export(batch)
        with self.ledger.lock:
            self.ledger.exports += 1
            if result == LogRecordExportResult.SUCCESS:
                for rec in batch:
                    attrs = rec.log_record.attributes or {}
                    self.ledger.events.append((str(attrs["session.id"]),
                                               int(attrs["event.sequence"])))  # type: ignore[arg-type]
            else:
                self.ledger.failed_exports += 1
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return True


class RecordingMetricExporter(MetricExporter):
    def __init__(self, inner: MetricExporter, ledger: Ledger) -> None:
        super().__init__(preferred_temporality=inner._preferred_temporality,
                         preferred_aggregation=inner._preferred_aggregation)
        self.inner, self.ledger = inner, ledger

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000,
               **kwargs: Any) -> MetricExportResult:
        result = self.inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        with self.ledger.lock:
            self.ledger.exports += 1
            if result != MetricExportResult.SUCCESS:
                self.ledger.failed_exports += 1
                return result
            for rm in metrics_data.resource_metrics:
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        for dp in m.data.data_points:
                            self.ledger.points.append(
                                (m.name, tuple(sorted((dp.attributes or {}).items())),
                                 dp.start_time_unix_nano, dp.time_unix_nano,
                                 float(dp.value)))  # type: ignore[union-attr]
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self.inner.shutdown(timeout_millis=timeout_millis)
