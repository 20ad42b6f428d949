"""`_columns.columns`, the compiled builder of the writer's Arrow tables: for any rows it
gives the table pyarrow builds from the same dicts, or declines (and pyarrow builds it, its
error standing), never a different table."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccotel.store import columns, schema

pytestmark = pytest.mark.skipif(
    columns._C is None, reason="ccotel.store._columns is not built (no C compiler at "
    "install, or CCOTEL_COLUMNS=0): pyarrow builds every table")

EXAMPLES = int(os.environ.get("CCOTEL_FUZZ_EXAMPLES", "40")) * 5
CHECK = settings(max_examples=EXAMPLES, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def _structs() -> dict[str, pa.StructType]:
    with tempfile.TemporaryDirectory() as tmp:
        con = schema.connect(Path(tmp))
        try:
            return {t: pa.struct(list(schema.arrow_schema(con, t)))
                    for t in ("events", "points", "spans")}
        finally:
            con.close()


STRUCTS = _structs()
EVENTS = STRUCTS["events"]


def pyarrow_table(rows: list[dict[str, Any]], struct: pa.StructType) -> pa.Table | Exception:
    try:
        return pa.Table.from_struct_array(pa.array(rows, type=struct))
    except Exception as exc:  # ArrowInvalid, ArrowTypeError, OverflowError, UnicodeEncodeError
        return exc


class Text(str):
    """A str subclass: pyarrow's to judge."""


# Every kind of value a producer could put in any column, the awkward ones included.
value = st.one_of(
    st.none(), st.booleans(), st.integers(-2**65, 2**65),
    st.integers(-2**54, 2**54), st.integers(0, 2**64 + 5),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["\ud800", "é", "日本", "", "x" * 40]),
    st.builds(Text, st.text(max_size=3)), st.binary(max_size=3),
    st.just(object()))
# Mostly values of the column's own kind, so that whole batches do get built in C.
typed = {
    "s": st.one_of(st.none(), st.text(max_size=20)),
    "i": st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)),
    "u": st.one_of(st.none(), st.integers(0, 2**64 - 1)),
    "d": st.one_of(st.none(), st.floats(allow_nan=False), st.integers(-2**53, 2**53)),
    "b": st.one_of(st.none(), st.booleans()),
}


@st.composite
def rows_of(draw: Any, struct: pa.StructType, awkward: bool) -> list[dict[str, Any]]:
    lay = columns.layout(struct)
    out = []
    for _ in range(draw(st.integers(0, 12))):
        row: dict[str, Any] = {}
        for name, kind in zip(lay.names, lay.kinds, strict=True):
            if draw(st.booleans()):
                row[name] = draw(value if awkward and draw(st.integers(0, 9)) == 0
                                 else typed[chr(kind)])
        if draw(st.integers(0, 9)) == 0:
            row["not_a_column"] = draw(value)
        out.append(row)
    return out


def check(rows: list[dict[str, Any]], struct: pa.StructType) -> bool:
    """The compiled table equals pyarrow's, or the builder declined: True when built."""
    built = columns.from_buffers(rows, columns.layout(struct))
    expected = pyarrow_table(rows, struct)
    if built is None:
        return False
    assert not isinstance(expected, Exception), f"built where pyarrow fails: {expected}"
    built.validate(full=True)
    assert built.schema == expected.schema
    assert values(built) == values(expected)
    return True


def values(tbl: pa.Table) -> list[list[Any]]:
    """Each column's values, timestamps as their integers (any, even past Python's
    datetime), NaN as a string (so that NaN equals NaN)."""
    out = []
    for col in tbl.columns:
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.int64())
        out.append(["NaN" if isinstance(v, float) and math.isnan(v) else v
                    for v in col.to_pylist()])
    return out


@CHECK
@given(st.sampled_from(sorted(STRUCTS)).flatmap(
    lambda t: st.tuples(st.just(t), rows_of(STRUCTS[t], awkward=True))))
def test_any_rows_give_pyarrows_table_or_none(case: tuple[str, list[dict[str, Any]]]) -> None:
    table, rows = case
    check(rows, STRUCTS[table])


@CHECK
@given(st.sampled_from(sorted(STRUCTS)).flatmap(
    lambda t: st.tuples(st.just(t), rows_of(STRUCTS[t], awkward=False))))
def test_rows_of_the_columns_types_are_built_in_c(case: tuple[str, list[dict[str, Any]]]
                                                  ) -> None:
    table, rows = case
    assert check(rows, STRUCTS[table])


@pytest.mark.parametrize("bad", [
    2**63, -2**63 - 1,          # past int64
    True,                      # a bool is pyarrow's to judge in an int column
    1.5, "7", b"7", Text("x"),
])
def test_a_value_pyarrow_must_judge_declines(bad: Any) -> None:
    rows = [{"event_key": "a", "input_tokens": 1}, {"event_key": "b", "input_tokens": bad}]
    assert columns.from_buffers(rows, columns.layout(EVENTS)) is None
    got = expected = None
    try:
        got = columns.table(rows, EVENTS)
    except Exception as exc:
        got = type(exc)
    expected_ = pyarrow_table(rows, EVENTS)
    expected = type(expected_) if isinstance(expected_, Exception) else expected_
    if isinstance(got, type) or isinstance(expected, type):
        assert got == expected
    else:
        assert values(got) == values(expected)


@pytest.mark.parametrize("column,bad", [
    ("cost_usd", 2**53 + 1),     # an int a double does not hold exactly
    ("cost_usd", "0.1"),
    ("body", "\ud800"),          # a lone surrogate: no UTF-8
    ("body", 5),
])
def test_more_values_that_decline(column: str, bad: Any) -> None:
    assert columns.from_buffers([{column: bad}], columns.layout(EVENTS)) is None


def test_a_row_that_is_not_a_dict_declines() -> None:
    class Row(dict):  # type: ignore[type-arg]
        pass

    assert columns.from_buffers([Row(event_key="a")], columns.layout(EVENTS)) is None


def test_many_rows_and_long_text() -> None:
    rows = [{"event_key": f"k{i}", "attributes": "é" * (i % 300), "input_tokens": i,
             "cost_usd": i / 7, "ts": 1_700_000_000_000_000 + i} for i in range(5000)]
    assert check(rows, EVENTS)
