"""Exports: a table of the store (events, requests, sessions, days, tools, projects) as CSV,
Parquet or JSON lines, written by DuckDB's `COPY ... TO` so memory stays bounded for any
size (DuckDB streams the query into the file and spills past its memory limit).

One query per kind (`store/sql/export_<kind>.sql`) over the same range and filters as
`/api/v1/summary`, with the summary's counting rules: the requests, tokens and cost summed
over any export equal the summary's for the same query. Parquet keeps the store's types
(timestamps as TIMESTAMP, UTC; cost as DECIMAL); CSV has a header row.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import duckdb

from ccotel.query import BadQuery, Query
from ccotel.store import queries

# One export at a time: each changes database-wide settings for its duration (below), and
# holds a temporary file as large as its output.
_ONE_AT_A_TIME = threading.Lock()
KINDS = ("events", "requests", "sessions", "daily", "tools", "repos")
FORMATS = ("csv", "parquet", "jsonl")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet",
               "jsonl": "application/x-ndjson"}
# Small parquet row groups: DuckDB holds one per thread in memory while writing it.
# JSON lines are written as one `to_json(row)` column of an unquoted CSV: DuckDB's JSON
# writer needs buffers past a 64MB memory limit, its CSV writer does not.
_COPY_OPTIONS = {"csv": "FORMAT csv, HEADER true",
                 "parquet": "FORMAT parquet, ROW_GROUP_SIZE 16384",
                 "jsonl": "FORMAT csv, HEADER false, QUOTE '', ESCAPE '', DELIMITER '\x1f'"}


def parse_query(params: dict[str, Any]) -> Query:
    """The export's range and filters: `since`/`until` (or `from`/`to`) in the API's time
    grammar (RFC 3339, a date, epoch ms, `now-7d`), default all history up to now."""
    p = dict(params)
    if p.get("since"):
        p["from"] = p.pop("since")
    if p.get("until"):
        p["to"] = p.pop("until")
    if not p.get("from"):
        p["from"] = "0"  # epoch: all history
    return Query.parse(p)


def check(kind: str, fmt: str) -> None:
    """Refuse an unknown kind or format with a message naming the choices."""
    if kind not in KINDS:
        raise BadQuery(f"no export {kind!r}: use one of {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise BadQuery(f"no format {fmt!r}: use one of {', '.join(FORMATS)}")


def write(con: duckdb.DuckDBPyConnection, kind: str, fmt: str, q: Query, path: Path) -> None:
    """Write the `kind` export for `q` to `path` (created or replaced) in `fmt`."""
    check(kind, fmt)
    name, params = f"export_{kind}", q.params()
    queries.check(name, params)
    params = queries.bind_sessions(con, params)
    text = queries.text(name).strip().rstrip(";")
    # The path goes into the statement as a string literal: quote it as SQL does.
    target = str(path).replace("'", "''")
    if fmt == "jsonl":
        text = f"SELECT to_json(row) FROM ({text}) AS row"
    # Keeping the rows in insertion order makes DuckDB buffer them past its memory limit
    # (the aggregated kinds have an ORDER BY of their own), and its JSON functions need a
    # buffer per thread. The settings are the database's, so they are restored at once.
    settings = {"preserve_insertion_order": "false", **({"threads": "1"} if fmt == "jsonl"
                                                         else {})}
    with _ONE_AT_A_TIME:
        before = {name: con.execute(f"SELECT current_setting('{name}')").fetchone()[0]  # type: ignore[index]
                  for name in settings}
        for name, value in settings.items():
            con.execute(f"SET {name} = {value}")
        try:
            con.execute(f"COPY ({text}) TO '{target}' ({_COPY_OPTIONS[fmt]})", params)
        finally:
            for name, value in before.items():
                con.execute(f"SET {name} = {value}")
