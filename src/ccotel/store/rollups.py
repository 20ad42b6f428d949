"""Hourly rollups of `events` and `points`, kept in step with the raw rows.

The tables and the macros that define them are in `sql/schema.sql`. The rollups hold every
raw row before `rolled_until` (an hour start); later hours are read raw until `advance`
rolls them up, which the writer does once an hour has ended. Each change to the raw rows
before `rolled_until` reaches the rollups in its own transaction, always the writer's
(`store/writer.py`: every write runs there):

- inserts (the writer, `store/bulk.py`): `add` appends the partial rollup rows of the rows
  actually inserted (the writer's batch, bulk.py's temp table) that are before it;
- any other change (the importer's deletes and inserts, retention): `rebuild` recomputes
  the hours touched from the raw rows, which the write function names (the importer's
  statements return the hours of the rows they change);
- `compact` rewrites the hours that received partial rows as one row per group (the writer
  runs it when it has time); readers re-aggregate, so this only keeps the rollups small.

The daily rollups of attribution (attrib_daily, attrib_daily_values, waste_daily) are
derived from attrib_hourly alone, for the days wholly before `rolled_until`: each change
above rebuilds the days whose hourly rows it changed, in its transaction (`rebuild_days`),
and `advance` builds the days it completes; `compact` changes no sum, and leaves them be.

`session_git` (each session's repo, branch and project: the latest ones recorded) is kept
the same way, whatever the hour: `add_git` merges the facts of every inserted batch that
has any, `rebuild` and `forget_before` recompute the sessions whose rows changed.

Readers (`store/panels.py`, `store/reader.py`) take the whole hours of a range before
`rolled_until` from the rollups and the rest from raw rows; `window` says which hours, and
`days` which of them the attribution panels read from the daily rollups.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

import duckdb

from ccotel.store import queries

SOURCES = ("events", "points")  # the raw tables that have rollups
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
COMPACT_HOURS = 6  # hours rewritten per compaction round: bounds the writer's pause
# Raw rows rebuilt per statement: bounds the memory it needs. Requests of many query
# sources, subagents, skills and MCP tools make many attrib_hourly groups per session and
# hour: 1 M rows of them needed more than the server's 64 MB, 500 k fit (bench/dashboard.py).
REBUILD_ROWS = 500_000

_raw_only: ContextVar[bool] = ContextVar("ccotel_rollups_raw_only", default=False)
_hours_only: ContextVar[bool] = ContextVar("ccotel_rollups_hours_only", default=False)
_known_until: ContextVar[datetime | None] = ContextVar("ccotel_rollups_known_until",
                                                       default=None)


@contextmanager
def raw_only() -> Iterator[None]:
    """Queries made inside read raw rows only, as if there were no rollups: how the tests
    check that rollups change no number."""
    token = _raw_only.set(True)
    try:
        yield
    finally:
        _raw_only.reset(token)


@contextmanager
def hours_only() -> Iterator[None]:
    """Queries made inside read no daily rollup (`days` is empty): how the tests check
    that the daily rows change no number."""
    token = _hours_only.set(True)
    try:
        yield
    finally:
        _hours_only.reset(token)


def day_of(t: datetime) -> datetime:
    return t.replace(hour=0, minute=0, second=0, microsecond=0)


def rolled_until(con: duckdb.DuckDBPyConnection) -> datetime:
    """The hour before which the rollups hold every raw row (see `advance`)."""
    return queries.run(con, "rollup_until").fetchall()[0][0] or datetime.min


@contextmanager
def known_until(until: datetime) -> Iterator[None]:
    """Reads made inside take `until` as rolled_until without asking the store (a
    statement fewer per query): the writer's own mark (`Writer.rolled_until`), which it
    moves only once the transaction that rolled the hours up has committed. So the mark is
    never ahead of what a read sees; behind it, a read takes a few more hours from raw
    rows, which give the same numbers (`window`). How the server's reads run."""
    token = _known_until.set(until)
    try:
        yield
    finally:
        _known_until.reset(token)


def read_until(con: duckdb.DuckDBPyConnection) -> datetime:
    """rolled_until for a read: the mark of `known_until` when the read runs inside one,
    else the store's."""
    known = _known_until.get()
    return rolled_until(con) if known is None else known


def window(start: datetime, end: datetime, until: datetime, *,
           whole: bool = True) -> tuple[datetime, datetime]:
    """The hours of [start, end) that queries read from rollups: [first, last) whole hours
    before `until` (`rolled_until`), or the empty (end, end) when there are none, when
    `whole` is false (buckets under an hour, filters a rollup does not keep) or inside
    `raw_only()`. Queries take them as $rollup_from, $rollup_to (SQL twin:
    whole_hours_start/end in schema.sql).

    `until` may be read before the query runs: it only moves forward, and the rollups of
    the hours before it stay complete."""
    first = start.replace(minute=0, second=0, microsecond=0)
    if first != start:
        first += HOUR
    last = min(end.replace(minute=0, second=0, microsecond=0), until)
    if not whole or _raw_only.get() or first >= last:
        return end, end
    return first, last


def days(first: datetime, last: datetime) -> tuple[datetime, datetime]:
    """The whole days [d0, d1) of the rollup hours [first, last) (`window`) that queries
    read from the daily rollups, or the empty (last, last): none whole, or inside
    `hours_only()`. Queries take them as $day_from, $day_to. The daily rollups hold every
    day before the day of `rolled_until`, and `last` is at most that."""
    d0, d1 = day_of(first), day_of(last)
    if d0 != first:
        d0 += DAY
    if _hours_only.get() or d0 >= d1:
        return last, last
    return d0, d1


def rebuild_days(con: duckdb.DuckDBPyConnection, days: Iterable[datetime],
                 until: datetime | None = None) -> int:
    """Rebuild the daily rollups (rollup_days.sql) for the days of `days` (any times in
    them) that are wholly before `until` (default `rolled_until`) from attrib_hourly, in
    the caller's transaction, oldest first; return how many. A day at a time: its hourly
    rows, grouped, fit the server's memory."""
    limit = day_of(rolled_until(con) if until is None else until)
    todo = sorted({d for d in map(day_of, days) if d < limit})
    for d in todo:
        run_script(con, "rollup_days", d0=d, d1=d + DAY)
    return len(todo)


def run_script(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
    """Run the rollup script `name` (`queries.run`): the one way rollups are rewritten
    from their raw rows, named so that the store's write-owner check sees it."""
    queries.run(con, name, **params)


# Rollup tables fed only by some rows: `add` skips their statement when a batch has none
# (an empty GROUP BY still costs a commit a couple of milliseconds).
ONLY_WITH = {
    "tool_calls_hourly": ("tool_result",),
    "api_latency_hourly": ("api_request",),
    "attrib_hourly": ("api_request", "api_error", "api_refusal", "api_retries_exhausted"),
    "edit_decisions_hourly": ("claude_code.code_edit_tool.decision",),
}
_TARGET = re.compile(r"^(?:\s*--[^\n]*\n|\s)*INSERT\s+INTO\s+(\w+)", re.IGNORECASE)


def add(con: duckdb.DuckDBPyConnection, table: str, src: str, until: datetime,
        names: Collection[str] | None = None) -> None:
    """Roll up the rows just inserted into `table`, which the table or view named `src`
    holds: those before `until` (`rolled_until`; later hours are rolled up by `advance`).
    `names`: the event names (events) or metric names (points) among them, when known, so
    that rollups none of them feed are skipped."""
    if table not in SOURCES:
        raise ValueError(f"{table!r} has no rollups")
    for query, bound in queries.statements(f"rollup_add_{table}", src=src, until=until):
        m = _TARGET.match(query)
        needs = ONLY_WITH.get(m.group(1)) if m else None
        if needs is None or names is None or any(n in names for n in needs):
            con.execute(query, bound)
    if table == "events" and (names is None
                              or any(n in names for n in ONLY_WITH["attrib_hourly"])):
        late = queries.run(con, "rollup_late_days", src=src, before=day_of(until)).fetchall()
        rebuild_days(con, [d for (d,) in late], until)


def add_git(con: duckdb.DuckDBPyConnection, src: str) -> None:
    """Merge the git facts of the events just inserted, which the table or view named
    `src` holds, into session_git (attrib_git_add.sql), whatever their hour."""
    run_script(con, "attrib_git_add", src=src)


def refresh_git(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime,
                hours: list[datetime] | None = None) -> int:
    """Recompute the git facts of the sessions whose raw events in [start, end) (only the
    hours `hours`, when given) changed otherwise than by `add_git`; return how many."""
    (n,) = queries.run(con, "attrib_git_changed", start=start, end=end,
                       hours=hours).fetchone() or (0,)
    run_script(con, "attrib_git_refresh")
    return int(n)


def advance(con: duckdb.DuckDBPyConnection, to: datetime) -> datetime:
    """Roll up the hours from `rolled_until` to `to` (an hour start, normally the current
    hour, which has not ended) from their raw rows and move rolled_until to `to`, in one
    transaction; return the new rolled_until."""
    con.execute("BEGIN TRANSACTION")
    try:
        start = rolled_until(con)
        if start < to:
            first = max(start, min(_first_row_hour(con, start), to))
            rebuild(con, _hours(first, to), changed=False)
            queries.run(con, "rollup_until_set", to=to)
            # the days now whole: the one `start` is in (rolled up in part before), and
            # those of the hours just rolled up (no day between holds a row)
            rebuild_days(con, [*([start] if start > datetime.min else []),
                               *_hours(day_of(first), day_of(to), DAY)], to)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return max(start, to)


def _first_row_hour(con: duckdb.DuckDBPyConnection, since: datetime) -> datetime:
    row = queries.run(con, "rollup_first_row_hour", since=since).fetchall()[0]
    return (row[0] or datetime.max).replace(minute=0, second=0, microsecond=0)


def _hours(start: datetime, end: datetime, step: timedelta = HOUR) -> list[datetime]:
    out = []
    while start < end:
        out.append(start)
        start += step
    return out


def rebuild(con: duckdb.DuckDBPyConnection, hours: Iterable[datetime], *,
            changed: bool = True, days: bool = True) -> int:
    """Recompute the rollups of `hours` (hour starts) from the raw rows; return how many.
    `changed`: the raw events of those hours changed (deleted, relabelled, or inserted
    without `add_git`), so the git facts of their sessions are recomputed too; false when
    only rolling up or compacting. `days`: their days in the daily rollups are rebuilt too
    (`rebuild_days`); false when compacting, which changes no sum.

    In parts of about REBUILD_ROWS raw rows: a month of a busy team's rows grouped at once
    needs more memory than the server's DuckDB limit allows (DuckDB may fail rather than
    spill), while each part costs a scan of the tables."""
    todo = sorted(set(hours))
    for part in _parts(con, todo):
        run_script(con, "rollup_rebuild", hours=part, start=part[0], end=part[-1] + HOUR)
    if changed and todo:
        refresh_git(con, todo[0], todo[-1] + HOUR, todo)
    if days:
        rebuild_days(con, todo)
    return len(todo)


def rebuild_stored(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild every rollup of every stored hour before `rolled_until` from its raw rows,
    in parts (`rebuild`): the migration to schema 7, whose attrib_hourly starts empty and
    whose other rollups had counted git records as events; return how many hours."""
    until = rolled_until(con)
    todo = [h for (h,) in con.execute(
        "SELECT DISTINCT date_trunc('hour', ts) AS h FROM events WHERE ts < $until "
        "UNION SELECT DISTINCT date_trunc('hour', ts) FROM points WHERE ts < $until "
        "ORDER BY h", {"until": until}).fetchall()]
    return rebuild(con, todo, changed=False)


def _parts(con: duckdb.DuckDBPyConnection, hours: list[datetime]) -> list[list[datetime]]:
    if len(hours) <= COMPACT_HOURS:  # the writer's rounds: no need to count
        return [hours] if hours else []
    rows = dict(queries.run(con, "rollup_hour_rows", hours=hours, start=hours[0],
                            end=hours[-1] + HOUR).fetchall())
    parts: list[list[datetime]] = [[]]
    size = 0
    for h in hours:
        n = rows.get(h, 0)
        if parts[-1] and size + n > REBUILD_ROWS:
            parts.append([])
            size = 0
        parts[-1].append(h)
        size += n
    return parts


def compact(con: duckdb.DuckDBPyConnection, limit: int | None = COMPACT_HOURS,
            before: datetime = datetime.max) -> int:
    """Rewrite up to `limit` (None: all) hours before `before` that hold partial rows, in
    one transaction; return how many were rewritten.

    The writer passes the current hour: an hour still receiving rows would be rebuilt from
    its raw rows again and again (at a high event rate, ever more of them), while its
    partial rows cost readers little. It is compacted once, after it ends."""
    con.execute("BEGIN TRANSACTION")
    try:
        hours = [r[0] for r in queries.run(
            con, "rollup_dirty", limit=1 << 62 if limit is None else limit,
            before=before).fetchall()]
        done = rebuild(con, hours, changed=False, days=False)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return done


def forget_before(con: duckdb.DuckDBPyConnection, cutoff: datetime,
                  since: datetime = datetime.min) -> None:
    """After raw telemetry older than `cutoff` was deleted (in the caller's transaction):
    drop the rollups of the hours in [since, cutoff) and rebuild those that still hold
    imported history, and the cutoff's own hour; then the days of all of them."""
    hour = cutoff.replace(minute=0, second=0, microsecond=0)
    days = {d for (d,) in con.execute(
        "SELECT DISTINCT date_trunc('day', hour) FROM attrib_hourly "
        "WHERE hour >= $since AND hour < $hour", {"since": since, "hour": hour}).fetchall()}
    run_script(con, "rollup_retention", cutoff=cutoff, since=since)
    refresh_git(con, since, cutoff)
    kept = {h for (h,) in con.execute(
        "SELECT DISTINCT date_trunc('hour', ts) FROM events "
        "WHERE ts >= $since AND ts < $hour AND source <> 'telemetry'",
        {"since": since, "hour": hour}).fetchall()}
    if hour != cutoff:
        kept.add(hour)
    if kept:  # their sessions' facts: refreshed above
        rebuild(con, sorted(kept), changed=False, days=False)
    rebuild_days(con, days | kept)
