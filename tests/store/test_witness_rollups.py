"""The hourly rollups hold what was sent, hour by hour, as counted by hand.

The rollup checks in test_rollups.py rebuild the rollups with the macros that built them,
so a mistake in a macro shows on both sides. Here the expected rows are written down from
the events and points this test sends to a real server; the store's rollup rows (read from
the DuckDB file once the server has stopped) and the summary over whole hours (served from
the rollups) must equal them.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from ccotel.store import schema
from tests.conftest import Server, start_server
from tests.witness import (
    HOUR_NS,
    PAST_HOUR_NS,
    exact_summary,
    log_record,
    logs_export,
    metrics_export,
    post,
    sum_point,
)

SESSION = "witness-rollups"
H0, H1 = PAST_HOUR_NS, PAST_HOUR_NS + HOUR_NS  # two whole hours, long ended
MIN = 60 * 10**9


def req(seq: int, t: int, cost: str, tokens: tuple[int, int, int, int]) -> dict[str, Any]:
    i, o, cr, cc = tokens
    return log_record(t, "api_request", **{
        "session.id": SESSION, "event.sequence": seq, "model": "claude-opus-5-5",
        "cost_usd": float(cost), "input_tokens": i, "output_tokens": o,
        "cache_read_tokens": cr, "cache_creation_tokens": cc, "duration_ms": 100.0})


def tool(seq: int, t: int, ok: bool) -> dict[str, Any]:
    return log_record(t, "tool_result", **{"session.id": SESSION, "event.sequence": seq,
                                           "tool_name": "Bash", "success": ok})


def error(seq: int, t: int) -> dict[str, Any]:
    return log_record(t, "api_error", **{"session.id": SESSION, "event.sequence": seq,
                                         "model": "claude-opus-5-5", "error": "overloaded"})


# Hour 0: 2 requests, 1 tool call that failed, 1 API error; hour 1: 1 request, 2 tool calls.
SENT = [
    req(1, H0 + 5 * MIN, "0.000000123456", (10, 1, 100, 7)),
    req(2, H0 + 50 * MIN, "0.333333333333", (20, 2, 200, 0)),
    tool(3, H0 + 51 * MIN, False),
    error(4, H0 + 52 * MIN),
    req(5, H1 + 1 * MIN, "1.000000000001", (30, 3, 0, 5)),
    tool(6, H1 + 2 * MIN, True),
    tool(7, H1 + 59 * MIN, True),
]
# By hand, per hour: requests, errors, tool calls, tool failures, tokens (in, out, cache
# read, cache creation), cost.
EXPECTED = {
    H0: (2, 1, 1, 1, 30, 3, 300, 7, Decimal("0.333333456789")),
    H1: (1, 0, 2, 0, 30, 3, 0, 5, Decimal("1.000000000001")),
}
# Lines added, a cumulative counter: 4 and 9 in hour 0 (+9), 15 in hour 1 (+6).
LINES = [(H0 + 10 * MIN, 4), (H0 + 20 * MIN, 9), (H1 + 30 * MIN, 15)]
LINES_BY_HOUR = {H0: 9, H1: 6}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("rollups") / "data")
    try:
        post(s, "logs", logs_export(SENT))
        for t, v in LINES:
            post(s, "metrics", metrics_export("claude_code.lines_of_code.count", [sum_point(
                H0, t, float(v), **{"session.id": SESSION, "type": "added"})]))
        yield s
    finally:
        s.stop()


def ms(ns: int) -> str:
    return str(ns // 10**6)


def test_summary_of_whole_hours_is_the_hand_count(srv: Server) -> None:
    for hour, (requests, errors, calls, fails, i, o, cr, cc, cost) in EXPECTED.items():
        got = exact_summary(srv, **{"from": ms(hour), "to": ms(hour + HOUR_NS)})
        assert (got["requests"], got["errors"], got["tool_calls"], got["tool_failures"]) == (
            requests, errors, calls, fails), hour
        assert got["tokens"] == {"input": i, "output": o, "cacheRead": cr,
                                 "cacheCreation": cc}, hour
        assert got["cost_usd"] == cost, hour
        assert got["lines_added"] == LINES_BY_HOUR[hour], hour
    both = exact_summary(srv, **{"from": ms(H0), "to": ms(H1 + HOUR_NS)})
    assert both["cost_usd"] == sum(e[-1] for e in EXPECTED.values())
    assert both["lines_added"] == 15


def test_a_range_with_edges_is_the_hand_count(srv: Server) -> None:
    """From 00:30 of hour 0 to 00:30 of hour 1: edges from raw rows, nothing whole."""
    got = exact_summary(srv, **{"from": ms(H0 + 30 * MIN), "to": ms(H1 + 30 * MIN)})
    assert got["requests"] == 2 and got["tool_calls"] == 2 and got["errors"] == 1
    assert got["cost_usd"] == Decimal("0.333333333333") + Decimal("1.000000000001")


def test_the_rollup_rows_are_the_hand_count(srv: Server) -> None:
    srv.stop()
    con = schema.connect(srv.data_dir, read_only=True)
    try:
        (until,) = con.execute("SELECT max(rolled_until) FROM rollup_state").fetchone()
        rows = con.execute(
            "SELECT epoch_ns(hour), sum(requests), sum(errors), sum(tool_calls), "
            "sum(tool_failures), sum(input_tokens), sum(output_tokens), "
            "sum(cache_read_tokens), sum(cache_creation_tokens), sum(cost_usd) "
            "FROM events_hourly WHERE session_id = ? GROUP BY hour ORDER BY hour",
            [SESSION]).fetchall()
        lines = dict(con.execute(
            "SELECT epoch_ns(hour), sum(lines_added) FROM points_hourly WHERE session_id = ? "
            "GROUP BY hour", [SESSION]).fetchall())
        tools = con.execute(
            "SELECT epoch_ns(hour), tool_name, sum(calls), sum(failures) FROM tool_calls_hourly "
            "WHERE session_id = ? GROUP BY ALL ORDER BY 1", [SESSION]).fetchall()
    finally:
        con.close()
    assert until is not None and until.timestamp() * 10**9 >= H1 + HOUR_NS  # both rolled up
    assert {r[0]: (*(int(x) for x in r[1:-1]), r[-1]) for r in rows} == EXPECTED
    assert {h: int(v) for h, v in lines.items()} == LINES_BY_HOUR
    assert [(h, n, int(c), int(f)) for h, n, c, f in tools] == [(H0, "Bash", 1, 1),
                                                                (H1, "Bash", 2, 0)]
