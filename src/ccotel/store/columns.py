"""A batch's rows as an Arrow table of a table's columns: the writer's step from the rows
every producer hands it to what DuckDB inserts: from dicts (`table`), or from the column
buffers the decoding process built (`from_columns`, `handover.py`).

`_columns.c` lays each column's buffers out as Arrow does, in one pass over the rows;
pyarrow wraps them without copying. Where it declines (a value whose conversion is
pyarrow's to judge: see the C file's exactness rule), or was not compiled, pyarrow builds
the table from the dicts, as the definition (`tests/store/test_columns.py` holds the two
equal).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pyarrow as pa

from ccotel.store.handover import C as _C
from ccotel.store.rows import EventColumns


class Layout:
    """What `_columns.columns` needs for one table's struct type: its names and kinds."""

    def __init__(self, struct: pa.StructType) -> None:
        self.struct = struct
        self.fields = [struct.field(i) for i in range(struct.num_fields)]
        self.names = tuple(f.name for f in self.fields)
        self.kinds = bytes(_kind(f.type) for f in self.fields)
        self.schema = pa.schema(self.fields)


def _kind(t: pa.DataType) -> int:
    if pa.types.is_string(t):
        return ord("s")
    if pa.types.is_int64(t) or pa.types.is_timestamp(t):
        return ord("i")
    if pa.types.is_uint64(t):
        return ord("u")
    if pa.types.is_float64(t):
        return ord("d")
    if pa.types.is_boolean(t):
        return ord("b")
    raise ValueError(f"no column kind for {t}")


@cache
def layout(struct: pa.StructType) -> Layout:
    return Layout(struct)


def table(rows: list[dict[str, Any]], struct: pa.StructType) -> pa.Table:
    """`rows` as a table of `struct`'s fields: the compiled builder's when it takes every
    value, else pyarrow's (whose errors, ArrowInvalid, ArrowTypeError or OverflowError, are
    the caller's to report)."""
    if _C is not None:
        built = from_buffers(rows, layout(struct))
        if built is not None:
            return built
    return pa.Table.from_struct_array(pa.array(rows, type=struct))


def from_buffers(rows: list[dict[str, Any]], lay: Layout) -> pa.Table | None:
    """The compiled builder's table, or None where it declines."""
    cols = _C.columns(rows, lay.names, lay.kinds)
    return None if cols is None else _wrap(cols, len(rows), lay)


def from_columns(ec: EventColumns, lay: Layout) -> pa.Table:
    """The table of events the decoding process built (`handover.to_columns`)."""
    if (ec.names, ec.kinds) != (lay.names, lay.kinds):
        raise ValueError("events built for another layout of the events table")
    return _wrap(ec.buffers, len(ec.facts.keys), lay)


def _wrap(cols: list[tuple[int, bytes | None, bytes | None, bytes]], n: int,
          lay: Layout) -> pa.Table:
    arrays = []
    for f, (nulls, validity, offsets, data) in zip(lay.fields, cols, strict=True):
        bufs = [None if validity is None else pa.py_buffer(validity)]
        if offsets is not None:
            bufs.append(pa.py_buffer(offsets))
        bufs.append(pa.py_buffer(data))
        arrays.append(pa.Array.from_buffers(f.type, n, bufs, null_count=nulls))
    tbl = pa.Table.from_arrays(arrays, schema=lay.schema)
    tbl.validate()  # each buffer's size against the rows (cheap: not the values)
    return tbl
