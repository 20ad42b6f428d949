"""The dashboard's queries: one function per panel query, each returning rows.

Every function takes the page's `Query` and runs one named query (`store/queries.py`) over
its range and filters, the whole hours of the range read from the hourly rollups and the
rest from raw rows. Turning these rows into the JSON a panel draws is `ccotel.panel_data`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from ccotel.query import Query
from ccotel.store import batch, queries

Cursor = duckdb.DuckDBPyConnection
Row = dict[str, Any]
ALL_ROWS = 1 << 62
HOUR_MS = 3_600_000


def _rows(con: Cursor, name: str, q: Query, *, whole: bool = True, **extra: Any) -> list[Row]:
    """Rows of query `name` for `q`. Time buckets under an hour ($step_ms) or `whole`
    false read raw rows only: a rollup row cannot be split. A query that applies the
    model filter with {model_match} gets the macro for `q`'s (`queries.model_macro`)."""
    whole = whole and extra.get("step_ms", 0) % HOUR_MS == 0
    template = (queries.model_macro(q.model)
                if queries.MODEL_MATCH in queries.named(name).template else {})
    return queries.rows_template(con, name, template, **queries.ranged(con, q, whole=whole),
                                 **extra)


def usage(con: Cursor, q: Query, *, by: str = "", step_ms: int = 0,
          limit: int = ALL_ROWS) -> list[Row]:
    """Tokens and cost of API requests (the cost metric where there are none), grouped
    by `by` ('model', 'user', 'session' or '' for none) and time bucket ($step_ms; 0: the
    range), largest cost first."""
    sets = _shared_sets(con, q)
    if sets is not None and not by and step_ms and step_ms == sets.get("step_ms"):
        return [dict(r) for r in sets["bucket"]]
    if sets is not None and by == "session" and not step_ms and limit <= sets.get("top", 0):
        return [dict(r) for r in sets["session"][:limit]]
    return _rows(con, "panel_usage", q, by=by, step_ms=step_ms, limit=limit)


def usage_cost(con: Cursor, q: Query, *, by: str, limit: int = ALL_ROWS) -> list[Row]:
    """`usage`'s cost alone (`key`, `cost_usd`) by `by` over the range, largest first."""
    sets = _shared_sets(con, q)
    if sets is not None and by in ("model", "user"):
        return [{"key": r["key"], "cost_usd": r["cost_usd"]} for r in sets[by][:limit]]
    return _rows(con, "panel_usage_cost", q, by=by, limit=limit)


def usage_total(con: Cursor, q: Query) -> Row:
    """Tokens by type and cost over the range: one row."""
    sets = _shared_sets(con, q)
    if sets is not None:
        return dict(sets[""][0])
    return _rows(con, "panel_usage_total", q)[0]


TOP_SESSIONS = 10  # the rows of Top Sessions by Cost
_SETS = ("", "model", "user", "bucket", "session")


def _shared_sets(con: Cursor, q: Query) -> dict[str, Any] | None:
    """In a batch of several panels (`batch.shared`), the usage rows of the range grouped
    every way its panels read them, from one statement (panel_usage_sets.sql), once: the
    total (''), by model, by user, by Token Usage Rate's time bucket when the batch has it
    and its buckets are whole hours (`step_ms`), the `top` sessions of Top Sessions by Cost
    when the batch has it. None outside such a batch."""
    b = batch.shared()
    if b is None:
        return None

    def read() -> dict[str, Any]:
        step_ms = q.step_s * 1000 if "token_usage_rate" in b.panels else 0
        step_ms = step_ms if step_ms % HOUR_MS == 0 else 0  # else raw rows: its own read
        top = TOP_SESSIONS if "top_sessions" in b.panels else 0
        out: dict[str, Any] = {grp: [] for grp in _SETS}
        out |= {"step_ms": step_ms, "top": top}
        for r in _rows(con, "panel_usage_sets", q, step_ms=step_ms, top=top):
            grp = r.pop("grp")  # the total's row even over no rows
            if not grp:
                del r["key"], r["bucket"]
            elif grp != "bucket":
                del r["bucket"]
            out[grp].append(r)
        return out
    return batch.once(("usage_sets", repr(q)), read)


def event_count(con: Cursor, q: Query, event: str) -> int:
    """Events named `event` ('api_request', 'api_error' or 'tool_result') in the range: the
    three counted by one statement, once per batch (`store.batch`)."""
    row = batch.once(("event_counts", repr(q)), lambda: _rows(con, "panel_event_counts", q)[0])
    return int(row[event])


def tool_calls(con: Cursor, q: Query, *, step_ms: int = 0) -> list[Row]:
    """Tool calls by tool (`key`) and time bucket ($step_ms; 0: the range), most first. In
    a batch of several panels with both Tool Call Rate (buckets of `q.step_s`) and Tool
    Usage Distribution (the range), one statement reads both: a tool's calls over the range
    are the sum of its buckets'."""
    rows = _bucketed_once(q, step_ms, {"tool_call_rate", "tool_usage_distribution"},
                          lambda ms: _rows(con, "panel_tool_calls", q, step_ms=ms))
    if rows is None:
        return _rows(con, "panel_tool_calls", q, step_ms=step_ms)
    if step_ms:
        return [dict(r) for r in rows]
    sums: dict[str | None, int] = {}
    for r in rows:
        sums[r["key"]] = sums.get(r["key"], 0) + r["n"]
    # as the statement orders them: most calls first, then by name, no name last
    ordered = sorted(sums.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))
    return [{"key": key, "bucket": None, "n": n} for key, n in ordered]


def _bucketed_once(q: Query, step_ms: int, panels: set[str],
                   read: Callable[[int], list[Row]]) -> list[Row] | None:
    """For a batch of several panels with all of `panels` (one over the buckets of
    `q.step_s`, the other over the range, which the caller derives from the buckets), the
    rows `read(ms)` gives at those buckets, read once for the batch; None otherwise (and for
    a `step_ms` of neither kind): the caller reads alone."""
    b = batch.shared()
    bucket_ms = q.step_s * 1000
    if b is None or not panels <= b.panels or step_ms not in (0, bucket_ms):
        return None
    return batch.once(("bucketed", tuple(sorted(panels)), repr(q)),
                      lambda: read(bucket_ms))


def errors_and_requests(con: Cursor, q: Query, *, step_ms: int) -> list[Row]:
    """API errors and requests by time bucket."""
    return _rows(con, "panel_error_rate", q, step_ms=step_ms)


def avg_response_time(con: Cursor, q: Query) -> Row:
    return _rows(con, "panel_avg_response_time", q)[0]


def latency(con: Cursor, q: Query, *, step_ms: int) -> list[Row]:
    """Duration and time-to-first-token percentiles (p50, p95) by time bucket ($step_ms;
    0: one row, bucket 0, for the range). In a batch of several panels with both API
    Latency (buckets of `q.step_s`) and Time to First Token (the range), one statement
    reads both: the range's cells are its buckets' merged."""
    # The latency rollup keeps only the model: other filters read raw rows.
    whole = not (q.user or q.session or q.terminal or q.version or q.attrib)
    rows = _bucketed_once(q, step_ms, {"api_latency", "time_to_first_token"},
                          lambda ms: _rows(con, "panel_latency", q, whole=whole, step_ms=ms,
                                           range=True))
    if rows is None:
        return _rows(con, "panel_latency", q, whole=whole, step_ms=step_ms, range=False)
    if step_ms:
        return [dict(r) for r in rows if r["bucket"] is not None]
    return [{**r, "bucket": 0} for r in rows if r["bucket"] is None]


def active(con: Cursor, q: Query, count: str) -> int:
    """Distinct 'sessions' or 'users' active in the range."""
    return int(_rows(con, "panel_activity", q, count=count)[0]["n"])


def session_durations(con: Cursor, q: Query, *, limit: int) -> list[Row]:
    return _rows(con, "panel_session_duration", q, limit=limit)


def metric(con: Cursor, q: Query, name: str) -> tuple[float, float]:
    """The two sums of metric panel `name` (`METRICS`): the sums of every metric panel
    are read by one statement (panel_metrics.sql), once per batch (`store.batch`)."""
    row = batch.once(("metrics", repr(q)), lambda: _rows(con, "panel_metrics", q)[0])
    a, b = METRICS[name]
    return row[a], row[b] if b else 0


# Each metric panel's sums (panel_metrics.sql's columns): the first, and the second if any.
METRICS: dict[str, tuple[str, str | None]] = {
    "commits": ("commits", None), "pull_requests": ("pull_requests", None),
    "lines_of_code": ("lines_added", "lines_removed"),
    "active_time": ("active_user_s", "active_cli_s")}


def edit_decisions(con: Cursor, q: Query) -> list[Row]:
    return _rows(con, "panel_edit_decisions", q)


def top_sessions(con: Cursor, q: Query, *, limit: int) -> list[Row]:
    """The `limit` sessions with the most cost in the range (as `usage` counts it), with
    their tokens and requests, who ran them, when, which models, and their prompts, errors
    and tool calls in the range (panel_top_sessions.sql)."""
    top = usage(con, q, by="session", limit=limit)
    ids = [r["key"] for r in top if r["key"] is not None]
    window = queries.ranged(con, q)
    info = {r.pop("session_id"): r for r in (queries.rows(
        con, "panel_top_sessions", sessions=ids,
        **{k: window[k] for k in ("from", "to", *queries.ROLLUP)}) if ids else [])}
    blank = dict.fromkeys(("user", "first_ts", "last_ts", "models", "prompts", "errors",
                           "tool_calls"))
    return [{"session_id": r["key"], "cost_usd": r["cost_usd"], "requests": r["requests"],
             "tokens": int(r["input"] + r["output"] + r["cache_read"] + r["cache_creation"]),
             **info.get(r["key"], blank)} for r in top]
