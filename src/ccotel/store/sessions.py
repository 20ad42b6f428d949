"""One session: its totals, its timeline of events, and its trace waterfall."""

from __future__ import annotations

import json
from typing import Any

import duckdb

from ccotel.query import Query
from ccotel.store import queries
from ccotel.store.logs import event_json

Cursor = duckdb.DuckDBPyConnection
MAX_EVENTS = 20_000
MAX_SPANS = 5_000


class NoSuchSession(LookupError):
    pass


def _rows(cur: Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def _json(text: Any) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def session(con: Cursor, session_id: str) -> dict[str, Any]:
    """The `/api/v1/sessions/<id>` object. Raises NoSuchSession when nothing names it."""
    rows = _rows(queries.run(con, "session_events", session=session_id, limit=MAX_EVENTS))
    metrics = queries.run(con, "session_points", session=session_id).fetchall()
    span_rows = _rows(queries.run(con, "session_spans", session=session_id, limit=MAX_SPANS))
    if not rows and not metrics and not span_rows:
        raise NoSuchSession(session_id)
    timeline = [event_json(r) for r in rows]
    requests = [r for r in rows if r["event_name"] == "api_request"]
    tools = [r for r in rows if r["event_name"] == "tool_result"]
    totals: dict[str, Any] = {
        "prompts": sum(r["event_name"] == "user_prompt" for r in rows),
        "requests": len(requests),
        "errors": sum(r["event_name"] == "api_error" for r in rows),
        "tool_calls": len(tools),
        "tool_failures": sum(r["success"] is False for r in tools),
        "cost_usd": round(float(sum((r["cost_usd"] or 0) for r in requests)), 12),
        "tokens": {
            "input": sum(r["input_tokens"] or 0 for r in requests),
            "output": sum(r["output_tokens"] or 0 for r in requests),
            "cacheRead": sum(r["cache_read_tokens"] or 0 for r in requests),
            "cacheCreation": sum(r["cache_creation_tokens"] or 0 for r in requests),
        },
    }
    metric_totals: dict[str, float] = {}
    for name, typ, value in metrics:
        key = name.removeprefix("claude_code.") + (f".{typ}" if typ else "")
        metric_totals[key] = value
    if not requests:
        # Metrics only (no api_request events): cost and tokens from the metrics.
        totals["cost_usd"] = round(metric_totals.get("cost.usage", 0.0), 12)
        for t in ("input", "output", "cacheRead", "cacheCreation"):
            totals["tokens"][t] = int(metric_totals.get(f"token.usage.{t}", 0))
    first = rows[0] if rows else None
    last = rows[-1] if rows else None
    return {
        "session_id": session_id,
        "user": (first or {}).get("user_email") or (first or {}).get("user_id"),
        "user_id": (first or {}).get("user_id"),
        "terminal": (first or {}).get("terminal_type"),
        "version": (first or {}).get("app_version") or (first or {}).get("service_version"),
        "models": sorted({r["model"] for r in requests if r["model"]}),
        "start": Query.iso(first["ts"]) if first else None,
        "end": Query.iso(last["ts"]) if last else None,
        "duration_s": round((last["ts"] - first["ts"]).total_seconds(), 3) if first and last
        else None,
        "totals": totals,
        "metrics": metric_totals,
        "timeline": timeline,
        "truncated": len(rows) == MAX_EVENTS,
        "spans": [_span(s) for s in span_rows],
    }


def _span(s: dict[str, Any]) -> dict[str, Any]:
    return {
        "trace_id": s["trace_id"],
        "span_id": s["span_id"],
        "parent_span_id": s["parent_span_id"],
        "name": s["name"],
        "kind": s["kind"],
        "start": Query.iso(s["ts"]),
        "start_unix_nano": s["start_unix_nano"],
        "end_unix_nano": s["end_unix_nano"],
        "duration_ms": s["duration_ms"],
        "status_code": s["status_code"],
        "status_message": s["status_message"],
        "attributes": _json(s["attributes"]) or {},
        "events": _json(s["events"]) or [],
    }
