"""Hand-built OTLP/JSON exports for the witness tests: each test states its input and its
expected result by hand, so the store, the rollups and the summary are checked against
values that no ccotel code computed."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import Server

HOUR_NS = 3600 * 10**9
# An hour two days ago: long ended, so the server rolls its rows up (`rollups.advance`) and
# the summary reads them from the rollups, not only from raw rows.
PAST_HOUR_NS = (time.time_ns() // HOUR_NS - 48) * HOUR_NS


def attr(key: str, value: Any) -> dict[str, Any]:
    """One OTLP/JSON KeyValue, typed as Claude Code types it."""
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    if isinstance(value, float):
        return {"key": key, "value": {"doubleValue": value}}
    return {"key": key, "value": {"stringValue": str(value)}}


def resource(**extra: Any) -> dict[str, Any]:
    attrs = {"service.name": "claude-code", "service.version": "2.1.332", **extra}
    return {"attributes": [attr(k, v) for k, v in attrs.items()]}


def log_record(t_ns: int, name: str, **attrs: Any) -> dict[str, Any]:
    """A Claude Code event (`claude_code.<name>`) at `t_ns` with `attrs` as attributes."""
    body = f"claude_code.{name}"
    return {"timeUnixNano": str(t_ns), "observedTimeUnixNano": str(t_ns),
            "body": {"stringValue": body},
            "attributes": [attr("event.name", name), *(attr(k, v) for k, v in attrs.items())]}


def logs_export(records: list[dict[str, Any]], **res: Any) -> dict[str, Any]:
    return {"resourceLogs": [{"resource": resource(**res), "scopeLogs": [{
        "scope": {"name": "com.anthropic.claude_code.events", "version": "2.1.332"},
        "logRecords": records}]}]}


def sum_point(start_ns: int, t_ns: int, value: float, **attrs: Any) -> dict[str, Any]:
    return {"startTimeUnixNano": str(start_ns), "timeUnixNano": str(t_ns), "asDouble": value,
            "attributes": [attr(k, v) for k, v in attrs.items()]}


def metrics_export(name: str, points: list[dict[str, Any]], *, cumulative: bool = True,
                   unit: str = "count", **res: Any) -> dict[str, Any]:
    """One monotonic sum metric with `points` (temporality 2 = cumulative, 1 = delta)."""
    return {"resourceMetrics": [{"resource": resource(**res), "scopeMetrics": [{
        "scope": {"name": "com.anthropic.claude_code", "version": "2.1.332"},
        "metrics": [{"name": name, "unit": unit, "sum": {
            "aggregationTemporality": 2 if cumulative else 1, "isMonotonic": True,
            "dataPoints": points}}]}]}]}


def post(srv: Server, signal: str, body: dict[str, Any], expect: int = 200) -> httpx.Response:
    """POST one OTLP/JSON export to the server's OTLP/HTTP port; assert the status."""
    resp = httpx.post(f"{srv.http}/v1/{signal}", content=json.dumps(body), timeout=30,
                      headers={"content-type": "application/json"})
    assert resp.status_code == expect, (resp.status_code, resp.text)
    return resp


def exact_summary(srv: Server, **params: Any) -> dict[str, Any]:
    """/api/v1/summary with every JSON number read as a `Decimal` (the text the server
    sent, not a float parsed from it), for exact comparisons."""
    params.setdefault("from", "0")
    resp = httpx.get(f"{srv.ui}/api/v1/summary", params=params, timeout=30)
    resp.raise_for_status()
    return json.loads(resp.text, parse_float=Decimal)
