"""ccotel's own metrics (Prometheus text format on the metrics port)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class ServerMetrics:
    """Counters for every OTLP request and record, per signal and protocol."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.requests = Counter(
            "ccotel_otlp_requests", "OTLP export requests by outcome "
            "(accepted, invalid, too_large, unsupported, throttled, unauthorized, forbidden, "
            "failed).",
            ["signal", "protocol", "outcome"], registry=self.registry)
        self.records = Counter(
            "ccotel_otlp_records", "Records (events, points, spans) received, accepted "
            "(stored or already stored) and refused.",
            ["signal", "protocol", "outcome"], registry=self.registry)
        self.queue_depth = Gauge("ccotel_write_queue_depth",
                                 "Export requests waiting for the writer.", registry=self.registry)
        self.commit_seconds = Histogram(
            "ccotel_commit_seconds", "Time to commit one group of batches to DuckDB.",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry)

        self.decoder_restarts = Counter(
            "ccotel_decoder_restarts", "Decoding processes started again after one died or "
            "was stuck on an export (that export was answered with a retry).",
            registry=self.registry)
        self.reads_out_of_memory = Counter(
            "ccotel_store_reads_out_of_memory", "Reads on the UI port that ran out of the "
            "store's memory (--memory-limit): run again alone once the other reads ended, "
            "and answered (rerun), or answered 503 (busy).",
            ["outcome"], registry=self.registry)
        self.decoding_in_process = Gauge(
            "ccotel_decoding_in_process", "1 when no decoding process could start and the "
            "server decodes exports in its own process (slower).", registry=self.registry)

    def route(self) -> Route:
        """`GET /metrics` (exactly: a scraper should not need to follow a redirect)."""
        async def metrics(request: Request) -> Response:
            return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)

        return Route("/metrics", metrics)

    def watch_queue(self, depth: Callable[[], int]) -> None:
        self.queue_depth.set_function(lambda: float(depth()))

    def watch_decoder(self, in_process: Callable[[], bool]) -> None:
        self.decoding_in_process.set_function(lambda: float(in_process()))

    def observe(self, name: str, value: float) -> None:
        if name == "commit_seconds":
            self.commit_seconds.observe(value)

    def request(self, signal: str, protocol: str, outcome: str, records: int = 0) -> None:
        self.requests.labels(signal, protocol, outcome).inc()
        if records:
            self.records.labels(signal, protocol, "received").inc(records)
            self.records.labels(signal, protocol,
                                "accepted" if outcome == "accepted" else "refused").inc(records)
