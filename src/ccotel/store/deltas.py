"""Cumulative sums become deltas: what each point added to its series since the last one.

Claude Code sends its counters (cost, tokens, lines, ...) as cumulative sums: each point
is the total since the series started (`start_unix_nano`). The store keeps deltas in
`points.value`, so that any range sums to what was counted in it. This is pure: the last
point of each series (`State`) comes in and goes out, and the writer persists it in the
transaction that stores the points (`series_state`), so a restart continues where it
stopped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ccotel.store.rows import CUMULATIVE

# series key -> (start_unix_nano, time_unix_nano, raw value) of its last point
State = dict[str, tuple[int | None, int, float]]


def point_key(r: Mapping[str, Any]) -> tuple[Any, ...]:
    """What identifies a stored point: its series, start and time as sent."""
    return (r["series_key"], r.get("start_unix_nano"), r["time_unix_nano"])


def to_deltas(rows: list[dict[str, Any]], state: Mapping[str, tuple[int | None, int, float]],
              new_state: State) -> list[dict[str, Any]]:
    """The points of `rows` to store, cumulative sums turned into deltas (`value`; the
    sum as sent stays in `raw_value`). `state`: each series' last point as stored;
    `new_state`: the points this transaction moves on, read first and updated here (so
    several batches of one group commit chain). Per series, by time:

    - the first point ever counts whole;
    - same start time: the difference, or the whole value when a monotonic counter
      dropped (a reset without a new start time);
    - a point not after the last one, same start: already counted (a retry), dropped;
    - an older start time: a late point of an earlier incarnation, dropped;
    - a newer (or no longer absent) start time: the series restarted, counts whole.

    Other points (gauges, histograms, deltas, sums without a value) pass unchanged."""
    out: list[dict[str, Any]] = []
    cumulative = []
    for r in rows:
        r.setdefault("raw_value", r.get("value"))  # a retried commit sees its rows again
        if (r["kind"] == "sum" and r.get("temporality") == CUMULATIVE
                and r["raw_value"] is not None):
            cumulative.append(r)
        else:
            out.append(r)
    cumulative.sort(key=lambda r: (r["series_key"], r["time_unix_nano"]))
    for r in cumulative:
        key, start, t = r["series_key"], r.get("start_unix_nano"), r["time_unix_nano"]
        raw = r["raw_value"]
        prev = new_state.get(key) or state.get(key)
        if prev is None:
            delta = raw
        else:
            p_start, p_time, p_value = prev
            if t <= p_time and start == p_start:
                continue  # already seen (a retry) or out of order: nothing new
            if start == p_start:
                delta = raw - p_value
                if r.get("is_monotonic") and raw < p_value:
                    delta = raw  # the counter reset without a new start time
            else:
                if start is not None and p_start is not None and start < p_start:
                    continue  # a point from an older incarnation of the series
                delta = raw  # new start time: the series restarted
        new_state[key] = (start, t, raw)
        r["value"] = delta
        out.append(r)
    return out
