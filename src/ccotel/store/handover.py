"""What the decoding process hands the writer: a batch's events as the events table's
column buffers (`rows.EventColumns`), built there by `_columns.c` while the server does
other work, so that the server neither unpickles the rows as dicts nor builds the Arrow
table from them, both under its interpreter lock.

Imports no Arrow and no DuckDB (the decoding process loads neither); the writer wraps the
buffers (`columns.from_columns`). Where the compiled builder is missing, turned off
(`CCOTEL_COLUMNS=0`) or declines some value, the events stay dicts, which the writer takes
as before.
"""

from __future__ import annotations

import os
from typing import Any

from ccotel.store.rows import Batch, EventColumns, EventFacts


def _load() -> Any:
    """The compiled column builder (`_columns.c`), or None: not built, or
    `CCOTEL_COLUMNS=0` (the bench's way to measure without it)."""
    if os.environ.get("CCOTEL_COLUMNS") == "0":
        return None
    try:
        from ccotel.store import _columns  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _columns


C = _load()


def builder() -> str:
    """What builds the events' column buffers and the writer's tables: "compiled"
    (`_columns.c`) or "pyarrow" (dicts all the way, as without a C compiler). `/readyz`
    says it, beside the wire reader."""
    return "compiled" if C is not None else "pyarrow"

def to_columns(batch: Batch, names: tuple[str, ...], kinds: bytes) -> None:
    """`batch`'s events as `EventColumns` of the events table's `names` and `kinds` (the
    writer's layout, `columns.Layout`), in place; left as dicts when the builder is not
    there or declines."""
    rows = batch.events
    if C is None or not rows or batch.columns is not None:
        return
    facts = EventFacts.of(rows)  # first: it sets each row's `ts`
    buffers = C.columns(rows, names, kinds)
    if buffers is None:
        return
    batch.columns = EventColumns(names, kinds, buffers, facts)
    batch.events = []
