"""Claude Code telemetry with attribution attributes, stored through decode and the writer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import Writer

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Req:
    """One api_request event as Claude Code sends it."""

    session: str
    cost: Decimal
    tokens: int = 100
    model: str = "claude-sonnet-4-5"
    attrs: dict[str, Any] = field(default_factory=dict)  # skill.name, query_source, ...
    resource: dict[str, str] = field(default_factory=dict)  # OTEL_RESOURCE_ATTRIBUTES
    event: str = "api_request"
    cache_creation: int = 0


def _attr(k: str, v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"key": k, "value": {"boolValue": v}}
    if isinstance(v, int):
        return {"key": k, "value": {"intValue": str(v)}}
    if isinstance(v, float):
        return {"key": k, "value": {"doubleValue": v}}
    return {"key": k, "value": {"stringValue": str(v)}}


def body(reqs: list[Req], start: datetime = T0) -> bytes:
    """OTLP/JSON logs: one resource per distinct resource, the records in order."""
    by_resource: dict[str, list[dict[str, Any]]] = {}
    for i, r in enumerate(reqs):
        ts = start + timedelta(seconds=i)
        attrs = {"session.id": r.session, "user.id": "u1", "event.name": r.event,
                 "event.sequence": i, "model": r.model, "request_id": f"req_{r.session}_{i}",
                 "input_tokens": r.tokens, "output_tokens": r.tokens // 2,
                 "cache_read_tokens": 0, "cache_creation_tokens": r.cache_creation,
                 "cost_usd": str(r.cost), **r.attrs}
        rec = {"timeUnixNano": str(int(ts.timestamp() * 1e9)),
               "body": {"stringValue": f"claude_code.{r.event}"},
               "attributes": [_attr(k, v) for k, v in attrs.items()]}
        by_resource.setdefault(json.dumps(r.resource, sort_keys=True), []).append(rec)
    return json.dumps({"resourceLogs": [{
        "resource": {"attributes": [_attr("service.name", "claude-code"),
                                    _attr("service.version", "2.1.332")]
                     + [_attr(k, v) for k, v in json.loads(res).items()]},
        "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events"},
                       "logRecords": recs}]} for res, recs in by_resource.items()]}).encode()


def store(data_dir: Path, reqs: list[Req], start: datetime = T0) -> None:
    """Store `reqs` as `ccotel serve` would (decode + the one writer)."""
    con = schema.connect(data_dir)
    try:
        Writer(con).write_now(decode_request("logs", body(reqs, start), "json"))
    finally:
        con.close()
