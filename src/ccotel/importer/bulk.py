"""Whole transcript files imported inside DuckDB: the fast path of a local import.

A first import reads every byte of a history that can be gigabytes; parsing it line by
line in Python costs about 60 µs a request. Here DuckDB reads the files as text (in C++,
on every core), parses only the usage lines, prices them from genai-prices' tables
(resolved in Python, applied in SQL), dedupes them set-wise and inserts the survivors,
batch by batch, each batch in one transaction with its files' offsets.

The rules are those of `transcript.py` and `dedupe.py` (the Python path, still used for
bytes appended since the last import and when a server holds the store); the tests
import the same corpus both ways and compare the stores row by row.

Only for a store no other process writes (no server running), like `store/bulk.py`. Every
step runs on the store's writer (`store/writer.py`), on its connection, where the working
tables live: reading a batch of files into temporary tables, then storing its rows and
offsets in one of the writer's transactions (`_store`), then dropping the tables.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import duckdb

from ccotel.claude.pricing import PicoRates, Pricer, TokenCounts, preload
from ccotel.importer.files import HEAD_BYTES, FileState, Plan, hash_head
from ccotel.importer.transcript import (
    DEDUPE_MESSAGE_ID,
    DEDUPE_SIDECHAIN,
    USAGE_MARKER,
    MalformedLine,
    looks_like_json_object,
    parse_line,
    usage_total,
)
from ccotel.store import queries, rollups
from ccotel.store.writing import writes

if TYPE_CHECKING:
    from ccotel.store.writer import Writer

BATCH_BYTES = 4 << 30  # bounded anyway by DuckDB's memory_limit (it spills past it)
_TAIL_SCAN = 1 << 16

# Working tables handed to DuckDB: their columns and types.
_FILES = {"path": "VARCHAR", "file_index": "BIGINT", "tail": "VARCHAR"}
_RATES = {"model": "VARCHAR", "fast": "BOOLEAN", "day": "DATE",
          **dict.fromkeys(("input", "output", "cache_read", "write_5m", "write_1h",
                           "tier_start", "t_input", "t_output", "t_cache_read", "t_write_5m",
                           "t_write_1h"), "BIGINT")}
_COSTS = {"row_id": "BIGINT", "cost": "DOUBLE"}
_FILE_STATES = {"path": "VARCHAR", "size": "BIGINT", "mtime": "DOUBLE",
                "offset_bytes": "BIGINT", "head_hash": "VARCHAR"}


def _temp_table(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, str],
                rows: list[dict[str, Any]]) -> None:
    """A temporary table `name` holding `rows` (Python values, one list per column: no
    pyarrow to load for a handful of rows)."""
    select = ", ".join(f"unnest(${c})::{t} AS {c}" for c, t in columns.items())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT {select}",
                {c: [r.get(c) for r in rows] for c in columns})


@dataclass
class _File:
    plan: Plan
    index: int
    end: int                # bytes up to and including the last newline
    tail: str | None        # the unfinished last line, if any
    head_hash: str | None   # of the first bytes up to `end` (files.head_hash)


def complete_end(path: Path, size: int) -> int:
    """Offset just past the last newline before `size` (0 when there is none)."""
    with path.open("rb") as f:
        return _complete_end(f, size)


def _complete_end(f: BinaryIO, size: int) -> int:
    pos = size
    block_size = 512  # most files end with a newline: the first small read finds it
    while pos > 0:
        start = max(0, pos - block_size)
        f.seek(start)
        block = f.read(pos - start)
        i = block.rfind(b"\n")
        if i >= 0:
            return start + i + 1
        pos = start
        block_size = _TAIL_SCAN
    return 0


def line_start(path: Path, position: int) -> int:
    """Start of the line holding byte `position` or ending just before it (DuckDB's
    reject positions are sometimes one byte past the line's start)."""
    return complete_end(path, position)


def _prepare(plan: Plan, index: int) -> _File:
    """Where the file's complete lines end, its unfinished last line, and the hash of its
    first bytes, in one opening of the file."""
    tail = None
    with plan.path.open("rb") as f:
        end = _complete_end(f, plan.size)
        if end < plan.size:
            f.seek(end)
            raw = f.read(plan.size - end)
            # DuckDB reads the same bytes as one more line; this is how it is recognised.
            tail = raw.decode("utf-8", "replace").rstrip("\r")
        f.seek(0)
        head = hash_head(f.read(min(HEAD_BYTES, end))) if end else None
    return _File(plan, index, end, tail, head)


def _batches(files: list[_File]) -> list[list[_File]]:
    out: list[list[_File]] = [[]]
    size = 0
    for f in files:
        if out[-1] and size + f.plan.size > BATCH_BYTES:
            out.append([])
            size = 0
        out[-1].append(f)
        size += f.plan.size
    return [b for b in out if b]


def bulk_import(writer: Writer, plans: list[Plan], report: Any,
                progress: Callable[[int], None] | None = None,
                rates: Callable[[list[Any]], tuple[list[Any], set[str]]] | None = None
                ) -> None:
    """Import whole files (every plan starts at 0) into the store of `writer`. `rates`: a
    helper that resolves price rates elsewhere (importer/prices.py), else this process
    loads the price tables, in a thread while DuckDB reads."""
    from ccotel.importer.run import Malformed

    pricer = Pricer()
    # Prices are needed once the files are read; without a helper, their tables load in
    # this process meanwhile.
    prices = None if rates is not None else threading.Thread(
        target=_preload_prices, name="ccotel-prices", daemon=True)
    writer.write_sync(_settings, transaction=False)
    files = [_prepare(p, i) for i, p in enumerate(plans)]
    for batch in _batches(files):
        _import_batch(writer, batch, report, pricer, progress, Malformed, prices, rates)
    report.unpriced_models = sorted(set(report.unpriced_models) | pricer.unpriced)


def _settings(con: duckdb.DuckDBPyConnection) -> None:
    """The writer connection's settings and macros for a bulk import."""
    con.execute("SET TimeZone = 'UTC'")  # a timestamp without offset means UTC
    # Row order never matters here (ties are broken by file and time), and keeping it
    # costs DuckDB most of its parallelism.
    con.execute("SET preserve_insertion_order = false")
    # The parallel insert leaves some row groups partly filled, how many depends on the
    # threads' timing; when merging them saves a row group, the checkpoint rewrites them
    # (+0.4 s, one import in three on the 1 GB bench). Row groups of any size read the
    # same; a later checkpoint (another process) may still merge them, or reclaim rows
    # this import deleted.
    con.execute("SET max_vacuum_tasks = 0")
    queries.run(con, "import_bulk_macros")


def _preload_prices() -> None:
    with contextlib.suppress(Exception):  # pricing reports any failure when it is used
        preload()


def _import_batch(writer: Writer, batch: list[_File], report: Any, pricer: Pricer,
                  progress: Callable[[int], None] | None, malformed_cls: Any,
                  prices: threading.Thread | None,
                  rates: Callable[[list[Any]], tuple[list[Any], set[str]]] | None) -> None:
    def read(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, int], int]:
        _temp_table(con, "import_bulk_files", _FILES,
                    [{"path": str(f.plan.path), "file_index": f.index, "tail": f.tail}
                     for f in batch])
        if prices is not None and prices.ident is None:
            # Only now: DuckDB's read frees the interpreter, which the loading would hold.
            prices.start()
        try:
            _read_rows(con, [str(f.plan.path) for f in batch],
                       sum(f.plan.size for f in batch), progress)
        finally:
            con.execute("DROP TABLE import_bulk_files")
        if prices is not None:
            prices.join()
        _read_rejected_lines(con, batch, report, pricer, malformed_cls)
        _collect_stats(con, batch, report, malformed_cls)
        _price(con, pricer, rates)
        queries.run(con, "import_bulk_resolve")
        fates = dict(queries.run(con, "import_bulk_fates").fetchall())
        # The rows to insert, made before the transaction (no other process writes the
        # store): the candidates are dropped first, so DuckDB has the memory to insert.
        queries.run(con, "import_bulk_keep")
        known = queries.run(con, "import_bulk_known").fetchone()
        con.execute("DROP TABLE import_bulk_rows")
        return fates, int(known[0]) if known else 0

    states = [FileState(str(f.plan.path), f.plan.size, f.plan.mtime, f.end, f.head_hash)
              for f in batch]
    try:
        # Temporary tables only, on the writer's connection, where _store finds them.
        fates, known = writer.write_sync(read, transaction=False)
        inserted = writer.write_sync(lambda con: _store(con, states))
    finally:
        writer.write_sync(_cleanup, transaction=False)
    s = report.stored
    replaced = sum(n for k, n in fates.items() if k.endswith("+stored")
                   and not k.startswith("keep"))
    s.replaced += replaced
    s.inserted += inserted
    s.duplicates += fates.get("duplicate", 0) + fates.get("duplicate+stored", 0)
    s.sidechain_replays += fates.get("replay", 0) + fates.get("replay+stored", 0)
    s.in_telemetry += known


@writes
def _store(con: duckdb.DuckDBPyConnection, states: list[FileState]) -> int:
    """In the writer's transaction: delete the stored copies that lost, insert the kept
    rows, rebuild the rollups of every hour either touched, record the files' offsets.
    Return how many rows were inserted."""
    ((_, deleted),) = queries.run(con, "import_bulk_delete").fetchall()
    inserted = queries.run(con, "import_bulk_insert").fetchone()
    hours = {h for (h,) in queries.run(con, "import_bulk_hours").fetchall()}
    rollups.rebuild(con, hours | set(deleted or ()))
    _temp_table(con, "import_files_batch", _FILE_STATES, [s.as_dict() for s in states])
    try:
        queries.run(con, "import_files_put")
    finally:
        con.execute("DROP TABLE import_files_batch")
    return int(inserted[0]) if inserted else 0


def _cleanup(con: duckdb.DuckDBPyConnection) -> None:
    queries.run(con, "import_bulk_cleanup")


# The reader's options that keep the lines it refuses aside (import_bulk_rows.sql), and
# what replaces them for a first, strict read.
_KEEP_REJECTS = re.compile(r"ignore_errors = true, store_rejects = true,\s*"
                           r"rejects_table = '\w+', rejects_scan = '\w+'")
_TRY_PARSE = re.compile(r"TRY\(json_transform\(line")


def _read_rows(con: duckdb.DuckDBPyConnection, paths: list[str], total: int,
               progress: Callable[[int], None] | None) -> None:
    """Run import_bulk_rows.sql over `paths`. Keeping refused lines aside slows DuckDB's
    reader by a third, and parsing under TRY costs 5 %; almost no history has a line the
    reader refuses or that is not JSON: the files are read strictly first (either raises),
    and again, leniently, only then."""
    params = {"files": paths}
    queries.check("import_bulk_rows", params)
    lenient = queries.text("import_bulk_rows")
    strict, n = _KEEP_REJECTS.subn("ignore_errors = false", lenient)
    assert n == 1, "import_bulk_rows.sql: reader options not found"
    strict, n = _TRY_PARSE.subn("(json_transform(line", strict)
    assert n == 1, "import_bulk_rows.sql: the parse under TRY not found"
    _run_with_progress(con, [strict, lenient], params, total, progress)


def _run_with_progress(con: duckdb.DuckDBPyConnection, statements: list[str],
                       params: dict[str, Any], total: int,
                       progress: Callable[[int], None] | None) -> None:
    """Execute the first of `statements` that DuckDB does not refuse (InvalidInput, as its
    strict CSV reader does), reporting bytes as DuckDB's own progress estimate advances
    (DuckDB gives none for some plans: then the bar moves batch by batch; after a refusal
    it waits until the next statement passes where the first stopped)."""

    def run() -> None:
        for i, statement in enumerate(statements):
            try:
                con.execute(statement, params)
                return
            except duckdb.InvalidInputException:
                if i == len(statements) - 1:
                    raise

    if progress is None:
        run()
        return
    # DuckDB tracks progress only with its bar on; its own printing stays off.
    con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
    done = threading.Event()
    reported = 0

    def poll() -> None:
        nonlocal reported
        while not done.wait(0.2):
            try:
                pct = con.query_progress()
            except Exception:  # progress is best effort
                pct = -1
            if pct and pct > 0:
                now = int(total * min(pct, 100.0) / 100)
                if now > reported:
                    progress(now - reported)
                    reported = now

    watcher = threading.Thread(target=poll, name="ccotel-import-progress", daemon=True)
    watcher.start()
    try:
        run()
    finally:
        done.set()
        watcher.join()
        progress(total - reported)


def _collect_stats(con: duckdb.DuckDBPyConnection, batch: list[_File], report: Any,
                   malformed_cls: Any) -> None:
    by_index = {f.index: f for f in batch}
    report.files_read += len(batch)
    report.bytes_read += sum(f.end for f in batch)
    report.partial_lines += sum(1 for f in batch if f.tail is not None)
    for skip, event, n in queries.run(con, "import_bulk_counts").fetchall():
        if skip is None and event == "api_request":
            report.requests += n
        elif skip is None:
            report.tool_uses += n
        elif skip == "synthetic":
            report.synthetic += n
        elif skip == "invalid":
            report.invalid += n
    for index, excerpt in queries.run(con, "import_bulk_malformed").fetchall():
        _malformed(report, malformed_cls, str(by_index[index].plan.path), None,
                   f"not a JSON object: {excerpt!r}")


def _read_rejected_lines(con: duckdb.DuckDBPyConnection, batch: list[_File], report: Any,
                         pricer: Pricer, malformed_cls: Any) -> None:
    """Lines DuckDB's reader refused (longer than its buffer allows, not UTF-8, a raw
    control character) are read one by one by the Python parser, which decides: rows,
    malformed, or nothing to count."""
    try:
        rejects = queries.run(con, "import_bulk_rejected").fetchall()
    except duckdb.CatalogException:
        return  # nothing was rejected
    by_path = {str(f.plan.path): f for f in batch}
    extra: list[dict[str, Any]] = []
    for path, position in rejects:
        f = by_path.get(path)
        if f is None or position is None:
            continue
        start = line_start(f.plan.path, int(position))
        if start >= f.end:
            continue  # the unfinished last line: it is left for the next import
        with f.plan.path.open("rb") as fh:
            fh.seek(start)
            line = fh.readline()
        if USAGE_MARKER not in line:
            if not looks_like_json_object(line):
                _malformed(report, malformed_cls, path, start, "not a JSON object")
            continue
        try:
            parsed = parse_line(line, pricer)
        except MalformedLine as exc:
            _malformed(report, malformed_cls, path, start, str(exc))
            continue
        for r in parsed.rows:
            extra.append({**{k: r.get(k) for k in _EXTRA_COLUMNS}, "file_index": f.index,
                          "message_id": r.get(DEDUPE_MESSAGE_ID),
                          "sidechain": bool(r.get(DEDUPE_SIDECHAIN)),
                          "total": usage_total(r), "recorded_cost": r.get("cost_usd")})
        if parsed.skipped is not None:
            extra.append({"file_index": f.index, "skip": parsed.skipped,
                          "event_name": "api_request"})
    if extra:
        import pyarrow as pa  # rows of many shapes, from the rare refused line

        con.register("import_bulk_extra", pa.Table.from_pylist(extra))
        try:
            queries.run(con, "import_bulk_add_rows")
        finally:
            con.unregister("import_bulk_extra")


# Columns of a Python-parsed row that the bulk rows table has under the same name.
_EXTRA_COLUMNS = ("event_key", "event_name", "time_unix_nano", "session_id", "model",
                  "request_id", "input_tokens", "output_tokens", "cache_read_tokens",
                  "cache_creation_tokens", "cache_creation_5m_tokens",
                  "cache_creation_1h_tokens", "speed", "app_version", "project", "git_branch",
                  "attributes", "tool_name", "tool_use_id")


def _malformed(report: Any, cls: Any, path: str, offset: int | None, reason: str) -> None:
    report.malformed_count += 1
    if len(report.malformed) < 20:
        report.malformed.append(cls(path, offset, reason))


def _price(con: duckdb.DuckDBPyConnection, pricer: Pricer,
           helper: Callable[[list[Any]], tuple[list[Any], set[str]]] | None = None) -> None:
    """Cost of every request without a recorded one: linear tables in SQL, the rest here."""
    combos = queries.run(con, "import_bulk_unpriced").fetchall()
    resolved: list[Any] | None = None
    if helper is not None:
        try:
            resolved, unpriced = helper(combos)
            pricer.unpriced |= unpriced
        except Exception:  # the helper died: price here, as without it
            resolved = None
    if resolved is None:
        resolved = [pricer.pico_rates(model, day, "fast" if fast else None)
                    for model, fast, day in combos]
    linear: list[dict[str, Any]] = []
    library: list[tuple[str, bool, Any]] = []
    for (model, fast, day), rates in zip(combos, resolved, strict=True):
        if rates is None:
            continue  # unknown model: no cost, listed as unpriced
        if isinstance(rates, PicoRates):
            tier = rates.tier or (None,) * 5
            linear.append({"model": model, "fast": fast, "day": day, "input": rates.input,
                           "output": rates.output, "cache_read": rates.cache_read,
                           "write_5m": rates.write_5m, "write_1h": rates.write_1h,
                           "tier_start": rates.tier_start, "t_input": tier[0],
                           "t_output": tier[1], "t_cache_read": tier[2],
                           "t_write_5m": tier[3], "t_write_1h": tier[4]})
        else:
            library.append((model, fast, day))
    if linear:
        _temp_table(con, "import_bulk_rates", _RATES, linear)
        try:
            queries.run(con, "import_bulk_price")
        finally:
            con.execute("DROP TABLE import_bulk_rates")
    for model, fast, day in library:
        rows = queries.run(con, "import_bulk_library_rows",
                           model=model, fast=fast, day=day).fetchall()
        costs = []
        for row_id, ns, i, o, cr, c5, c1 in rows:
            when = datetime.fromtimestamp(ns / 1e9, tz=UTC)
            cost = pricer.price(model, when, TokenCounts(i, o, cr, c5, c1),
                                "fast" if fast else None)
            costs.append({"row_id": row_id, "cost": None if cost is None else float(cost)})
        _temp_table(con, "import_bulk_costs", _COSTS, costs)
        try:
            queries.run(con, "import_bulk_set_costs")
        finally:
            con.execute("DROP TABLE import_bulk_costs")
