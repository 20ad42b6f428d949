"""The log stream and the session timeline: event rows as the API shows them.

An event comes back with every attribute it arrived with (typed columns under their
attribute names, plus the ones kept as JSON), and a one-line summary. Values are plain
data: the page renders them as text only.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb

from ccotel.claude import catalogue
from ccotel.query import Query
from ccotel.store import queries

Cursor = duckdb.DuckDBPyConnection
MAX_LIMIT = 1000

# Typed column -> the attribute name it came from.
_ATTR_OF = {col: key for key, col in catalogue.EVENT_COLUMNS.items()}
_ATTR_OF.update(project="project", git_branch="git_branch")
_NOT_ATTRS = {"cursor", "event_key", "ts", "time_unix_nano", "observed_unix_nano", "body",
              "resource", "attributes", "scope_name", "scope_version", "service_name",
              "service_version", "trace_id", "span_id", "severity_number", "severity_text",
              "source"}


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return round(float(v), 12)
    if isinstance(v, datetime):
        return Query.iso(v)
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _json(text: Any) -> dict[str, Any]:
    if not text:
        return {}
    try:
        v = json.loads(text)
    except ValueError:
        return {"(unparsed)": str(text)}
    return v if isinstance(v, dict) else {"(value)": v}


def _ms(v: Any) -> str:
    return "" if v is None else f"{float(v):,.0f} ms"


def summary(row: dict[str, Any], attrs: dict[str, Any]) -> str:
    """One line that says what happened, for the log row and the timeline."""
    name = row.get("event_name") or ""
    if name == "user_prompt":
        text = attrs.get("prompt")
        if isinstance(text, str) and text and text != "<REDACTED>":
            return text
        return f"prompt ({attrs.get('prompt_length', '?')} characters)"
    if name == "api_request":
        cost = row.get("cost_usd")
        parts = [row.get("model") or "?",
                 f"{row.get('input_tokens') or 0:,} in", f"{row.get('output_tokens') or 0:,} out",
                 f"{row.get('cache_read_tokens') or 0:,} cache read",
                 f"${float(cost):.4f}" if cost is not None else "", _ms(row.get("duration_ms"))]
        return " · ".join(p for p in parts if p)
    if name == "api_error":
        parts = [row.get("model") or "?", f"{row.get('status_code') or ''} {row.get('error') or ''}"
                 .strip(), f"attempt {row['attempt']}" if row.get("attempt") else ""]
        return " · ".join(p for p in parts if p)
    if name == "tool_decision":
        return (f"{row.get('tool_name') or '?'} {row.get('decision') or ''}"
                f" ({row.get('decision_source') or '?'})")
    if name == "tool_result":
        ok = row.get("success")
        state = "ok" if ok else ("failed" if ok is False else "done")
        parts = [f"{row.get('tool_name') or '?'} {state}", _ms(row.get("duration_ms")),
                 row.get("error_type") or ""]
        return " · ".join(p for p in parts if p)
    if name == "assistant_response":
        text = attrs.get("response")
        if isinstance(text, str) and text:
            return text
        return f"response ({attrs.get('response_length', '?')} characters)"
    body = row.get("body")
    return str(body) if body else name


def event_json(row: dict[str, Any]) -> dict[str, Any]:
    """One stored event as the API returns it."""
    attrs: dict[str, Any] = {}
    for col, v in row.items():
        if col in _NOT_ATTRS or v is None:
            continue
        attrs[_ATTR_OF.get(col, col)] = _plain(v)
    attrs.update(_json(row.get("attributes")))
    return {
        "cursor": str(row["cursor"]) if row.get("cursor") is not None else None,
        "key": row.get("event_key"),
        "time": Query.iso(row["ts"]),
        "event": row.get("event_name"),
        "session_id": row.get("session_id"),
        "user": row.get("user_email") or row.get("user_id"),
        "model": row.get("model"),
        "tool_name": row.get("tool_name"),
        "severity": row.get("severity_text"),
        "source": row.get("source"),
        "trace_id": row.get("trace_id"),
        "span_id": row.get("span_id"),
        "summary": summary(row, attrs),
        "attributes": attrs,
        "resource": _json(row.get("resource")),
    }


def _rows(cur: Cursor) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# A text search reads every row it looks at: look at the newest first and stop widening
# once the page is full, instead of scanning a month to show the last hour's matches.
_SEARCH_WINDOWS = (timedelta(hours=1), timedelta(days=1), timedelta(days=7))


def events(con: Cursor, q: Query, *, event: str | None = None, text: str | None = None,
           after: int | None = None, limit: int = 100) -> dict[str, Any]:
    """Newest events first; with `after` (a cursor) only the ones stored since it.

    The returned `cursor` is where the next live-tail poll starts: the newest stored
    event, whether or not it matched, so a poll never rescans what was already seen."""
    limit = max(1, min(limit, MAX_LIMIT))
    latest = queries.run(con, "logs_cursor").fetchone()
    params = {**q.params(), "after": after, "event": event or None, "text": text or None,
              "limit": limit}
    query = "logs_events_model" if q.model else "logs_events"
    if not q.model:
        params.pop("model")
    windows = [q.end - w for w in _SEARCH_WINDOWS if q.end - w > q.start] if text else []
    ids: list[int] = []
    upper = q.end
    for lower in [*windows, q.start]:
        found = queries.run(con, query, **{**params, "from": lower, "to": upper,
                                               "limit": limit - len(ids)}).fetchall()
        ids.extend(r[0] for r in found)
        if len(ids) >= limit:
            break
        upper = lower
    rows = _rows(queries.run(con, "logs_rows", ids=ids)) if ids else []
    cursor = latest[0] if latest and latest[0] is not None else after
    return {"events": [event_json(r) for r in rows],
            "cursor": None if cursor is None else str(cursor),
            "has_more": len(rows) == limit}


def filters(con: Cursor, q: Query, *, sessions: int = 200) -> dict[str, Any]:
    """Distinct users, models, sessions, terminals and versions seen in the range."""
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                            ("user", "model", "session", "terminal", "version")}
    rollup_from, rollup_to = queries.window(con, q.start, q.end)
    for f, value, n, _last in queries.run(con, "filters", **{
            "from": q.start, "to": q.end, "rollup_from": rollup_from, "rollup_to": rollup_to,
            "limit": sessions}).fetchall():
        out[f].append({"value": value, "count": int(n)})
    # a value seen in the range: the store holds something, no need to ask
    return {"users": out["user"], "models": out["model"], "sessions": out["session"],
            "terminals": out["terminal"], "versions": out["version"],
            "empty": not any(out.values()) and store_empty(con)}


def store_empty(con: Cursor) -> bool:
    row = queries.run(con, "store_empty").fetchone()
    return bool(row and row[0])


def data_since(con: Cursor) -> str | None:
    """When the store's data begins (ISO 8601), or None for an empty store."""
    row = queries.run(con, "data_since").fetchone()
    return Query.iso(row[0]) if row and row[0] is not None else None
