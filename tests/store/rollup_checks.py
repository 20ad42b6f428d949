"""Checks shared by the rollup tests: the rollup tables against a recomputation from the raw
rows (attrib_daily from attrib_hourly), and every dashboard number read with rollups against
the same read from raw rows."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Any

import duckdb

from ccotel import panel_data
from ccotel.otlp.decode import decode_request
from ccotel.panels import PANELS
from ccotel.query import Query
from ccotel.store import panels, reader, rollups
from ccotel.store.writer import Writer
from tests.web import known

ROLLUPS = {"events_hourly": "events", "tool_calls_hourly": "events",
           "api_latency_hourly": "events", "points_hourly": "points",
           "edit_decisions_hourly": "points", "attrib_hourly": "events"}
KEYS = {"hour", "session_id", "user_id", "user_email", "terminal_type", "service_version",
        "app_version", "model", "tool_name", "language", "kind", "cell",
        # attrib_hourly's
        "event_name", "source", "speed", "effort", "query_source", "project", "git_branch",
        "skill", "agent", "plugin", "mcp", "mcp_tool", "resource"}
# How a group's partial rows merge (default: sum); `_first` is the group's first_ts.
MERGE = {"first_ts": "min({c})", "min_ms": "min({c})", "last_ts": "max({c})",
         "max_ms": "max({c})",
         # the tokens at the group's first time: the partial rows that start then
         "first_cache_creation_tokens": "sum(CASE WHEN first_ts = _first THEN {c} ELSE 0 END)"}
# The one panel whose range is not the query's: "now" moves between two reads.
NOW_DEPENDENT = {"total_tokens_last_hour"}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position", [table]).fetchall() if r[0] != "with_requests"]


def _by_group(rows: list[tuple[Any, ...]], n_keys: int) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    out = {r[:n_keys]: r[n_keys:] for r in rows}
    assert len(out) == len(rows)
    return out


def assert_close(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to 1e-9 (sums of doubles depend on their order, even in DuckDB alone)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, where
        assert math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9), (where, a, b)
    elif isinstance(a, dict) and isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_close(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        assert len(a) == len(b), (where, a, b)
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_close(x, y, f"{where}[{i}]")
    else:
        assert a == b, (where, a, b)


def assert_rollups_match_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Each rollup, its partial rows merged, holds what the raw rows give, group by group,
    for the hours it is read for (before rolled_until)."""
    until = rollups.rolled_until(con)
    for table, source in ROLLUPS.items():
        cols = _columns(con, table)
        keys = [c for c in cols if c in KEYS]
        values = [c for c in cols if c not in KEYS]
        merged = ", ".join(MERGE.get(c, "sum({c})").format(c=c) for c in values)
        first = (f"min(first_ts) OVER (PARTITION BY {', '.join(keys)})"
                 if "first_ts" in values else "NULL")
        stored = con.execute(f"SELECT {', '.join(keys)}, {merged} FROM "
                             f"(SELECT *, {first} AS _first FROM {table}) "
                             "WHERE hour < $until GROUP BY ALL", {"until": until}).fetchall()
        fresh = con.execute(
            f"SELECT {', '.join(keys)}, {', '.join(values)} FROM {table}_of("
            f"'{source}', '-infinity'::TIMESTAMP, $until)", {"until": until}).fetchall()
        got, want = _by_group(stored, len(keys)), _by_group(fresh, len(keys))
        assert got.keys() == want.keys(), table
        for group, row in want.items():
            assert_close(got[group], row, f"{table}{group}")
    # waste_daily, requests_daily and attrib_daily hold, one row per group, what attrib_hourly gives for
    # every day wholly before rolled_until (each session's previous day with the value
    # too), and nothing for any later day; attrib_daily_values the sums of attrib_daily.
    daily = {
        "waste_daily": (
            "SELECT * FROM waste_daily",
            "SELECT * FROM waste_daily_of('-infinity'::TIMESTAMP, $before)", 7),
        "requests_daily": (
            "SELECT * FROM requests_daily",
            "SELECT * FROM requests_daily_of('-infinity'::TIMESTAMP, $before)", 9),
        "attrib_daily": (
            "SELECT day, col, value, session_id, requests, tokens, cost_usd, prev_day "
            "FROM attrib_daily",
            "SELECT *, CASE WHEN session_id IS NOT NULL THEN lag(day) OVER "
            "(PARTITION BY col, value, session_id ORDER BY day) END FROM "
            "attrib_daily_of('-infinity'::TIMESTAMP, $before)", 4),
        "attrib_daily_values": (
            "SELECT day, col, value, prev_day, sessions, requests, tokens, cost_usd "
            "FROM attrib_daily_values",
            "SELECT day, col, value, prev_day, count(session_id), sum(requests), "
            "sum(tokens), sum(cost_usd) FROM attrib_daily GROUP BY ALL", 4)}
    for table, (stored_sql, fresh_sql, n_keys) in daily.items():
        got = _by_group(con.execute(stored_sql).fetchall(), n_keys)
        want = _by_group(con.execute(fresh_sql, {"before": rollups.day_of(until)}
                                     if "$before" in fresh_sql else None).fetchall(), n_keys)
        assert got.keys() == want.keys(), table
        for group, row in want.items():
            assert_close(got[group], row, f"{table}{group}")
    # A row flagged as beside api_requests really is.
    (wrong,) = con.execute("""
        SELECT count(*) FROM points_hourly p
        WHERE with_requests AND NOT EXISTS (
            SELECT 1 FROM events_hourly e
            WHERE e.hour = p.hour AND e.requests > 0
              AND e.session_id IS NOT DISTINCT FROM p.session_id
              AND e.user_id IS NOT DISTINCT FROM p.user_id
              AND e.user_email IS NOT DISTINCT FROM p.user_email
              AND e.terminal_type IS NOT DISTINCT FROM p.terminal_type
              AND e.service_version IS NOT DISTINCT FROM p.service_version
              AND e.app_version IS NOT DISTINCT FROM p.app_version
              AND e.model IS NOT DISTINCT FROM p.model)""").fetchone()  # type: ignore[misc]
    assert wrong == 0


def dashboard(con: duckdb.DuckDBPyConnection, q: Query) -> dict[str, Any]:
    """Every panel's data and the summary for `q`."""
    out: dict[str, Any] = {p.id: panel_data.panel_data(con, p.id, q)["data"]
                           for p in PANELS if p.id not in NOW_DEPENDENT}
    out["summary"] = reader.summary(con, q)
    # The one-hour total as a range of its own, so that both reads see the same hour.
    out["last_hour"] = panels.usage_total(con, q)
    return out


def assert_dashboard_matches_raw(con: duckdb.DuckDBPyConnection, q: Query) -> dict[str, Any]:
    with_rollups = dashboard(con, q)
    with rollups.raw_only():
        raw = dashboard(con, q)
    assert_close(with_rollups, raw, f"{q}")
    assert_together_is_alone(con, q, with_rollups)
    return with_rollups


def assert_together_is_alone(con: duckdb.DuckDBPyConnection, q: Query,
                             alone: dict[str, Any]) -> None:
    """Every panel read together with all the others (`/api/v1/dashboard`: the reads they
    share run once) is, to the last digit, the panel read alone (`alone`: `dashboard`)."""
    ids = [p.id for p in PANELS if p.id not in NOW_DEPENDENT]
    together = {d["id"]: d["data"] for d in panel_data.panels_data(con, ids, q)}
    assert together == {i: alone[i] for i in ids}, f"{q}"


def write_json(w: Writer, path: str, body: dict[str, Any]) -> None:
    w.write_now(decode_request(path.rsplit("/", 1)[-1], json.dumps(body).encode(),  # type: ignore[arg-type]
                               "json"))


def edge_cases(w: Writer, t: datetime) -> None:
    """Telemetry the demo does not make, around `t`: a session that exports metrics only,
    another whose metrics are exported in the hour after its requests (so whether they are
    a fallback depends on the range), and events and metrics without a session."""
    for path, body in known.requests(t):
        write_json(w, path, body)
    late = t.replace(minute=59, second=50, microsecond=0)
    write_json(w, "/v1/logs", known.logs(known.BOB, [
        known.event(late, known.BOB, "late-metrics", 0, "api_request", model=known.OPUS,
                    input_tokens=100, output_tokens=10, cost_usd=0.25, duration_ms=700,
                    ttft_ms=90, request_id="req_late")]))
    write_json(w, "/v1/metrics", known.metrics(known.BOB, "late-metrics",
                                               late + timedelta(seconds=50), [
        ("claude_code.token.usage", "tokens", 100, {"model": known.OPUS, "type": "input"}),
        ("claude_code.cost.usage", "USD", 0.25, {"model": known.OPUS})]))
    nobody = t - timedelta(hours=5, minutes=17)
    write_json(w, "/v1/logs", known.logs(known.ALICE, [
        known.event(nobody, known.ALICE, None, 0, "api_request",  # type: ignore[arg-type]
                    model=known.HAIKU, input_tokens=7, output_tokens=3, cost_usd=0.125,
                    duration_ms=321, ttft_ms=45)]))
    write_json(w, "/v1/metrics", known.metrics(known.ALICE, None,  # type: ignore[arg-type]
                                               nobody + timedelta(hours=2), [
        ("claude_code.cost.usage", "USD", 0.5, {"model": known.HAIKU}),
        ("claude_code.token.usage", "tokens", 40, {"model": known.HAIKU, "type": "output"})]))
