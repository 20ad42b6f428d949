"""Where demo telemetry goes: straight into a store (bulk, for benchmarks), through the
real decode + writer path into a data dir, or over OTLP/HTTP to a running server."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ccotel.demo.generate import Chunk, Spec, chunks
from ccotel.demo.otlp import requests
from ccotel.otlp import bounds

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from ccotel.client import Client
    from ccotel.store.writer import Writer

Progress = Callable[[str], None]
SEND_IN_FLIGHT = 4  # requests `send` keeps in flight
BULK_ROWS = 100_000  # rows `write_bulk` appends (and rolls up) per statement
_COUNTED = {"logs": "events", "metrics": "points", "traces": "spans"}  # a signal's `Counts` field


@dataclass
class Counts:
    events: int = 0
    points: int = 0
    spans: int = 0

    def add(self, events: int = 0, points: int = 0, spans: int = 0) -> None:
        self.events += events
        self.points += points
        self.spans += spans


def _ahead(spec: Spec) -> Iterator[Chunk]:
    """The spec's chunks, the next one built on another thread while the caller stores
    this one (pyarrow and DuckDB both release the GIL, so two cores both work)."""
    it = chunks(spec)
    with ThreadPoolExecutor(1, thread_name_prefix="ccotel-demo") as pool:
        nxt = pool.submit(next, it, None)
        while True:
            chunk = nxt.result()
            if chunk is None:
                return
            nxt = pool.submit(next, it, None)
            yield chunk


def write_bulk(writer: Writer, spec: Spec, progress: Progress | None = None) -> Counts:
    """Append the spec's events and points to the store of `writer` as they are (no
    dedup, no deltas: `store/bulk.py`), a day per transaction: the fast path for
    benchmarks. The store must not be in use. The hourly rollups are appended with each
    day and compacted at the end, as a server's writer would in its spare time."""
    from ccotel.store import bulk

    def append(con: duckdb.DuckDBPyConnection, table: str, rows: pa.Table) -> int:
        # In slices: rolling up a busy day's rows at once needs more than a server's memory.
        return sum(bulk.append(con, table, rows.slice(i, BULK_ROWS))
                   for i in range(0, len(rows), BULK_ROWS))

    counts = Counts()
    for chunk in _ahead(spec):
        events, points, git = writer.write_sync(
            lambda con, c=chunk: (append(con, "events", c.events),  # type: ignore[misc]
                                  append(con, "points", c.points),
                                  append(con, "events", c.git) if c.git is not None else 0))
        counts.add(events=events + git, points=points)
        if progress:
            progress(f"{chunk.day}: {counts.events:,} events, {counts.points:,} points")
    writer.settle()
    return counts


def fill_data_dir(data_dir: Path, spec: Spec, progress: Progress | None = None) -> Counts:
    """Write the spec into the store in `data_dir` the way `ccotel serve` would: real OTLP
    messages, decoded by ccotel's decoder, committed by its writer."""
    from ccotel.otlp.decode import decode_message
    from ccotel.store import COMMAND_MEMORY_LIMIT, schema
    from ccotel.store.rows import Batch
    from ccotel.store.writer import Writer

    writer = Writer(schema.connect(data_dir, memory_limit=COMMAND_MEMORY_LIMIT))
    try:
        counts = Counts()
        for chunk in chunks(spec):
            # One transaction per day: a commit per export request would take minutes.
            day = Batch(signal="logs")
            for signal, msg in requests(chunk):
                rows = decode_message(signal, msg)  # type: ignore[arg-type]
                day.events.extend(rows.events)
                day.points.extend(rows.points)
                day.spans.extend(rows.spans)
            res = writer.write_now(day)
            counts.add(res.events, res.points, res.spans)
            if progress:
                progress(f"{chunk.day}: {counts.events:,} events, {counts.points:,} points")
        writer.settle()  # what a server's writer does in its spare time
    finally:
        writer.close()
    return counts


def send(client: Client, spec: Spec, progress: Progress | None = None) -> Counts:
    """POST the spec to a server's OTLP/HTTP port as protobuf through the one client
    (`ccotel.client`: TLS, token, backing off when asked), a few requests in flight: each is
    answered once committed, and the metrics are deltas, so their order does not matter."""
    counts = Counts()

    def post(item: tuple[str, Any]) -> tuple[str, int]:
        signal, msg = item
        client.export(signal, msg.SerializeToString())
        return signal, bounds.records(msg)

    with ThreadPoolExecutor(SEND_IN_FLIGHT) as pool:
        for chunk in chunks(spec):
            for signal, n in pool.map(post, requests(chunk)):
                counts.add(**{_COUNTED[signal]: n})
            if progress:
                progress(f"{chunk.day}: {counts.events:,} events, {counts.points:,} points")
    return counts
