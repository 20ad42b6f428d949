"""`_wire.split_pairs`, the compiled twin of `decode._py_split_pairs` (a log record's
attributes into typed hot columns and the JSON rest): the same row and the same rest for
any attributes, and the coercers it skips really leave those values alone."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccotel.claude import catalogue
from ccotel.otlp import decode

pytestmark = pytest.mark.skipif(
    decode.WIRE is None, reason="ccotel.otlp._wire is not built (no C compiler at install, "
    "or CCOTEL_WIRE=0): only the Python splitter runs")

EXAMPLES = int(os.environ.get("CCOTEL_FUZZ_EXAMPLES", "40")) * 5
CHECK = settings(max_examples=EXAMPLES, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])

SPECS = decode._EVENT_SPECS
HOT = sorted(SPECS)

# Numbers as Claude Code sends them (text) and as a careless client might: padded, signed,
# with underscores or exponents, other scripts' digits, past int64, past a double's digits.
number_text = st.one_of(
    st.integers(-10**20, 10**20).map(str),
    st.from_regex(r"\A[-+]?[0-9]{0,20}\Z", fullmatch=True),
    st.from_regex(r"\A\s*[-+]?[0-9_]{1,6}(\.[0-9]*)?([eE][-+]?[0-9]{1,3})?\s*\Z",
                  fullmatch=True),
    st.sampled_from(["", "-", "-0", "0", "007", "nan", "inf", "-inf", "1e3", "\u0663", "\uff11\uff12",
                     "true", "False", " yes ", "0", "1", "9" * 15, "9" * 16, "9" * 18,
                     "9" * 19, "-" + "9" * 18, "1" * 15 + ".0"]))
value = st.one_of(
    number_text, st.text(max_size=8), st.none(), st.booleans(),
    st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True))
key = st.one_of(st.sampled_from(HOT), st.text(max_size=6))
pairs = st.lists(st.tuples(key, value), max_size=24)
# A row as `_log_rows` starts it: the resource's columns, some of them set.
prefilled = st.dictionaries(st.sampled_from(sorted({c for s in SPECS.values() for c in (
    [s] if isinstance(s, str) else [s[2]]) if c})), st.text(max_size=4), max_size=3)


@CHECK
@given(pairs, prefilled)
def test_compiled_split_equals_the_python_one(pairs: list[tuple[str, Any]],
                                              row: dict[str, Any]) -> None:
    row_c, row_py = dict(row), dict(row)
    extra_c = decode.WIRE.split_pairs(list(pairs), SPECS, row_c)
    extra_py = decode._py_split_pairs(list(pairs), SPECS, row_py)
    assert repr(row_c) == repr(row_py)  # keys, order, values (NaN as NaN)
    assert repr(extra_c) == repr(extra_py)
    assert [type(v) for v in row_c.values()] == [type(v) for v in row_py.values()]
    assert [type(v) for v in extra_c.values()] == [type(v) for v in extra_py.values()]


@CHECK
@given(number_text)
def test_digit_strings_type_as_the_coercers_type_them(text: str) -> None:
    for name in ("input_tokens", "duration_ms"):
        c = decode.WIRE.split_pairs([(name, text)], SPECS, {})
        py = decode._py_split_pairs([(name, text)], SPECS, {})
        assert repr(c) == repr(py)


def test_a_number_sent_as_text_lands_in_its_column() -> None:
    row: dict[str, Any] = {}
    extra = decode.WIRE.split_pairs(
        [("input_tokens", "1200"), ("duration_ms", "23"), ("cost_usd", "0.5"),
         ("success", "true"), ("event.sequence", -3), ("tool_name", "Bash"),
         ("cache_read_tokens", "-1"), ("custom", "x")], SPECS, row)
    assert row["input_tokens"] == 1200 and type(row["input_tokens"]) is int
    assert row["duration_ms"] == 23.0 and type(row["duration_ms"]) is float
    assert row["cost_usd"] == 0.5 and row["success"] is True
    assert row["tool_name"] == "Bash"
    # out of bounds (tokens below 0) and unknown keys stay in the JSON, typed
    assert extra == {"cache_read_tokens": -1, "custom": "x"}


def test_the_compiled_splitter_is_the_one_in_use() -> None:
    assert decode._split_pairs is decode.WIRE.split_pairs


def test_bad_arguments_raise_type_errors_not_crashes() -> None:
    for args in ([(1, 2, 3)], SPECS, {}), ([("a",)], SPECS, {}), ("ab", SPECS, {}), \
            ([("k", 1)], {"k": (None,)}, {}), ([("k", 1)], {"k": (None, None, "c", int, 5)}, {}):
        with pytest.raises(TypeError):
            decode.WIRE.split_pairs(*args)
    with pytest.raises(TypeError):
        decode.WIRE.split_pairs([])


@CHECK
@given(st.one_of(st.integers(-2**80, 2**80), st.floats(allow_nan=True), st.booleans()))
def test_each_coercer_returns_its_kept_type_unchanged(v: Any) -> None:
    assert set(catalogue.COERCERS.values()) <= set(catalogue.KEEPS)
    for fn, kept in catalogue.KEEPS.items():
        if type(v) is kept:
            assert fn(v) is v
