"""A known Claude-shaped workload sent through the real OpenTelemetry Python SDK exporters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import Counter, MeterProvider
from opentelemetry.sdk.metrics.export import AggregationTemporality, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource


@dataclass
class Expected:
    requests: int = 0
    errors: int = 0
    tool_calls: int = 0
    tool_failures: int = 0
    cost: Decimal = Decimal(0)
    tokens: dict[str, int] = field(default_factory=lambda: {
        "input": 0, "output": 0, "cacheRead": 0, "cacheCreation": 0})
    lines_added: int = 0
    commits: int = 0


def exporters(protocol: str, endpoint: str, headers: dict[str, str] | None = None) -> tuple[Any, Any]:
    """(log exporter, metric exporter) of the real SDK for `protocol`."""
    delta = {Counter: AggregationTemporality.DELTA}
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

        hdrs = tuple((k.lower(), v) for k, v in (headers or {}).items()) or None
        return (OTLPLogExporter(endpoint=endpoint, insecure=True, headers=hdrs),
                OTLPMetricExporter(endpoint=endpoint, insecure=True, headers=hdrs,
                                   preferred_temporality=delta))
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as HL
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter as HM

    return (HL(endpoint=f"{endpoint}/v1/logs", headers=headers),
            HM(endpoint=f"{endpoint}/v1/metrics", headers=headers, preferred_temporality=delta))


def send_workload(protocol: str, endpoint: str, *, sessions: int = 3, turns: int = 4,
                  headers: dict[str, str] | None = None, user: str = "u-sdk") -> Expected:
    """Emit api_request / tool_result / api_error events and delta counters; flush; return
    the totals a correct store must show."""
    log_exp, metric_exp = exporters(protocol, endpoint, headers)
    resource = Resource.create({"service.name": "claude-code", "service.version": "2.1.332"})
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(BatchLogRecordProcessor(log_exp, max_export_batch_size=64))
    reader = PeriodicExportingMetricReader(metric_exp, export_interval_millis=3_600_000)
    mp = MeterProvider(resource=resource, metric_readers=[reader])
    logger = lp.get_logger("com.anthropic.claude_code.events")
    meter = mp.get_meter("com.anthropic.claude_code")
    cost_c = meter.create_counter("claude_code.cost.usage", unit="USD")
    tok_c = meter.create_counter("claude_code.token.usage", unit="tokens")
    loc_c = meter.create_counter("claude_code.lines_of_code.count")
    commit_c = meter.create_counter("claude_code.commit.count")
    exp = Expected()
    for s in range(sessions):
        sid = str(uuid.uuid4())
        base = {"session.id": sid, "user.id": user, "terminal.type": "xterm"}
        seq = 0

        def emit(name: str, attrs: dict[str, Any]) -> None:
            nonlocal seq
            logger.emit(body=f"claude_code.{name}",
                        attributes={**base,  # noqa: B023 - called only in this iteration
                                    "event.name": name, "event.sequence": seq, **attrs})
            seq += 1

        for t in range(turns):
            inp, out, cr, cc = 100 + t, 20 + s, 1000 * (t + 1), 50
            cost = (Decimal(inp) * 4 + Decimal(out) * 20 + Decimal(cr) * Decimal("0.2")
                    + Decimal(cc) * 5) / Decimal(1_000_000)
            emit("api_request", {"model": "claude-opus-5-5", "input_tokens": inp,
                                 "output_tokens": out, "cache_read_tokens": cr,
                                 "cache_creation_tokens": cc, "cost_usd": float(cost),
                                 "duration_ms": 30 + t, "request_id": f"req_{sid}_{t}"})
            ok = t % 3 != 2
            # Claude Code sends these as strings: the store must type them.
            emit("tool_result", {"tool_name": "Bash", "success": "true" if ok else "false",
                                 "duration_ms": str(10 + t)})
            cost_c.add(float(cost), {**base, "model": "claude-opus-5-5"})
            for typ, n in (("input", inp), ("output", out), ("cacheRead", cr),
                           ("cacheCreation", cc)):
                tok_c.add(n, {**base, "type": typ, "model": "claude-opus-5-5"})
                exp.tokens[typ] += n
            exp.requests += 1
            exp.tool_calls += 1
            exp.tool_failures += 0 if ok else 1
            exp.cost += cost
        emit("api_error", {"model": "claude-opus-5-5", "error": "overloaded",
                           "status_code": "529", "attempt": "2"})
        exp.errors += 1
        loc_c.add(7, {**base, "type": "added", "model": "claude-opus-5-5"})
        commit_c.add(1, base)
        exp.lines_added += 7
        exp.commits += 1
    assert lp.force_flush(30_000), "log export did not complete"
    assert mp.force_flush(30_000), "metric export did not complete"
    lp.shutdown()
    mp.shutdown()
    return exp
