"""Durability: SIGKILL `ccotel serve` at random moments while the real OpenTelemetry SDK
exporters (with their own retry) send a known workload; after the last restart the store
holds exactly what the exporters were told was stored. None lost, none twice.

A kill can land after a commit but before the acknowledgement reaches the exporter: the
exporter then retries a batch already stored, and the store must recognise it (events by
session.id + event.sequence, points by series + start + time).
"""

from __future__ import annotations

import logging
import os
import random
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from ccotel.store import schema
from tests.conftest import Server
from tests.reliability.conftest import (
    Ledger,
    RecordingLogExporter,
    RecordingMetricExporter,
    free_ports,
    port_args,
    sdk_exporters,
    serve,
)

KILL_CYCLES = int(os.environ.get("CCOTEL_CRASH_CYCLES", "8"))
SESSIONS = 4
EVENTS_PER_SESSION = 300
TOKEN_TYPES = ("input", "output", "cacheRead", "cacheCreation")


class _Retries(logging.Handler):
    """Counts the exporters' "Transient error ... retrying" warnings: proof that the
    kills interrupted exports and the retry path was exercised."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying" in record.getMessage():
            self.count += 1


class Producer:
    """One Claude-Code-like client: events through a batch processor, delta counters
    through a periodic reader, both exporting over `protocol` with the SDK's retry."""

    def __init__(self, protocol: str, endpoint: str, user: str) -> None:
        self.user = user
        self.ledger = Ledger()
        # Exporter timeout above the whole kill phase: a retry chain (1, 2, 4, 8, 16 s)
        # always outlives the last outage, so no export gives up.
        log_exp, metric_exp = sdk_exporters(protocol, endpoint, timeout=60)
        resource = Resource.create({"service.name": "claude-code", "service.version": "crash"})
        self.lp = LoggerProvider(resource=resource)
        # A queue large enough that nothing is dropped client-side while the server is down.
        self.lp.add_log_record_processor(BatchLogRecordProcessor(
            RecordingLogExporter(log_exp, self.ledger), schedule_delay_millis=100,
            max_export_batch_size=50, max_queue_size=1_000_000))
        self.reader = PeriodicExportingMetricReader(
            RecordingMetricExporter(metric_exp, self.ledger), export_interval_millis=200,
            export_timeout_millis=120_000)
        self.mp = MeterProvider(resource=resource, metric_readers=[self.reader])
        self.tokens_added = 0
        self.emitted = 0
        self.thread = threading.Thread(target=self._run, name=f"producer-{user}", daemon=True)

    def _run(self) -> None:
        logger = self.lp.get_logger("com.anthropic.claude_code.events")
        tokens = self.mp.get_meter("com.anthropic.claude_code").create_counter(
            "claude_code.token.usage", unit="tokens")
        sessions = [str(uuid.uuid4()) for _ in range(SESSIONS)]
        for seq in range(EVENTS_PER_SESSION):
            for sid in sessions:
                n = 1 + (seq * 7 + len(sid)) % 50
                logger.emit(body="claude_code.api_request", attributes={
                    "session.id": sid, "user.id": self.user, "event.name": "api_request",
                    "event.sequence": seq, "model": "claude-opus-5-5", "input_tokens": n,
                    "output_tokens": 1, "cost_usd": n / 1e6})
                typ = TOKEN_TYPES[seq % len(TOKEN_TYPES)]
                tokens.add(n, {"session.id": sid, "user.id": self.user, "type": typ,
                               "model": "claude-opus-5-5"})
                self.tokens_added += n
                self.emitted += 1
            time.sleep(0.03)  # spread the workload over the kill phase

    def finish(self) -> None:
        self.thread.join(120)
        assert not self.thread.is_alive()
        assert self.lp.force_flush(150_000), f"{self.user}: log export did not complete"
        assert self.mp.force_flush(150_000), f"{self.user}: metric export did not complete"
        self.lp.shutdown()
        self.mp.shutdown()


def _store_counts(data_dir: Path, user: str) -> dict[str, Any]:
    con = schema.connect(data_dir, read_only=True)
    try:
        events = con.execute(
            "SELECT session_id, event_sequence FROM events WHERE user_id = ?", [user]).fetchall()
        (points, distinct_points, total) = con.execute(
            "SELECT count(*), count(DISTINCT (series_key, start_unix_nano, time_unix_nano)), "
            "coalesce(sum(value), 0) FROM points WHERE user_id = ? "
            "AND metric_name = 'claude_code.token.usage'", [user]).fetchone()
    finally:
        con.close()
    return {"events": events, "points": points, "distinct_points": distinct_points,
            "tokens": total}


@pytest.mark.e2e
def test_sigkill_at_random_moments_loses_nothing_and_stores_nothing_twice(
        tmp_path: Path) -> None:
    seed = int(os.environ.get("CCOTEL_CRASH_SEED", random.randrange(1 << 30)))
    rng = random.Random(seed)
    retries = _Retries()
    otel_log = logging.getLogger("opentelemetry.exporter")
    otel_log.addHandler(retries)
    data = tmp_path / "data"
    ports = free_ports(4)
    args = port_args(ports)
    srv: Server = serve(data, *args)
    producers = [Producer("grpc", f"http://127.0.0.1:{ports[0]}", "crash-grpc"),
                 Producer("http/protobuf", f"http://127.0.0.1:{ports[1]}", "crash-http")]
    for p in producers:
        p.thread.start()
    kills = 0
    try:
        for _ in range(KILL_CYCLES):
            time.sleep(rng.uniform(0.1, 1.2))  # anywhere: mid-request, mid-commit, idle
            srv.stop(signal.SIGKILL)
            kills += 1
            time.sleep(rng.uniform(0.0, 0.5))  # the outage the exporters must ride out
            srv = serve(data, *args)
        for p in producers:
            p.finish()
    finally:
        otel_log.removeHandler(retries)
        srv.stop()
    assert retries.count > 0, "no export was interrupted: the test proved nothing"

    checked = 0
    for p in producers:
        got = _store_counts(data, p.user)
        sent_events = p.ledger.events
        assert p.ledger.failed_exports == 0, f"seed {seed}: an exporter gave up"
        assert len(sent_events) == p.emitted == SESSIONS * EVENTS_PER_SESSION
        assert len(set(sent_events)) == len(sent_events)
        stored = got["events"]
        lost = set(sent_events) - set(stored)
        assert not lost, f"seed {seed}: {len(lost)} events lost, e.g. {sorted(lost)[:3]}"
        assert len(stored) == len(set(stored)), (
            f"seed {seed}: {len(stored) - len(set(stored))} events stored twice")
        assert len(stored) == len(sent_events)
        assert got["points"] == got["distinct_points"], f"seed {seed}: points stored twice"
        assert got["points"] == len(p.ledger.points), (
            f"seed {seed}: {len(p.ledger.points)} points acknowledged, {got['points']} stored")
        assert got["tokens"] == p.tokens_added == sum(pt[4] for pt in p.ledger.points)
        checked += len(stored) + got["points"]
    print(f"\ncrash: seed {seed}, {kills} SIGKILL cycles survived, {checked} records checked "
          f"({sum(p.ledger.exports for p in producers)} exports, {retries.count} retried attempts)")
