"""A statusline snapshot, from the wire to a `limit_snapshots` row, through the one writer.

    POST /api/v1/limits/snapshot
    {"input": <Claude Code's statusline object>, "host": "...", "branch": "...",
     "user": "..." | null, "day_start": <epoch seconds of the sender's local midnight>}

What the input means is read by `claude.statusline.snapshot_fields`; this module checks
the envelope, bounds every value and builds the row; `insert` is the write function the
endpoint hands the writer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import duckdb

from ccotel.claude.statusline import clip, snapshot_fields
from ccotel.store import queries
from ccotel.store.writing import writes

MAX_BODY = 64 * 1024
_EPOCH_MAX = 253402300799  # 9999-12-31


class BadSnapshot(ValueError):
    """The body is not a snapshot (answered with 400)."""


def _time(epoch: Any) -> datetime | None:
    if epoch is None:
        return None
    if not 0 < epoch < _EPOCH_MAX:
        raise BadSnapshot(f"resets_at {epoch!r} is not a time in epoch seconds")
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def parse(body: Any, now: datetime | None = None) -> tuple[dict[str, Any], float | None]:
    """The row for `limit_snapshots` and the sender's `day_start`, or `BadSnapshot`."""
    if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
        raise BadSnapshot("a snapshot is a JSON object with an 'input' object "
                          "(Claude Code's statusline input)")
    f = snapshot_fields(body["input"])
    if not f["session_id"]:
        raise BadSnapshot("input.session_id is missing")
    for name in ("five_hour_pct", "seven_day_pct", "context_used_pct"):
        if f[name] is not None and not 0 <= f[name] <= 1000:
            raise BadSnapshot(f"{name} {f[name]!r} is out of range")
    if f["cost_usd"] is not None and not 0 <= f["cost_usd"] < 1e9:
        raise BadSnapshot(f"cost.total_cost_usd {f['cost_usd']!r} is out of range")
    day_start = body.get("day_start")
    if isinstance(day_start, bool) or not isinstance(day_start, (int, float)) \
            or not 0 < day_start < _EPOCH_MAX:
        day_start = None
    row = {
        **f,
        "ts": now or datetime.now(UTC).replace(tzinfo=None),
        "host_name": clip(body.get("host"), 255),
        "user_hint": clip(body.get("user"), 255),
        "git_branch": clip(body.get("branch"), 255),
        "five_hour_resets_at": _time(f["five_hour_resets_at"]),
        "seven_day_resets_at": _time(f["seven_day_resets_at"]),
    }
    return row, day_start


@writes
def insert(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> int:
    """Insert snapshot rows (in the writer's transaction: `Writer.write`), each replacing
    its session's snapshot of the same minute."""
    for r in rows:
        queries.run(con, "limits_same_minute", session_id=r["session_id"], ts=r["ts"])
        queries.run(con, "limits_insert", **r)
    return len(rows)
