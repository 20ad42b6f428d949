"""The one writer: every change to the store is made on this thread.

Transports hand a decoded `Batch` to `Writer.submit`, which returns a future resolved
only after the rows are committed, so an export is acknowledged only once it is durable.
Several waiting batches are committed in one transaction (group commit), which also
appends the hourly rollups of rows that arrive late for an hour already rolled up
(`store/rollups.py`); each batch's `WriteResult` counts its own rows. Cumulative sums
become deltas in `store/deltas.py`; between groups the thread runs `store/maintenance.py`
(retention, rolling up ended hours, compaction).

Every other write is a function of the write connection (datasette's `execute_write_fn`):
`write(fn)` queues it and returns a future, `write_sync(fn)` waits for it; the thread runs
it in a transaction of its own (committed when it returns, rolled back when it raises),
in queue order with the batches. Such functions are marked `@writes` (`store/writing.py`).
Nothing else holds the write connection: readers take cursors from `Writer.cursors`
(`store/reader.py`). Until `start()` (a command without a server), `write_now` and
`write_sync` run in the calling thread, one at a time, in the same way.
"""

from __future__ import annotations

import contextlib
import logging
import operator
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import repeat
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from ccotel.store import columns, queries, rollups, schema, writing
from ccotel.store.deltas import State, point_key, to_deltas
from ccotel.store.maintenance import Maintenance
from ccotel.store.reader import Cursors
from ccotel.store.rows import GIT_EVENT, Batch, EventFacts
from ccotel.store.rows import times as _times

log = logging.getLogger("ccotel.writer")
T = TypeVar("T")
WriteFn = Callable[[duckdb.DuckDBPyConnection], T]


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


@dataclass
class _Call:
    fn: Callable[[duckdb.DuckDBPyConnection], Any]
    future: Future[Any]
    transaction: bool


@dataclass
class _Events:
    """A transaction's events: their Arrow table and their `EventFacts`."""

    table: pa.Table
    facts: EventFacts

    def select(self, keep: list[bool]) -> _Events:
        """The rows where `keep` is true."""
        return _Events(self.table.filter(pa.array(keep, pa.bool_())), self.facts.select(keep))

    @staticmethod
    def concat(parts: list[_Events]) -> _Events:
        if len(parts) == 1:
            return parts[0]
        return _Events(pa.concat_tables([p.table for p in parts]),
                       EventFacts.concat([p.facts for p in parts]))


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
        self._con = con
        # Where readers get their cursors: connections of their own, never this one.
        self.cursors = Cursors(con)
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
        # Each table's columns as one Arrow struct: a batch's rows (dicts) become its columns
        # in one call (`_table`: `store/_columns.c`, else Arrow's C++ converter); events the
        # decoding process built as columns (`handover.py`) follow `_event_layout`.
        self._structs = {t: pa.struct(list(schema.arrow_schema(con, t)))
                         for t in ("events", "points", "spans")}
        self._event_layout = columns.layout(self._structs["events"])
        self._state: State = {
            key: (start, t, value) for key, start, t, value in
            con.execute("SELECT * FROM series_state").fetchall()
        }
        # The sessions with events or spans in the hours not rolled up yet -> the first
        # time of each there (µs), for the `until` it was made for (`_recent_sessions`).
        self._recent: dict[str, int] | None = None
        self._recent_for: datetime | None = None
        self._batch_sessions: dict[str, int] = {}  # the transaction's (`_note`)
        # Whether the store may hold imported requests, which telemetry would relabel.
        self._transcripts = bool(
            queries.run(con, "store_has_imported_requests").fetchall()[0][0])
        self._thread = threading.Thread(target=self._run, name="ccotel-writer", daemon=True)
        # Until the thread runs (and once it stopped), callers write in their own thread,
        # one at a time.
        self._lock = threading.Lock()
        self._stopping = threading.Lock()  # held while stopping: nothing queued after _STOP
        self._stopped = False

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
        self._enqueue(_Item(batch, fut, time.monotonic()), batch.records, size, block=False)
        return fut

    def write_now(self, batch: Batch) -> WriteResult:
        """Store `batch` and wait for it (a thread that may wait: the importer, a
        command). Waits for room in the queue rather than refusing."""
        if batch.records == 0:
            return WriteResult()
        self._not_from_writer()
        fut: Future[WriteResult] = Future()
        with self._stopping:
            queued = self._running()
            if queued:
                self._enqueue(_Item(batch, fut, time.monotonic()), batch.records, 0,
                              block=True)
        if not queued:
            with self._lock:
                return self._commit([batch])[0]
        return fut.result()

    def write(self, fn: WriteFn[T], *, transaction: bool = True) -> Future[T]:
        """Queue `fn(con)` to run on the writer thread, in a transaction of its own unless
        `transaction` is false (then `fn` must change nothing but temporary tables: the
        bulk importer's reading). Raise `Overloaded` at once when the queue is full."""
        fut: Future[T] = Future()
        try:
            self.queue.put_nowait(_Call(fn, fut, transaction))
        except queue.Full:
            raise Overloaded("write queue full") from None
        return fut

    def write_sync(self, fn: WriteFn[T], *, transaction: bool = True) -> T:
        """`write(fn)` and wait for its result (or exception), waiting for room in the
        queue. Never from a write function: the writer would wait for itself."""
        self._not_from_writer()
        fut: Future[T] = Future()
        with self._stopping:
            queued = self._running()
            if queued:
                self.queue.put(_Call(fn, fut, transaction))
        if not queued:
            with self._lock:
                return self._call(fn, transaction)
        return fut.result()

    @property
    def rolled_until(self) -> datetime:
        """The writer's mark of rolled_until (`Maintenance.until`), moved only after the
        commit that rolls the hours up: what readers may take without asking the store
        (`rollups.known_until`)."""
        return self.maintenance.until

    @property
    def event_layout(self) -> tuple[tuple[str, ...], bytes]:
        """The events table's column names and kinds, as the decoding process builds their
        buffers for this writer (`handover.to_columns`)."""
        return self._event_layout.names, self._event_layout.kinds

    def depth(self) -> int:
        return self.queue.qsize()

    def pending_records(self) -> int:
        """Rows accepted and not yet committed."""
        return self._pending_records

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then end the thread."""
        with self._stopping:
            running = self._running()
            self._stopped = True
            if running:
                self.queue.put(_STOP)
        if running:
            self._thread.join(timeout)

    def close(self) -> None:
        """Stop the thread, then close the readers' connections and the store."""
        self.stop()
        self.cursors.close()
        self._con.close()

    def apply_retention(self, now: datetime | None = None) -> int:
        """Retention now (`Maintenance.apply_retention`); return how many raw rows went."""
        return self.write_sync(lambda _: self.maintenance.apply_retention(now),
                               transaction=False)

    def roll_up(self) -> None:
        """Roll up the ended hours and compact now (`Maintenance.roll_up`)."""
        self.write_sync(lambda _: self.maintenance.roll_up(), transaction=False)

    def settle(self) -> None:
        """Roll up every ended hour, compact them all and checkpoint: all the spare-time
        work at once, for a command that has just filled a store."""
        self.write_sync(lambda _: self.maintenance.settle(), transaction=False)

    # -- queue --------------------------------------------------------------------------

    def _enqueue(self, item: _Item, records: int, size: int, *, block: bool) -> None:
        with self._pending_lock:
            # A batch larger than the whole bound still gets in alone, when nothing waits.
            if not block and self._pending_records and (
                    self._pending_records + records > self.max_queue_records
                    or self._pending_bytes + size > self.max_queue_bytes):
                raise Overloaded("write queue full")
            if not block:
                try:
                    self.queue.put_nowait(item)
                except queue.Full:
                    raise Overloaded("write queue full") from None
            self._pending_records += records
            self._pending_bytes += size
        if block:
            self.queue.put(item)  # outside the lock: the thread releases while it waits
        item.future.add_done_callback(lambda _: self._release(records, size))

    def _release(self, records: int, size: int) -> None:
        with self._pending_lock:
            self._pending_records -= records
            self._pending_bytes -= size

    def _running(self) -> bool:
        return self._thread.is_alive() and not self._stopped

    def _not_from_writer(self) -> None:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a write function waited on the writer: it would wait for "
                               "itself; write on the connection it was given instead")

    # -- thread -------------------------------------------------------------------------

    def _run(self) -> None:
        held: Any = None  # what ended the last group: run next
        while True:
            if held is not None:
                first, held = held, None
            else:
                try:
                    first = self.queue.get(timeout=1.0)
                except queue.Empty:
                    self._maintain()
                    continue
            if first is _STOP:
                break
            if isinstance(first, _Call):
                self._run_call(first)
                self._maintain()
                continue
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
                if nxt is _STOP or isinstance(nxt, _Call):  # in queue order, after these
                    held = nxt
                    break
                group.append(nxt)
                records += nxt.batch.records
            self._busy = len(group) > 1 or not self.queue.empty()
            # A request whose client went away (its future cancelled) was never
            # acknowledged: it is not written (the client retries); the others can no
            # longer be cancelled, and are answered once committed.
            group = [it for it in group if it.future.set_running_or_notify_cancel()]
            if group:
                self._write_group(group)
            self._maintain()

    def _run_call(self, item: _Call) -> None:
        if not item.future.set_running_or_notify_cancel():
            return
        try:
            item.future.set_result(self._call(item.fn, item.transaction))
        except Exception as exc:  # the caller's to report, as raised (see `classify`)
            item.future.set_exception(exc)

    def _call(self, fn: WriteFn[T], transaction: bool) -> T:
        # A write function may store events of any session: read them again when needed.
        self._recent_for = None
        if not transaction:
            with writing.running():
                return fn(self._con)
        with self._transaction() as con, writing.running():
            return fn(con)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
            con.execute("COMMIT")
        except BaseException:
            # A failed COMMIT has ended the transaction already: the error that matters
            # is the one raised, not ROLLBACK's "no transaction is active".
            with contextlib.suppress(duckdb.TransactionException):
                con.execute("ROLLBACK")
            raise

    def _write_group(self, group: list[_Item]) -> None:
        t0 = time.perf_counter()
        try:
            results = self._commit([it.batch for it in group])
        except Exception:
            if len(group) > 1:
                # Isolate the bad batch: the others must not fail with it.
                for it in group:
                    self._write_group([it])
                return
            results = None
        elapsed = time.perf_counter() - t0
        self._observe("commit_seconds", elapsed)
        if results is None:
            try:
                self._commit([group[0].batch])
            except Exception as exc:  # reported to the client
                err = classify(exc)
                if not isinstance(err, RejectedBatch):  # the store's trouble, not the data's
                    _log_failure(exc)
                group[0].future.set_exception(err)
            return
        for it, res in zip(group, results, strict=True):
            it.future.set_result(res)

    def _maintain(self) -> None:
        with writing.running():
            self.maintenance.due()

    # -- the transaction ----------------------------------------------------------------

    def _commit(self, batches: list[Batch]) -> list[WriteResult]:
        """Store `batches` in one transaction; each one's result counts the rows it brought
        that were stored, the rest (already stored, earlier in the group, or dropped as
        deltas) as its duplicates."""
        new_state: State = {}
        self._batch_sessions = {}
        seen: set[Any] = set()
        seen_spans: set[tuple[Any, Any]] = set()
        events: list[_Events] = []
        points: list[dict[str, Any]] = []
        spans: list[dict[str, Any]] = []
        owned: list[tuple[list[Any], list[Any], list[Any]]] = []  # each batch's own keys
        for b in batches:
            mine: tuple[list[Any], list[Any], list[Any]] = ([], [], [])
            ev = self._events_of(b)
            keys = ev.facts.keys if ev is not None else []
            fresh: set[Any] = set(keys)
            if ev is None:
                pass
            elif len(fresh) == len(keys) and seen.isdisjoint(fresh):  # the usual: all new
                seen |= fresh
                events.append(ev)
                mine[0].extend(keys)
            else:
                keep = []  # a key twice in one transaction: keep the first
                for key in keys:
                    keep.append(key not in seen)
                    if keep[-1]:
                        seen.add(key)
                        mine[0].append(key)
                events.append(ev.select(keep))
            fresh_points = to_deltas(b.points, self._state, new_state)  # likewise for points
            pkeys = _point_keys(fresh_points)
            fresh = set(pkeys)
            if len(fresh) == len(pkeys) and seen.isdisjoint(fresh):
                seen |= fresh
                points.extend(fresh_points)
                mine[1].extend(pkeys)
            else:
                for p, k in zip(fresh_points, pkeys, strict=True):
                    if k not in seen:
                        seen.add(k)
                        points.append(p)
                        mine[1].append(k)
            for sp in b.spans:  # likewise (insert_spans.sql keeps one of each)
                if (ks := (sp.get("trace_id"), sp.get("span_id"))) not in seen_spans:
                    seen_spans.add(ks)
                    mine[2].append(ks)
            spans.extend(b.spans)
            owned.append(mine)
        with self._transaction() as con, writing.running():
            stored_events = self._insert_events(_Events.concat(events)) if events else set()
            stored_points = self._insert_points(points)
            new_spans = self._insert_spans(spans)
            if new_state:
                tbl = pa.Table.from_pylist(
                    [{"series_key": k, "start_unix_nano": s, "time_unix_nano": t, "value": v}
                     for k, (s, t, v) in new_state.items()], schema=_EMPTY_STATE)
                con.register("batch_state", tbl)
                queries.run(con, "upsert_series_state")
                con.unregister("batch_state")
            if self.outbox is not None:  # forwarded exactly when stored
                self.outbox.put(con, batches)
        self._state.update(new_state)
        self._note_sessions()
        results = []
        for b, (mine_events, mine_points, mine_spans) in zip(batches, owned, strict=True):
            r = WriteResult(events=_new(mine_events, {k for (k,) in stored_events}),
                            points=_new(mine_points, stored_points),
                            spans=sum(1 for k in mine_spans if k in new_spans))
            r.duplicates = b.records - r.events - r.points - r.spans
            results.append(r)
        return results

    def _events_of(self, b: Batch) -> _Events | None:
        """A batch's events as the transaction takes them: the table the decoding process
        built (`handover.to_columns`), else one built here from its dicts."""
        if b.columns is not None:
            return _Events(columns.from_columns(b.columns, self._event_layout), b.columns.facts)
        if not b.events:
            return None
        facts = EventFacts.of(b.events)  # first: it sets each row's `ts`
        return _Events(self._table("events", b.events), facts)

    def _table(self, table: str, rows: list[dict[str, Any]]) -> pa.Table:
        """`rows` (their `ts` set: `rows.times`) as an Arrow table of `table`'s columns, with
        their derived columns."""
        if table == "spans":
            for r in rows:
                start, end = r["start_unix_nano"], r["end_unix_nano"]
                r["duration_ms"] = (end - start) / 1e6 if start and end else None
        try:
            return columns.table(rows, self._structs[table])
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError) as exc:
            raise RejectedBatch(f"{table}: {exc}") from None

    def _insert_spans(self, rows: list[dict[str, Any]]) -> set[tuple[Any, Any]]:
        """Insert the spans not stored yet; return the (trace, span) ids inserted."""
        if not rows:
            return set()
        times = _times(rows, "start_unix_nano")
        tbl = self._table("spans", rows)
        con = self._con
        con.register("batch_spans", tbl)
        try:
            sessions = self._note(map(_SESSION_OF, rows), min(times))
            return set(queries.run(con, "insert_spans",
                                  **self._repeat_range(times, sessions)).fetchall())
        finally:
            with contextlib.suppress(duckdb.TransactionException):  # see _insert_events
                con.unregister("batch_spans")

    def _insert_events(self, ev: _Events) -> set[Any]:
        """Insert the events of `ev` not stored yet; return the keys (1-tuples) of those
        left out as already stored."""
        f = ev.facts
        if not f.keys:
            return set()
        name = "batch_events"
        con = self._con
        con.register(name, ev.table)
        try:
            # Rows already stored (a retried export) are left out; the rest go in straight
            # from the batch. Live rows fall in the current hour, after rolled_until: only
            # late ones need rolling up now.
            sessions = self._note(f.sessions, min(f.ts))
            # A key with a '/' is its row's session.id/event.sequence (`rows.event_key`; a
            # digest has none): it can repeat only in its own session.
            keyed = all(map(operator.contains, f.keys, repeat("/")))
            if not keyed:
                sessions = {s for s, q in zip(f.sessions, f.sequenced, strict=True)
                            if q and s is not None}
            starts = self._stored_since(sessions)
            # Every row keyed by its session, and none of those sessions with events stored
            # (in the hours rolled up or not: `_stored_since`): no row of the batch can be
            # stored already, and the check is skipped.
            stored = (set() if keyed and not starts else set(queries.run(
                con, "insert_events", **self._range(f.ts, starts)).fetchall()))
            if stored:
                ev = ev.select([(k,) not in stored for k in f.keys])
                f = ev.facts
                if not f.keys:
                    return stored
                con.unregister(name)
                con.register(name, ev.table)
            queries.run_template(con, "append_batch", {"table": "events"})
            # Each (name, source) pair once, in one pass in C: the names for the rollups,
            # the sources of requests for `_relabel_copies`.
            pairs = set(zip(f.event_names, f.sources, strict=True))
            names = {n for n, _ in pairs}
            names.discard(None)
            self._late(name, "events", min(f.ts), names)
            if f.has_git and _may_have_git(ev.table, names):
                rollups.add_git(con, name)  # a session's repo and branch, whatever the hour
            if "api_request" in names:
                self._relabel_copies({s for n, s in pairs if n == "api_request"})
        finally:
            # After a failed statement the transaction is aborted: unregistering would raise
            # and hide the real error, and the ROLLBACK that follows drops the view anyway.
            with contextlib.suppress(duckdb.TransactionException):
                con.unregister(name)
        return stored

    def _insert_points(self, rows: list[dict[str, Any]]) -> set[Any]:
        """Insert the points of `rows` not stored yet; return the keys of those left out as
        already stored (`point_key`). (A point has no repeat at another time.)"""
        if not rows:
            return set()
        times = _times(rows, "time_unix_nano")
        tbl = self._table("points", rows)
        name = "batch_points"
        con = self._con
        con.register(name, tbl)
        try:
            stored = set(queries.run(con, "insert_points").fetchall())
            if stored:
                keep = [point_key(r) not in stored for r in rows]
                rows = [r for r, k in zip(rows, keep, strict=True) if k]
                if not rows:
                    return stored
                times = [r["ts"] for r in rows]
                con.unregister(name)
                con.register(name, tbl.filter(pa.array(keep)))
            queries.run_template(con, "append_batch", {"table": "points"})
            names = set(map(_METRIC_OF, rows))
            names.discard(None)
            self._late(name, "points", min(times), names)
        finally:
            with contextlib.suppress(duckdb.TransactionException):  # see _insert_events
                con.unregister(name)
        return stored

    def _late(self, src: str, table: str, oldest: int, names: set[Any]) -> None:
        """Rows of `src` (time `oldest` at the earliest, µs) before `rolled_until` are rolled
        up now, and maintenance told of the hour."""
        until = self.maintenance.until
        if oldest < _micros(until):
            rollups.add(self._con, table, src, until, names)
            self.maintenance.late(_datetime(oldest))

    def _repeat_range(self, times: list[int], sessions: set[str]) -> dict[str, datetime]:
        """Where rows of a batch may already be stored (insert_events.sql, insert_spans.sql):
        at the batch's own times; and, for rows of `sessions` that have events (or spans)
        stored, wherever those are, however different the time a repeat came with (`_range`
        of `_stored_since`). A session with none stored has no repeat at another time, so
        a live stream of new sessions is checked against its own seconds, not against the
        whole hour."""
        return self._range(times, self._stored_since(sessions))

    def _stored_since(self, sessions: set[str]) -> list[int]:
        """When those of `sessions` that have rows stored first have them (µs): their first
        rolled-up hour (events_hourly) or their first time in the hours not rolled up yet
        (`_recent_sessions`; the first of those hours when it keeps too many). Empty: none
        of `sessions` has events or spans stored."""
        if not sessions:
            return []
        (first,) = queries.run(self._con, "sessions_first",
                              sessions=sorted(sessions)).fetchone() or (None,)
        recent = self._recent_sessions()
        starts = [_micros(first)] if first else []
        if recent is None:
            starts.append(_micros(self.maintenance.until))
        else:
            starts.extend(recent[s] for s in sessions if s in recent)
        return starts

    @staticmethod
    def _range(times: list[int], starts: list[int]) -> dict[str, datetime]:
        """The batch's `times`, widened from the first of `starts` to the end (any)."""
        lo, hi = min(times), max(times)
        if starts:
            lo = min(lo, *starts)
            hi = _micros(datetime.max)
        return {"lo": _datetime(lo), "hi": _datetime(hi)}

    def _recent_sessions(self) -> dict[str, int] | None:
        """The sessions with events or spans in the hours not rolled up yet, and the first
        time of each there (µs); None when there are more than `_MAX_RECENT`. Read from the
        store after a write function ran (or at first), kept up by each commit
        (`_note_sessions`), and thinned when the rolled-up hours move on (a session's first
        time before them is `sessions_first`'s to find)."""
        until = self.maintenance.until
        if self._recent_for != until:
            if (self._recent is not None and self._recent_for is not None
                    and until > self._recent_for):
                cut = _micros(until)
                self._recent = {s: t for s, t in self._recent.items() if t >= cut}
            else:
                found = queries.run(self._con, "sessions_recent", since=until,
                                    most=_MAX_RECENT + 1).fetchall()
                self._recent = ({s: _micros(t) for s, t in found}
                                if len(found) <= _MAX_RECENT else None)
            self._recent_for = until
        return self._recent

    def _note(self, sessions: Iterable[str | None], first: int) -> set[str]:
        """The sessions of a batch's rows, noted with the batch's `first` time (their own
        first, or earlier) for `_note_sessions`."""
        found = {s for s in set(sessions) if s is not None}
        noted = self._batch_sessions
        for s in found:
            if first < noted.get(s, first + 1):
                noted[s] = first
        return found

    def _note_sessions(self) -> None:
        """After a commit: the sessions its rows brought (`_note`), into
        `_recent_sessions`."""
        recent = self._recent
        if recent is None or self._recent_for is None:
            return  # read from the store when next needed, or too many to keep
        for s, t in self._batch_sessions.items():
            if t < recent.get(s, t + 1):
                recent[s] = t
        if len(recent) > _MAX_RECENT:
            self._recent = None

    def _relabel_copies(self, sources: set[Any]) -> None:
        """Transcript rows of requests that telemetry just brought (the `sources` of the
        requests just stored) become copies (see relabel_transcript_copies.sql). Only once
        the store holds any: a store fed by telemetry alone skips the query."""
        if sources - {"telemetry"}:
            self._transcripts = True
        if self._transcripts and "telemetry" in sources:
            hours = {h for (h,) in queries.run(
                self._con, "relabel_transcript_copies").fetchall()}
            if hours:
                rollups.rebuild(self._con, sorted(hours))


# The most sessions `_recent_sessions` keeps (about 200 bytes each, 10 MB at most): past
# them, repeats of a session are looked for through every hour not rolled up yet.
_MAX_RECENT = 50_000


def _new(keys: list[Any], stored: set[Any]) -> int:
    """How many of `keys` were inserted: those not among the ones already `stored`."""
    return sum(1 for k in keys if k not in stored) if stored else len(keys)


# A point's metric name and a span's session, read over a batch's rows in C (`map`), not a
# Python loop (an event's: `rows.EventFacts`).
_METRIC_OF = operator.methodcaller("get", "metric_name")
_SESSION_OF = operator.methodcaller("get", "session_id")
_POINT_KEY = operator.itemgetter("series_key", "start_unix_nano", "time_unix_nano")


def _point_keys(points: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Each point's `point_key`, read in C when every point has its start (the decoder
    sets it, None or not)."""
    try:
        return list(map(_POINT_KEY, points))
    except KeyError:
        return list(map(point_key, points))


def _may_have_git(tbl: pa.Table, names: set[Any]) -> bool:
    """Whether the events of `tbl` (their `names`) may name a session's repo, branch or
    project: not when its project and branch columns are all null (counted as Arrow built
    them) and no git record is among it."""
    return (GIT_EVENT in names
            or tbl.column("project").null_count < tbl.num_rows
            or tbl.column("git_branch").null_count < tbl.num_rows)

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


def classify(exc: Exception) -> Exception:
    """`exc` as a `RejectedBatch` when it says the store refuses the data (a value out of
    range, a bad conversion): the client's error, not the store's."""
    if isinstance(exc, RejectedBatch):
        return exc
    if isinstance(exc, (duckdb.ConversionException, duckdb.InvalidInputException,
                        duckdb.ConstraintException, duckdb.OutOfRangeException)):
        return RejectedBatch(str(exc).splitlines()[0][:300])
    return exc
