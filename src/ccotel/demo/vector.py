"""Small columnar helpers over pyarrow.compute, so the generator builds millions of rows
without a Python loop per row (numpy is not a dependency; pyarrow is)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


class Rng:
    """Reproducible streams of uniform numbers: the n-th draw of a seed is always the same."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.draws = 0

    def uniform(self, n: int) -> pa.Array:
        self.draws += 1
        if n == 0:
            return pa.array([], pa.float64())
        return pc.random(n, initializer=(self.seed * 1_000_003 + self.draws) % (2**62))

    def lognormal(self, n: int, median: Any, sigma: float) -> pa.Array:
        """Box-Muller normal, exponentiated: `median` may be a scalar or an array."""
        u1, u2 = self.uniform(n), self.uniform(n)
        z = pc.multiply(pc.sqrt(pc.multiply(pc.ln(pc.subtract(1.0, u1)), -2.0)),
                        pc.cos(pc.multiply(u2, 2 * math.pi)))
        return pc.multiply(pc.exp(pc.multiply(z, sigma)), median)

    def exponential(self, n: int, mean: float) -> pa.Array:
        return pc.multiply(pc.ln(pc.subtract(1.0, self.uniform(n))), -mean)

    def choice(self, n: int, thresholds: Sequence[float]) -> pa.Array:
        return choice(self.uniform(n), thresholds)

    def chance(self, n: int, p: Any) -> pa.Array:
        return pc.less(self.uniform(n), p)


def choice(u: pa.Array, thresholds: Sequence[float]) -> pa.Array:
    """Index of the bucket `u` falls in, given cumulative thresholds."""
    idx = pa.repeat(0, len(u)) if len(u) else pa.array([], pa.int64())
    for t in thresholds:
        idx = pc.add(idx, pc.cast(pc.greater_equal(u, t), pa.int64()))
    return idx


def arange(n: int) -> pa.Array:
    if n == 0:
        return pa.array([], pa.int64())
    return pc.subtract(pc.cumulative_sum(pa.repeat(1, n)), 1)


def repeat(values: pa.Array, counts: pa.Array) -> pa.Array:
    """numpy.repeat: each value `counts` times (zero counts allowed)."""
    keep = pc.greater(counts, 0)
    values, counts = pc.filter(values, keep), pc.filter(counts, keep)
    if len(values) == 0:
        return pa.array([], values.type)
    ends = pc.cumulative_sum(pc.cast(counts, pa.int64()))
    return pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(ends, values))


def starts(counts: pa.Array) -> pa.Array:
    """Offset of each group's first row, for groups of `counts` rows laid end to end."""
    return pc.subtract(pc.cumulative_sum(pc.cast(counts, pa.int64())), counts)


def position(counts: pa.Array) -> pa.Array:
    """Row number inside its group, for every row of the groups."""
    total = pc.sum(counts).as_py() or 0
    return pc.subtract(arange(total), repeat(starts(counts), counts))


def group_sum_before(values: pa.Array, counts: pa.Array) -> pa.Array:
    """Per row: sum of the values before it in its group, itself included."""
    cs = pc.cumulative_sum(values)
    first = repeat(starts(counts), counts)
    before = pc.subtract(cs, pc.take(cs, first))
    return pc.add(before, pc.take(values, first))


def clip(a: pa.Array, low: int, high: int) -> pa.Array:
    return pc.min_element_wise(pc.max_element_wise(a, low), high)


def nulls_unless(mask: pa.Array, values: pa.Array) -> pa.Array:
    return pc.if_else(mask, values, pa.scalar(None, values.type))


def text(values: Sequence[str], idx: pa.Array) -> pa.Array:
    """Strings picked by index from a small table (dictionary decoded)."""
    return pc.take(pa.array(list(values), pa.string()), idx)


def join(*parts: Any) -> pa.Array:
    """Element-wise concatenation of string arrays and scalars."""
    return pc.binary_join_element_wise(*[p if isinstance(p, (pa.Array, pa.ChunkedArray))
                                         else pa.scalar(p, pa.string()) for p in parts], "")


def as_text(a: pa.Array) -> pa.Array:
    return pc.cast(a, pa.string())


def to_int(a: pa.Array) -> pa.Array:
    return pc.cast(pc.round(a), pa.int64())


def group_totals(values: pa.Array, counts: pa.Array) -> pa.Array:
    """Sum of `values` over each group of `counts` consecutive rows (counts > 0)."""
    cs = pc.cumulative_sum(pc.cast(values, pa.int64()))
    ends = pc.take(cs, pc.subtract(pc.cumulative_sum(pc.cast(counts, pa.int64())), 1))
    before = pa.concat_arrays([pa.array([0], pa.int64()), ends.slice(0, len(ends) - 1)])
    return pc.subtract(ends, before)


def label(values: Sequence[str], idx: pa.Array) -> pa.Array:
    """Like `text` but dictionary-encoded: no string is copied per row (DuckDB decodes it
    on insert), which makes low-cardinality columns nearly free."""
    return label_of(pa.array(list(values), pa.string()), idx)


def label_of(values: pa.Array, idx: pa.Array) -> pa.Array:
    """`label` over an Arrow array of strings (e.g. one id per prompt, indexed per event)."""
    idx = pc.cast(idx, pa.int32())
    if isinstance(idx, pa.ChunkedArray):  # from_arrays would walk a chunked one in Python
        idx = idx.combine_chunks()
    # The indices come from our own arithmetic: skip the bounds validation.
    return pa.DictionaryArray.from_arrays(idx, values, safe=False)
