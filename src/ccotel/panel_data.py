"""Panel JSON: the data of each dashboard panel, shaped for the page from the rows of
`ccotel.store.panels`. `DATA` maps every panel id of `ccotel.panels` to its function.

The dashboard page fetches these through `/api/v1/dashboard` (several panels read together:
`panels_data`), a script one at a time through `/api/v1/panels/<id>`: the same functions, so
the page and the API cannot show different numbers. Shapes, by panel kind:

- stat: ``{"value": number | null}``
- timeseries: ``{"step_s": int, "times": [epoch s], "series": [{"name", "values", "total"}]}``
  (``values`` line up with ``times``; ``total`` is the exact sum over the range)
- piechart, bargauge: ``{"items": [{"name", "value", ...}]}``, largest first
- table: ``{"columns": [{"id", "title", "unit"}], "rows": [{column id: value}]}``
- logs: ``{"events": [...], "cursor": str | null}`` (see `ccotel.store.logs`)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, overload

import duckdb

from ccotel.panels import PANELS_BY_ID
from ccotel.query import Query
from ccotel.store import attribution, batch
from ccotel.store import logs as logs_store
from ccotel.store import panels as store

Cursor = duckdb.DuckDBPyConnection
Data = dict[str, Any]
TOKEN_TYPES = (("input", "input"), ("output", "output"), ("cacheRead", "cache_read"),
               ("cacheCreation", "cache_creation"))


@overload
def _num(v: None) -> None: ...


@overload
def _num(v: Decimal | float) -> float | int: ...


def _num(v: Decimal | float | None) -> float | int | None:
    """JSON-friendly number: exact integers stay integers, cost keeps 12 decimals."""
    if v is None:
        return None
    if isinstance(v, Decimal):
        return round(float(v), 12)
    if isinstance(v, float) and v.is_integer() and abs(v) < 2**53:
        return int(v)
    return v


def _epoch_ms(dt: datetime) -> int:
    return int(dt.replace(tzinfo=UTC).timestamp() * 1000)


def _times(q: Query, step_s: int) -> list[int]:
    step_ms = step_s * 1000
    first, last = _epoch_ms(q.start) // step_ms, (_epoch_ms(q.end) - 1) // step_ms
    return [b * step_s for b in range(first, last + 1)]


def _timeseries(q: Query, step_s: int, rows: list[dict[str, Any]], names: list[str],
                value: Callable[[dict[str, Any], str], Any], *,
                key: Callable[[dict[str, Any]], str] | None = None,
                per_minute: bool = False, fill: Any = 0) -> Data:
    """Dense series over the range's buckets. `value(row, name)` reads one series' number
    from a row, for every series; with `key`, a row belongs to the one series `key(row)`
    names and is read for it alone (one pass over the rows, not one per series). A bucket
    without rows gets `fill`. Rates divide by the bucket's minutes."""
    times = _times(q, step_s)
    index = {t: i for i, t in enumerate(times)}
    series: dict[str, list[Any]] = {name: [fill] * len(times) for name in names}
    totals: dict[str, Any] = dict.fromkeys(names, 0)
    for r in rows:
        i = index.get(int(r["bucket"]) * step_s)
        if i is None:
            continue
        for name in names if key is None else (key(r),):
            values = series.get(name)
            v = value(r, name)
            if values is None or v is None:
                continue
            values[i] = (values[i] or 0) + v
            totals[name] += v
    out = []
    for name in names:
        values = series[name]
        if per_minute:
            values = [None if v is None else round(v * 60 / step_s, 6) for v in values]
        out.append({"name": name, "values": [_num(v) for v in values],
                    "total": _num(totals[name])})
    return {"step_s": step_s, "times": times, "series": out}


def _items(pairs: list[tuple[str, Any]]) -> Data:
    return {"items": [{"name": n, "value": _num(v)} for n, v in pairs]}


# -- usage: tokens and cost -----------------------------------------------------------------


def total_cost(con: Cursor, q: Query) -> Data:
    return {"value": _num(Decimal(store.usage_total(con, q)["cost_usd"]))}


def tokens_by_type(con: Cursor, q: Query) -> Data:
    row = store.usage_total(con, q)
    return _items([(name, int(row[col])) for name, col in TOKEN_TYPES])


def total_tokens_last_hour(con: Cursor, q: Query, now: datetime | None = None) -> Data:
    # The title fixes the range: the hour before now, whatever the dashboard shows.
    end = now or datetime.now(UTC).replace(tzinfo=None)
    hour = replace(q, start=end - timedelta(hours=1), end=end)
    row = store.usage_total(con, hour)
    return {"value": sum(int(row[col]) for _, col in TOKEN_TYPES),
            "from": Query.iso(hour.start), "to": Query.iso(hour.end)}


def cache_hit_ratio(con: Cursor, q: Query) -> Data:
    row = store.usage_total(con, q)
    inputs = row["input"] + row["cache_read"] + row["cache_creation"]
    return {"value": round(row["cache_read"] / inputs, 6) if inputs else None}


def cost_by_model(con: Cursor, q: Query) -> Data:
    rows = store.usage_cost(con, q, by="model")
    return _items([(r["key"] or "(unknown)", r["cost_usd"]) for r in rows])


def cost_by_user(con: Cursor, q: Query) -> Data:
    rows = store.usage_cost(con, q, by="user", limit=20)
    return _items([(r["key"] or "(unknown)", r["cost_usd"]) for r in rows])


def token_usage_rate(con: Cursor, q: Query) -> Data:
    step = q.step_s
    rows = store.usage(con, q, step_ms=step * 1000)
    cols = dict(TOKEN_TYPES)
    return _timeseries(q, step, rows, [n for n, _ in TOKEN_TYPES],
                       lambda r, name: r[cols[name]], per_minute=True)


# -- events ---------------------------------------------------------------------------------


def total_requests(con: Cursor, q: Query) -> Data:
    return {"value": store.event_count(con, q, "api_request")}


def total_errors(con: Cursor, q: Query) -> Data:
    return {"value": store.event_count(con, q, "api_error")}


def total_tool_calls(con: Cursor, q: Query) -> Data:
    return {"value": store.event_count(con, q, "tool_result")}


def tool_usage_distribution(con: Cursor, q: Query) -> Data:
    rows = store.tool_calls(con, q)
    return _items([(r["key"] or "(unknown)", r["n"]) for r in rows])


def tool_call_rate(con: Cursor, q: Query) -> Data:
    step = q.step_s
    rows = store.tool_calls(con, q, step_ms=step * 1000)
    totals: dict[str, int] = {}
    for r in rows:
        totals[r["key"] or "(unknown)"] = totals.get(r["key"] or "(unknown)", 0) + r["n"]
    names = sorted(totals, key=lambda n: (-totals[n], n))
    return _timeseries(q, step, rows, names, lambda r, _name: r["n"],
                       key=lambda r: r["key"] or "(unknown)", per_minute=True)


def error_rate(con: Cursor, q: Query) -> Data:
    step = q.step_s
    rows = store.errors_and_requests(con, q, step_ms=step * 1000)
    data = _timeseries(q, step, rows, ["errors", "requests"], lambda r, name: r[name])
    errors, requests = data["series"][0], data["series"][1]
    rate = [e / (e + r) if e + r else None
            for e, r in zip(errors["values"], requests["values"], strict=True)]
    total = errors["total"] + requests["total"]
    data["series"] = [{"name": "error rate", "values": [None if v is None else round(v, 6)
                                                        for v in rate],
                       "total": round(errors["total"] / total, 6) if total else None}]
    data["errors"], data["requests"] = errors["total"], requests["total"]
    return data


def avg_response_time(con: Cursor, q: Query) -> Data:
    avg = store.avg_response_time(con, q)["avg_ms"]
    return {"value": None if avg is None else round(float(avg), 3)}


def time_to_first_token(con: Cursor, q: Query) -> Data:
    rows = store.latency(con, q, step_ms=0)
    v = rows[0]["ttft_q"][0] if rows and rows[0]["ttft_q"] else None
    return {"value": None if v is None else round(float(v), 3)}


def api_latency(con: Cursor, q: Query) -> Data:
    step = q.step_s
    rows = store.latency(con, q, step_ms=step * 1000)
    names = {"p50": ("duration_q", 0), "p95": ("duration_q", 1),
             "ttft p50": ("ttft_q", 0), "ttft p95": ("ttft_q", 1)}

    def pick(r: dict[str, Any], name: str) -> float | None:
        col, i = names[name]
        v = r[col][i] if r[col] else None
        return None if v is None else round(float(v), 3)

    data = _timeseries(q, step, rows, list(names), pick, fill=None)
    for s in data["series"]:
        s["total"] = None  # a sum of percentiles means nothing
    return data


def sessions(con: Cursor, q: Query) -> Data:
    return {"value": store.active(con, q, "sessions")}


def active_users(con: Cursor, q: Query) -> Data:
    return {"value": store.active(con, q, "users")}


def session_duration(con: Cursor, q: Query) -> Data:
    rows = store.session_durations(con, q, limit=10)
    return {"items": [{"name": f"{r['user'] or '?'} · {r['session_id'][:8]}",
                       "value": round(float(r["seconds"]), 3),
                       "session_id": r["session_id"]} for r in rows]}


# -- metrics --------------------------------------------------------------------------------


def commits(con: Cursor, q: Query) -> Data:
    return {"value": _num(store.metric(con, q, "commits")[0])}


def pull_requests(con: Cursor, q: Query) -> Data:
    return {"value": _num(store.metric(con, q, "pull_requests")[0])}


def lines_of_code(con: Cursor, q: Query) -> Data:
    added, removed = store.metric(con, q, "lines_of_code")
    return _items([("added", added), ("removed", removed)])


def active_time(con: Cursor, q: Query) -> Data:
    user, cli = store.metric(con, q, "active_time")
    return _items([("user", round(user, 3)), ("cli", round(cli, 3))])


def edit_decisions(con: Cursor, q: Query) -> Data:
    rows = []
    for r in store.edit_decisions(con, q):
        accept, reject = _num(r["accept"] or 0), _num(r["reject"] or 0)
        total = (accept or 0) + (reject or 0)
        rows.append({"tool": r["tool"], "language": r["language"], "accept": accept,
                     "reject": reject, "accept_rate": round(accept / total, 6) if total else None})
    return {"columns": [{"id": "tool", "title": "Tool", "unit": "string"},
                        {"id": "language", "title": "Language", "unit": "string"},
                        {"id": "accept", "title": "Accepted", "unit": "short"},
                        {"id": "reject", "title": "Rejected", "unit": "short"},
                        {"id": "accept_rate", "title": "Accept rate", "unit": "percentunit"}],
            "rows": rows}


def top_sessions(con: Cursor, q: Query) -> Data:
    rows = []
    for r in store.top_sessions(con, q, limit=store.TOP_SESSIONS):
        if not r["session_id"]:
            continue  # metrics without a session: no session to open
        first, last = r["first_ts"], r["last_ts"]
        rows.append({
            "session_id": r["session_id"],
            "user": r["user"],
            "start": Query.iso(first) if first else None,
            "duration_s": round((last - first).total_seconds(), 3) if first and last else None,
            "models": r["models"],
            "prompts": r["prompts"] or 0,
            "requests": int(r["requests"]),
            "errors": r["errors"] or 0,
            "tool_calls": r["tool_calls"] or 0,
            "tokens": int(r["tokens"]),
            "cost_usd": _num(Decimal(r["cost_usd"])),
        })
    return {"columns": [{"id": "session_id", "title": "Session", "unit": "session"},
                        {"id": "user", "title": "User", "unit": "string"},
                        {"id": "start", "title": "Started", "unit": "time"},
                        {"id": "duration_s", "title": "Duration", "unit": "s"},
                        {"id": "models", "title": "Models", "unit": "string"},
                        {"id": "prompts", "title": "Prompts", "unit": "short"},
                        {"id": "requests", "title": "Requests", "unit": "short"},
                        {"id": "errors", "title": "Errors", "unit": "short"},
                        {"id": "tool_calls", "title": "Tool calls", "unit": "short"},
                        {"id": "tokens", "title": "Tokens", "unit": "short"},
                        {"id": "cost_usd", "title": "Cost", "unit": "currencyUSD"}],
            "rows": rows}


def logs(con: Cursor, q: Query) -> Data:
    return logs_store.events(con, q)


# -- dispatch -------------------------------------------------------------------------------

PanelFn = Callable[[Cursor, Query], Data]
# Every panel of `ccotel.panels`, by id (tests/web/test_dashboard_api.py: no more, no less).
DATA: dict[str, PanelFn] = {
    "total_requests": total_requests,
    "total_errors": total_errors,
    "total_tool_calls": total_tool_calls,
    "avg_response_time": avg_response_time,
    "total_cost": total_cost,
    "total_tokens_last_hour": total_tokens_last_hour,
    "sessions": sessions,
    "active_users": active_users,
    "cache_hit_ratio": cache_hit_ratio,
    "time_to_first_token": time_to_first_token,
    "commits": commits,
    "pull_requests": pull_requests,
    "token_usage_rate": token_usage_rate,
    "tool_call_rate": tool_call_rate,
    "error_rate": error_rate,
    "api_latency": api_latency,
    "tool_usage_distribution": tool_usage_distribution,
    "tokens_by_type": tokens_by_type,
    "cost_by_model": cost_by_model,
    "cost_by_user": cost_by_user,
    "session_duration": session_duration,
    "active_time": active_time,
    "lines_of_code": lines_of_code,
    "edit_decisions": edit_decisions,
    "top_sessions": top_sessions,
    "logs": logs,
    # Attribution's: cost by repo, branch, skill, ... and Where the Money Went.
    **attribution.PANEL_FUNCTIONS,
}


def panel_data(con: Cursor, panel_id: str, q: Query) -> Data:
    """The JSON of `/api/v1/panels/<panel_id>`: the panel's facts and its data."""
    panel = PANELS_BY_ID[panel_id]
    data = DATA[panel_id](con, q)
    start, end = data.pop("from", Query.iso(q.start)), data.pop("to", Query.iso(q.end))
    out = {"id": panel.id, "title": panel.title, "kind": panel.kind, "unit": panel.unit,
           "from": start, "to": end, "data": data}
    # Filters of single requests (skill, effort, ...) only attribution's panels apply.
    skipped = [] if panel_id in attribution.PANEL_FUNCTIONS else attribution.unfiltered(q)
    if skipped:
        out["unfiltered"] = skipped
    return out


def panels_data(con: Cursor, panel_ids: list[str], q: Query) -> list[Data]:
    """The JSON of `/api/v1/dashboard`: `panel_data` of each of `panel_ids`, in that
    order, read together (`store.batch`): a read that serves several of them (the usage
    sums, the named breakdowns) runs once."""
    with batch.together(panel_ids):
        return [panel_data(con, pid, q) for pid in panel_ids]
