"""The one writer: every row reaches DuckDB through this thread.

Transports hand a decoded `Batch` to `Writer.submit`, which returns a future resolved
only after the rows are committed, so an export is acknowledged only once it is durable.
Several waiting batches are committed in one transaction (group commit), which also
appends the hourly rollups of rows that arrive late for an hour already rolled up
(`store/rollups.py`). Cumulative sums become deltas in `store/deltas.py`; between groups
the thread runs `store/maintenance.py` (retention, rolling up ended hours, compaction).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from ccotel.store import rollups, schema
from ccotel.store.deltas import State, point_key, to_deltas
from ccotel.store.maintenance import Maintenance
from ccotel.store.rows import Batch

log = logging.getLogger("ccotel.writer")


class Overloaded(RuntimeError):
    """The write queue is full (requests or records): the client should retry later."""

    retry_after_s = 1


class RejectedBatch(ValueError):
    """The batch decoded but its values cannot be stored (e.g. out of range)."""


@dataclass
class WriteResult:
    events: int = 0
    points: int = 0
    spans: int = 0
    duplicates: int = 0


@dataclass
class _Item:
    batch: Batch
    future: Future[WriteResult]
    enqueued: float


_STOP = object()
_EMPTY_STATE = pa.schema([("series_key", pa.string()), ("start_unix_nano", pa.int64()),
                          ("time_unix_nano", pa.int64()), ("value", pa.float64())])


class Writer:
    """Owns the read-write DuckDB connection; runs the single writer thread."""

    def __init__(self, con: duckdb.DuckDBPyConnection, *, max_queue: int = 256,
                 max_queue_records: int = 65_536, max_queue_bytes: int = 64 << 20,
                 max_group_records: int = 50_000, retention: timedelta | None = None,
                 retention_interval_s: float = 3600.0,
                 compact_interval_s: float = 10.0, linger_s: float = 0.005,
                 observe: Callable[[str, float], None] | None = None,
                 outbox: Any = None) -> None:
        self.con = con
        self.outbox = outbox  # ccotel.forward.outbox.Outbox: filled in each commit
        self.linger_s = linger_s
        self._busy = False  # the last group was not alone: exports are arriving back to back
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=max_queue)
        # Rows (and the request bytes they came from) accepted and not yet committed,
        # queued or being written: what the queue holds in memory is bounded by rows and
        # bytes, not by requests of any size.
        self.max_queue_records = max_queue_records
        self.max_queue_bytes = max_queue_bytes
        self._pending_records = self._pending_bytes = 0
        self._pending_lock = threading.Lock()
        self.max_group_records = max_group_records
        self.maintenance = Maintenance(con, retention=retention,
                                       retention_interval_s=retention_interval_s,
                                       compact_interval_s=compact_interval_s)
        self._observe = observe or (lambda name, value: None)
        self._schemas = {t: schema.arrow_schema(con, t) for t in ("events", "points", "spans")}
        self._state: State = {
            key: (start, t, value) for key, start, t, value in
            con.execute("SELECT * FROM series_state").fetchall()
        }
        # Whether the store may hold imported requests, which telemetry would relabel.
        self._transcripts = bool(
            con.execute(schema.sql("store_has_imported_requests")).fetchall()[0][0])
        self._thread = threading.Thread(target=self._run, name="ccotel-writer", daemon=True)
        self._lock = threading.Lock()  # serialises direct (non-queued) writes with the thread

    # -- public -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, batch: Batch, size: int = 0) -> Future[WriteResult]:
        """Queue `batch` (decoded from `size` bytes); raise `Overloaded` at once when the
        queue is full."""
        fut: Future[WriteResult] = Future()
        if batch.records == 0:
            fut.set_result(WriteResult())
            return fut
        records = batch.records
        with self._pending_lock:
            # A batch larger than the whole bound still gets in alone, when nothing waits.
            if self._pending_records and (
                    self._pending_records + records > self.max_queue_records
                    or self._pending_bytes + size > self.max_queue_bytes):
                raise Overloaded("write queue full")
            try:
                self.queue.put_nowait(_Item(batch, fut, time.monotonic()))
            except queue.Full:
                raise Overloaded("write queue full") from None
            self._pending_records += records
            self._pending_bytes += size
        fut.add_done_callback(lambda _: self._release(records, size))
        return fut

    def _release(self, records: int, size: int) -> None:
        with self._pending_lock:
            self._pending_records -= records
            self._pending_bytes -= size

    def write_now(self, batch: Batch) -> WriteResult:
        """Write synchronously from the calling thread (CLI tools without a server)."""
        with self._lock:
            return self._commit([batch])[0]

    def depth(self) -> int:
        return self.queue.qsize()

    def pending_records(self) -> int:
        """Rows accepted and not yet committed."""
        return self._pending_records

    def stop(self, timeout: float = 30.0) -> None:
        if self._thread.is_alive():
            self.queue.put(_STOP)
            self._thread.join(timeout)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        return self.con.cursor()

    # -- thread -------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            try:
                first = self.queue.get(timeout=1.0)
            except queue.Empty:
                self._maintain()
                continue
            if first is _STOP:
                break
            group = [first]
            records = first.batch.records
            # Each commit has a fixed cost (WAL sync, rollups): when exports are arriving
            # back to back, wait a moment for the next ones and commit them together.
            linger_until = time.monotonic() + (self.linger_s if self._busy else 0.0)
            while records < self.max_group_records:
                try:
                    timeout = linger_until - time.monotonic()
                    nxt = (self.queue.get(timeout=timeout) if timeout > 0
                           else self.queue.get_nowait())
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                group.append(nxt)
                records += nxt.batch.records
            self._busy = len(group) > 1 or not self.queue.empty()
            self._write_group(group)
            self._maintain()

    def _write_group(self, group: list[_Item]) -> None:
        t0 = time.perf_counter()
        try:
            with self._lock:
                results = self._commit([it.batch for it in group])
        except Exception:
            if len(group) > 1:
                # Isolate the bad batch: the others must not fail with it. (Outside the
                # lock, which is not reentrant: holding it here stalled the writer.)
                for it in group:
                    self._write_group([it])
                return
            results = None
        elapsed = time.perf_counter() - t0
        self._observe("commit_seconds", elapsed)
        if results is None:
            try:
                with self._lock:
                    self._commit([group[0].batch])
            except Exception as exc:  # reported to the client
                err = _classify(exc)
                if not isinstance(err, RejectedBatch):  # the store's trouble, not the data's
                    _log_failure(exc)
                group[0].future.set_exception(err)
            return
        for it, res in zip(group, results, strict=True):
            it.future.set_result(res)

    def _maintain(self) -> None:
        with self._lock:
            self.maintenance.due()

    def apply_retention(self, now: datetime | None = None) -> int:
        """Retention now (`Maintenance.apply_retention`); return how many raw rows went."""
        with self._lock:
            return self.maintenance.apply_retention(now)

    def roll_up(self) -> None:
        """Roll up the ended hours and compact now (`Maintenance.roll_up`)."""
        with self._lock:
            self.maintenance.roll_up()

    # -- the transaction ----------------------------------------------------------------

    def _commit(self, batches: list[Batch]) -> list[WriteResult]:
        con = self.con
        new_state: State = {}
        results = [WriteResult() for _ in batches]
        seen: set[Any] = set()
        events: list[dict[str, Any]] = []
        points: list[dict[str, Any]] = []
        spans: list[dict[str, Any]] = []
        for b in batches:
            for e in b.events:  # a key twice in one transaction: keep the first
                if e["event_key"] not in seen:
                    seen.add(e["event_key"])
                    events.append(e)
            for p in to_deltas(b.points, self._state, new_state):  # likewise for points
                if (k := point_key(p)) not in seen:
                    seen.add(k)
                    points.append(p)
            spans.extend(b.spans)
        # Plan-limit snapshots from the statusline (limits.snapshot.SnapshotBatch).
        snapshots = [s for b in batches for s in getattr(b, "snapshots", ())]
        con.execute("BEGIN TRANSACTION")
        try:
            counts = {
                "events": self._insert("events", events),
                "points": self._insert("points", points),
                "spans": self._insert("spans", spans),
            }
            if snapshots:
                from ccotel.limits.snapshot import insert as insert_snapshots

                counts["snapshots"] = insert_snapshots(con, snapshots)
            if new_state:
                tbl = pa.Table.from_pylist(
                    [{"series_key": k, "start_unix_nano": s, "time_unix_nano": t, "value": v}
                     for k, (s, t, v) in new_state.items()], schema=_EMPTY_STATE)
                con.register("batch_state", tbl)
                con.execute(schema.sql("upsert_series_state"))
                con.unregister("batch_state")
            if self.outbox is not None:  # forwarded exactly when stored
                self.outbox.put(con, batches)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        self._state.update(new_state)
        # Stored counts are per transaction; attribute them to batches in proportion.
        if len(batches) == 1:
            r = results[0]
            r.events, r.points, r.spans = counts["events"], counts["points"], counts["spans"]
            r.duplicates = batches[0].records - sum(counts.values())
        return results

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> int:
        if not rows:
            return 0
        for r in rows:
            if "ts" not in r:  # set by the decoder for a record without a time of its own
                r["ts"] = r["time_unix_nano" if table != "spans" else "start_unix_nano"] // 1000
        if table == "spans":
            for r in rows:
                start, end = r["start_unix_nano"], r["end_unix_nano"]
                r["duration_ms"] = (end - start) / 1e6 if start and end else None
        try:
            tbl = pa.Table.from_pylist(rows, schema=self._schemas[table])
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise RejectedBatch(f"{table}: {exc}") from None
        name = f"batch_{table}"
        con = self.con
        con.register(name, tbl)
        try:
            if table == "spans":
                sessions = {r["session_id"] for r in rows if r.get("session_id") is not None}
                row = con.execute(schema.sql("insert_spans"),
                                  self._repeat_range(rows, sessions)).fetchone()
                return int(row[0]) if row else 0
            # Rows already stored (a retried export) are left out; the rest go in straight
            # from the batch. Live rows fall in the current hour, after rolled_until: only
            # late ones need rolling up now.
            params = None
            if table == "events":
                params = self._repeat_range(rows, {
                    r["session_id"] for r in rows
                    if r.get("session_id") is not None and r.get("event_sequence") is not None})
            stored = set(con.execute(schema.sql(f"insert_{table}"), params).fetchall())
            if stored:
                key = _KEYS[table]
                keep = [key(r) not in stored for r in rows]
                rows = [r for r, k in zip(rows, keep, strict=True) if k]
                if not rows:
                    return 0
                con.unregister(name)
                con.register(name, tbl.filter(pa.array(keep)))
            row = con.execute(schema.sql("append_batch").replace("{table}", table)).fetchone()
            name_of = "event_name" if table == "events" else "metric_name"
            names = {n for r in rows if (n := r.get(name_of)) is not None}
            oldest = min(r["ts"] for r in rows)
            until = self.maintenance.until
            if oldest < _micros(until):
                rollups.add(con, table, name, until, names)
                self.maintenance.late(_datetime(oldest))
            if table == "events" and "api_request" in names:
                self._relabel_copies(rows)
        finally:
            # After a failed statement the transaction is aborted: unregistering would raise
            # and hide the real error, and the ROLLBACK that follows drops the view anyway.
            with contextlib.suppress(duckdb.TransactionException):
                con.unregister(name)
        return int(row[0]) if row else 0

    def _repeat_range(self, rows: list[dict[str, Any]], sessions: set[str]
                      ) -> dict[str, datetime]:
        """Where rows of a batch may already be stored (insert_events.sql, insert_spans.sql):
        at the batch's own times; and, for rows of `sessions`, wherever those sessions have
        events, however different the time a repeat came with: from their first rolled-up
        hour (events_hourly), or the hours not rolled up yet, to the end."""
        lo = min(r["ts"] for r in rows)
        hi = max(r["ts"] for r in rows)
        if sessions:
            (first,) = self.con.execute(schema.sql("sessions_first"),
                                        {"sessions": sorted(sessions)}).fetchone() or (None,)
            lo = min(lo, _micros(self.maintenance.until), _micros(first) if first else lo)
            hi = _micros(datetime.max)
        return {"lo": _datetime(lo), "hi": _datetime(hi)}

    def _relabel_copies(self, rows: list[dict[str, Any]]) -> None:
        """Transcript rows of requests that telemetry just brought become copies (see
        relabel_transcript_copies.sql). Only once the store holds any: a store fed by
        telemetry alone skips the query."""
        sources = {r.get("source") for r in rows if r.get("event_name") == "api_request"}
        if sources - {"telemetry"}:
            self._transcripts = True
        if self._transcripts and "telemetry" in sources:
            hours = {h for (h,) in self.con.execute(
                schema.sql("relabel_transcript_copies")).fetchall()}
            if hours:
                rollups.rebuild(self.con, sorted(hours))


# What identifies a stored row, as insert_<table>.sql returns the ones already stored.
_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "events": lambda r: (r["event_key"],),
    "points": point_key,
}

_EPOCH = datetime(1970, 1, 1)


def _micros(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1)


def _datetime(micros: int) -> datetime:
    try:
        return _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        return datetime.min if micros < 0 else datetime.max


def _log_failure(exc: Exception) -> None:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, duckdb.FatalException):
        log.critical("the store failed and takes no more writes until ccotel serve is "
                     "restarted (what was acknowledged is safe): %s%s", first,
                     " -- raise --memory-limit" if "memory" in str(exc).lower() else "")
    else:
        log.error("could not store an export (the client was asked to retry): %s", first)


def _classify(exc: Exception) -> Exception:
    if isinstance(exc, RejectedBatch):
        return exc
    if isinstance(exc, (duckdb.ConversionException, duckdb.InvalidInputException,
                        duckdb.ConstraintException, duckdb.OutOfRangeException)):
        return RejectedBatch(str(exc).splitlines()[0][:300])
    return exc
