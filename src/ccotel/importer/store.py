"""Applying a chunk of imported rows to the store, in the process that owns it.

`ccotel import` without a server calls `apply_chunk` on its own connection; with a server
running, the server calls it from the import endpoint (`web/imports.py`). Either way:

1. duplicates are resolved against the chunk and the stored rows (`dedupe.py`); a stored
   copy that a more complete one replaces is deleted first;
2. a request the store already has from telemetry (same request id; telemetry is exact
   and richer) is stored as event `transcript_copy`, which nothing counts: it stays only
   so that later copies and sidechain replays of it are still recognised. A tool call
   telemetry already has is dropped;
3. the rows go through the one Writer (`write_now`);
4. only then are the files' offsets recorded.

Reads take a reader's cursor; each change is a write function run by the writer, in a
transaction of its own. A crash between steps leaves offsets behind the rows, so
the next run reads those bytes again and dedupe finds the rows already there: the store
never counts a request twice and never skips one.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import duckdb

from ccotel.importer.dedupe import Entry, resolve
from ccotel.importer.files import FileState
from ccotel.importer.transcript import DEDUPE_MESSAGE_ID, DEDUPE_SIDECHAIN, MAX_TOKENS
from ccotel.store import queries, rollups
from ccotel.store.writing import writes

if TYPE_CHECKING:  # the writer and the telemetry decoder load only when rows are applied
    from ccotel.store.writer import Writer

# Columns an imported row may set; the endpoint rejects anything else.
ROW_COLUMNS = frozenset({
    "event_key", "time_unix_nano", "event_name", "session_id", "model", "request_id",
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens",
    "cache_creation_5m_tokens", "cache_creation_1h_tokens", "cost_usd", "speed",
    "app_version", "project", "git_branch", "source", "attributes", "tool_name", "tool_use_id",
    DEDUPE_MESSAGE_ID, DEDUPE_SIDECHAIN,
})
EVENT_NAMES = frozenset({"api_request", "tool_use"})
TOKEN_COLUMNS = ("input_tokens", "output_tokens", "cache_read_tokens",
                 "cache_creation_tokens", "cache_creation_5m_tokens", "cache_creation_1h_tokens")
# Bounds of one imported request, as the importer itself reads them: a token count is an
# integer from 0 to below transcript.MAX_TOKENS; a cost is from 0 to below 1e6 USD, what
# the store's `cost_usd DECIMAL(18,12)` holds (telemetry's bound too, otlp/decode.py).
MAX_COST_USD = 1e6
# A transcript request that telemetry already reported: kept for dedupe, never counted.
COPY_EVENT = "transcript_copy"

# Chunks are applied one at a time (the import API, the transcript watcher), so two
# imports running at once cannot both decide that a request is new.
CHUNK_LOCK = threading.Lock()

# Columns of the tables handed to DuckDB (as Arrow schemas: pyarrow loads only when rows
# are applied, not for every import command).
_CANDIDATES = (("event_key", "string"), ("message_id", "string"), ("request_id", "string"),
               ("tool_use_id", "string"))
_KEYS = (("event_key", "string"),)
_FILES = (("path", "string"), ("size", "int64"), ("mtime", "float64"),
          ("offset_bytes", "int64"), ("head_hash", "string"))


def _arrow_schema(columns: tuple[tuple[str, str], ...]) -> Any:
    import pyarrow as pa

    return pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])


class BadRows(ValueError):
    """Rows sent for import that are not transcript rows."""


@dataclass
class ChunkResult:
    inserted: int = 0
    replaced: int = 0
    duplicates: int = 0
    sidechain_replays: int = 0
    in_telemetry: int = 0

    def add(self, other: ChunkResult) -> None:
        for k, v in asdict(other).items():
            setattr(self, k, getattr(self, k) + v)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def check_rows(rows: list[dict[str, Any]]) -> None:
    """Refuse rows that are not what the importer produces (the endpoint takes JSON)."""
    for r in rows:
        if not isinstance(r, dict):
            raise BadRows("each row must be an object")
        extra = set(r) - ROW_COLUMNS
        if extra:
            raise BadRows(f"unknown columns: {', '.join(sorted(extra))}")
        if r.get("source") != "transcript" or r.get("event_name") not in EVENT_NAMES:
            raise BadRows("only transcript api_request and tool_use rows can be imported")
        if not isinstance(r.get("event_key"), str) or not str(r["event_key"]).startswith("tx"):
            raise BadRows("event_key must be a transcript key")
        t = r.get("time_unix_nano")
        if type(t) is not int or not 0 <= t < 2**63:
            raise BadRows("time_unix_nano must be an integer from 0 to 2^63-1")
        for col in TOKEN_COLUMNS:
            v = r.get(col)
            if v is not None and (type(v) is not int or not 0 <= v < MAX_TOKENS):
                raise BadRows(f"{col} must be a whole number of tokens from 0 to 2^60-1, "
                              f"not {str(v)[:40]}")
        cost = r.get("cost_usd")
        if cost is not None and (type(cost) not in (int, float)
                                 or not 0 <= cost < MAX_COST_USD):  # NaN fails too
            raise BadRows(f"cost_usd must be a number of USD from 0 to below 1e6, "
                          f"not {str(cost)[:40]}")


def read_file_states(con: duckdb.DuckDBPyConnection) -> dict[str, FileState]:
    cur = queries.run(con, "import_files_get")
    return {r[0]: FileState(r[0], r[1], r[2], r[3], r[4]) for r in cur.fetchall()}


def apply_chunk(writer: Writer, rows: list[dict[str, Any]],
                files: list[FileState]) -> ChunkResult:
    """Store `rows` (deduped against the store) and then record `files`' offsets."""
    from ccotel.store.rows import Batch

    result = ChunkResult()
    if rows:
        cur = writer.cursors()
        try:
            stored = _stored_copies(cur, rows)
            res = resolve(stored, [Entry.of_row(r) for r in rows])
            result.duplicates, result.sidechain_replays = res.duplicates, res.sidechain_replays
            res.keep = _mark_known_from_telemetry(cur, res.keep, result)
        finally:
            cur.close()
        if res.delete_keys:
            keys = res.delete_keys
            writer.write_sync(lambda con: delete_replaced(con, keys))
            result.replaced = len(keys)
        if res.keep:
            written = writer.write_now(Batch(signal="logs", events=res.keep))
            result.inserted = written.events
            result.duplicates += written.duplicates
    if files:
        writer.write_sync(lambda con: put_file_states(con, files))
    return result


@writes
def delete_replaced(con: duckdb.DuckDBPyConnection, keys: list[str]) -> int:
    """Delete the stored transcript rows of `keys` and rebuild their hours' rollups;
    return how many went."""
    _register(con, "import_replaced", [{"event_key": k} for k in keys], _KEYS)
    try:
        ((count, hours),) = queries.run(con, "import_delete").fetchall()
    finally:
        con.unregister("import_replaced")
    rollups.rebuild(con, hours or ())
    return int(count)


@writes
def put_file_states(con: duckdb.DuckDBPyConnection, files: list[FileState]) -> None:
    """Record where each file's import stopped."""
    _register(con, "import_files_batch", [f.as_dict() for f in files], _FILES)
    try:
        queries.run(con, "import_files_put")
    finally:
        con.unregister("import_files_batch")


def _register(cur: duckdb.DuckDBPyConnection, name: str, rows: list[dict[str, Any]],
              columns: tuple[tuple[str, str], ...]) -> None:
    import pyarrow as pa

    cur.register(name, pa.Table.from_pylist(rows, schema=_arrow_schema(columns)))


def _candidates(cur: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> None:
    import pyarrow as pa

    requests = [r.get("event_name") == "api_request" for r in rows]
    table = pa.table({
        "event_key": [r["event_key"] for r in rows],
        "message_id": [r.get(DEDUPE_MESSAGE_ID) for r in rows],
        "request_id": [r.get("request_id") if ok else None
                       for r, ok in zip(rows, requests, strict=True)],
        "tool_use_id": [r.get("tool_use_id") for r in rows],
    }, schema=_arrow_schema(_CANDIDATES))
    cur.register("import_candidates", table)


def _mark_known_from_telemetry(cur: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]],
                               result: ChunkResult) -> list[dict[str, Any]]:
    if not rows:
        return rows
    _candidates(cur, rows)
    try:
        known = queries.run(cur, "import_in_telemetry").fetchall()
    finally:
        cur.unregister("import_candidates")
    if not known:
        return rows
    requests = {i for kind, i in known if kind == "request"}
    tools = {i for kind, i in known if kind == "tool"}
    kept = []
    for r in rows:
        if r["event_name"] == "api_request" and r.get("request_id") in requests:
            r["event_name"] = COPY_EVENT
            result.in_telemetry += 1
        if not (r["event_name"] == "tool_use" and r.get("tool_use_id") in tools):
            kept.append(r)
    return kept


def _stored_copies(cur: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> list[Entry]:
    if not rows:
        return []
    _candidates(cur, rows)
    try:
        found = queries.run(cur, "import_existing").fetchall()
    finally:
        cur.unregister("import_candidates")
    entries = []
    for key, session_id, request_id, attributes, i, o, cr, cc, cost, speed in found:
        attrs = json.loads(attributes or "{}")
        entries.append(Entry(key, attrs.get("message_id"), request_id, session_id,
                             bool(attrs.get("is_sidechain")),
                             sum(int(v or 0) for v in (i, o, cr, cc)), float(cost or 0),
                             bool(speed), stored=True))
    return entries
