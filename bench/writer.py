"""The writer alone: the CPU per row of committing decoded exports, by statement.

`bench/ingest.py`'s exports (500 records each, each of its own session) are decoded first
(their events as the decoding process hands them over, column buffers; `--dicts`: as dicts);
then the writer commits them in groups of `--group` batches, as its thread does when that
many wait (the server's groups under `bench/ingest.py` hold 2-5), in this one thread with
no server and no decoding beside it, on a store opened as `ccotel serve` opens it
(`server.open_store`). Per row: the wall time of each DuckDB statement (a checkpoint runs
within COMMIT every 64 MB of WAL) and the rest, the writer's own Python and the Arrow table,
which hold the interpreter lock.

Last line: `rows= us_per_row= excl_commit_us_per_row= commit_us_per_row=`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import ingest  # bench/ingest.py, beside this file

from ccotel.otlp.decode import decode_request
from ccotel.server import open_store
from ccotel.settings import Settings
from ccotel.store import handover
from ccotel.store.writer import Writer


class _Timed:
    """The write connection, timing each statement the writer runs on it."""

    def __init__(self, con: Any, spent: Counter[str]) -> None:
        self._con, self._spent = con, spent

    def execute(self, query: str, *args: Any) -> _Timed:
        t0 = time.perf_counter()
        self._con.execute(query, *args)
        lines = [x for x in query.strip().splitlines() if not x.startswith("--")]
        self._spent[lines[0][:60] if lines else query[:60]] += time.perf_counter() - t0
        return self

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--signal", choices=("logs", "metrics"), default="logs")
    ap.add_argument("--group", type=int, default=4, help="batches per commit")
    ap.add_argument("--requests", type=int, default=400)
    ap.add_argument("--dicts", action="store_true",
                    help="events as dicts (as other producers hand them over), not as the "
                    "column buffers the decoding process builds")
    args = ap.parse_args()
    bodies = ingest.make_bodies(args.signal, "grpc", args.requests, 500, 1)
    batches = [decode_request(args.signal, b, "protobuf") for b in bodies]
    with tempfile.TemporaryDirectory() as tmp:
        w = Writer(open_store(Settings(data_dir=Path(tmp))))
        if not args.dicts:  # what the server's decoding process hands over
            for b in batches:
                handover.to_columns(b, *w.event_layout)
        warm, rest = batches[:40], batches[40:]
        for i in range(0, len(warm), args.group):
            w._commit(warm[i:i + args.group])
        spent: Counter[str] = Counter()
        w._con = _Timed(w._con, spent)  # type: ignore[assignment]
        rows = 0
        t0 = time.perf_counter()
        for i in range(0, len(rest), args.group):
            group = rest[i:i + args.group]
            w._commit(group)
            rows += sum(b.records for b in group)
        total = time.perf_counter() - t0
        w._con = w._con._con  # type: ignore[attr-defined]
        w.close()
    for what, seconds in spent.most_common():
        print(f"{seconds / rows * 1e6:7.2f} us/row  {what}", file=sys.stderr)
    print(f"{(total - sum(spent.values())) / rows * 1e6:7.2f} us/row  the rest "
          "(Python, Arrow)", file=sys.stderr)
    print(f"rows={rows} us_per_row={total / rows * 1e6:.2f} "
          f"excl_commit_us_per_row={(total - spent['COMMIT']) / rows * 1e6:.2f} "
          f"commit_us_per_row={spent['COMMIT'] / rows * 1e6:.2f}")


if __name__ == "__main__":
    main()
