"""Read side: where readers get their cursors, and named queries over the store, each
returning plain Python data."""

from __future__ import annotations

from typing import Any

import duckdb

from ccotel.query import Query
from ccotel.store import queries

SUMMARY_KEYS = ("from", "to", "sessions", "users", "requests", "errors", "tool_calls",
                "tool_failures", "cost_usd", "tokens", "avg_response_ms", "lines_added",
                "lines_removed", "commits", "pull_requests")


class Cursors:
    """The one source of read cursors: `cursors()` is a new cursor (a connection of its own
    to the same database, reading a consistent snapshot) for one reader at a time, made
    from a base connection opened for the purpose, never the writer's own. Readers only
    read: every change goes through the writer (`store/writer.py`), so a reader never
    conflicts with it nor sees half of a commit."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._base = con.cursor()

    def __call__(self) -> duckdb.DuckDBPyConnection:
        return self._base.cursor()

    def close(self) -> None:
        self._base.close()


def _int(v: Any) -> int:
    return round(v) if v is not None else 0


def summary(con: duckdb.DuckDBPyConnection, q: Query) -> dict[str, Any]:
    """The `/api/v1/summary` object: exactly SUMMARY_KEYS."""
    row = queries.rows(con, "summary", **queries.ranged(con, q))[0]
    avg = row["avg_response_ms"]
    return {
        "from": Query.iso(q.start),
        "to": Query.iso(q.end),
        "sessions": row["sessions"],
        "users": row["users"],
        "requests": row["requests"],
        "errors": row["errors"],
        "tool_calls": row["tool_calls"],
        "tool_failures": row["tool_failures"],
        # Cost is summed as DECIMAL: round away the float noise of the final conversion.
        "cost_usd": round(float(row["cost_usd"]), 12),
        "tokens": {
            "input": _int(row["input_tokens"]),
            "output": _int(row["output_tokens"]),
            "cacheRead": _int(row["cache_read_tokens"]),
            "cacheCreation": _int(row["cache_creation_tokens"]),
        },
        "avg_response_ms": None if avg is None else round(float(avg), 3),
        "lines_added": _int(row["lines_added"]),
        "lines_removed": _int(row["lines_removed"]),
        "commits": _int(row["commits"]),
        "pull_requests": _int(row["pull_requests"]),
    }
