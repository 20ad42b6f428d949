"""Property-based fuzzing of the decoders (protobuf and JSON) and of the write path behind
them: for any input, decoding returns rows or raises DecodeError (400), and the rows are
stored or refused as RejectedBatch (400). Nothing else may escape: anything else would
become a 5xx, or kill the writer."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccotel.otlp import bounds
from ccotel.otlp.decode import DecodeError, decode_request
from ccotel.redact import CATEGORIES, Redactor
from ccotel.store import schema
from ccotel.store.rows import Batch
from ccotel.store.writer import RejectedBatch, Writer
from tests.reliability import fuzzdata

# What the writer may raise for bad values; the transports turn these into 400.
REFUSED = (RejectedBatch, duckdb.ConversionException, duckdb.InvalidInputException,
           duckdb.ConstraintException, duckdb.OutOfRangeException)
FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CASES = {"n": 0, "invalid": 0, "stored": 0, "refused": 0}  # reported at the end


@pytest.fixture(scope="module")
def writer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Writer]:
    con = schema.connect(tmp_path_factory.mktemp("fuzz"))
    yield Writer(con)
    con.close()
    print(f"\nfuzz: {CASES['n']} decoder cases run: {CASES['invalid']} invalid (400), "
          f"{CASES['stored']} stored, {CASES['refused']} refused by the store (400)")


# Every redaction on, so that the redactor is fuzzed on the same hostile rows.
REDACT = Redactor(frozenset(CATEGORIES), b"k" * 32)


def check(writer: Writer, signal: str, body: bytes, encoding: str) -> Batch | None:
    CASES["n"] += 1
    try:
        # As the server does: the work of a request is bounded before it is parsed (413).
        bounds.check(signal, body, encoding, bounds.Limits())  # type: ignore[arg-type]
        batch = decode_request(signal, body, encoding)  # type: ignore[arg-type]
    except (DecodeError, bounds.TooMuchWork):
        CASES["invalid"] += 1
        return None
    _rows_are_storable_shapes(batch)
    REDACT(batch)
    try:
        writer.write_now(batch)
        CASES["stored"] += 1
    except REFUSED:
        CASES["refused"] += 1
    # Whatever happened, the store still takes a plain write afterwards.
    writer.cursors().execute("SELECT count(*) FROM events").fetchone()
    return batch


def _rows_are_storable_shapes(batch: Batch) -> None:
    for row in batch.events + batch.points + batch.spans:
        for key, value in row.items():
            # JSON columns must hold JSON text; floats must not be NaN in typed columns.
            if key in ("attributes", "resource", "detail", "events", "links"):
                assert isinstance(value, str), key
            if isinstance(value, float) and key in ("cost_usd", "value"):
                assert math.isfinite(value), (key, value)


@FUZZ
@given(fuzzdata.mutated_capture(), st.booleans())
def test_mutated_claude_exports(writer: Writer, case: tuple[str, Any], as_protobuf: bool) -> None:
    signal, doc = case
    batch = check(writer, signal, fuzzdata.to_json_bytes(doc), "json")
    if batch is not None and as_protobuf:
        # What parsed as JSON must decode the same way from protobuf.
        from ccotel.otlp.decode import parse_message
        msg = parse_message(signal, fuzzdata.to_json_bytes(doc), "json")  # type: ignore[arg-type]
        check(writer, signal, msg.SerializeToString(), "protobuf")


@FUZZ
@given(fuzzdata.noisy_protobuf())
def test_broken_protobuf(writer: Writer, case: tuple[str, bytes]) -> None:
    signal, body = case
    check(writer, signal, body, "protobuf")


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(fuzzdata.SIGNALS), st.one_of(
    st.binary(max_size=500), fuzzdata.json_values.map(fuzzdata.to_json_bytes)),
    st.sampled_from(["json", "protobuf"]))
def test_random_bytes_and_random_json(writer: Writer, signal: str, body: bytes,
                                      encoding: str) -> None:
    check(writer, signal, body, encoding)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["logs", "metrics", "traces"]), fuzzdata.attributes,
       fuzzdata.attributes)
def test_hostile_attributes_everywhere(writer: Writer, signal: str, attrs: list[Any],
                                       resource: list[Any]) -> None:
    """Any attribute list, on the resource and on the record/point/span."""
    res = {"resource": {"attributes": resource}}
    t = "1700000000000000000"
    if signal == "logs":
        doc: dict[str, Any] = {"resourceLogs": [{**res, "scopeLogs": [{"logRecords": [
            {"timeUnixNano": t, "attributes": attrs}]}]}]}
    elif signal == "metrics":
        doc = {"resourceMetrics": [{**res, "scopeMetrics": [{"metrics": [
            {"name": "claude_code.cost.usage", "sum": {"aggregationTemporality": 2,
             "isMonotonic": True, "dataPoints": [
                 {"timeUnixNano": t, "asDouble": 1.5, "attributes": attrs}]}}]}]}]}
    else:
        doc = {"resourceSpans": [{**res, "scopeSpans": [{"spans": [
            {"traceId": "0" * 31 + "1", "spanId": "0" * 15 + "1", "startTimeUnixNano": t,
             "endTimeUnixNano": t, "attributes": attrs,
             "events": [{"name": "e", "attributes": attrs}]}]}]}]}
    check(writer, signal, fuzzdata.to_json_bytes(doc), "json")


@pytest.mark.parametrize("name", sorted(fuzzdata.EXTREMES))
def test_extremes(writer: Writer, name: str) -> None:
    signal, encoding, body = fuzzdata.EXTREMES[name]
    check(writer, signal, body, encoding)


def test_a_huge_attribute_is_stored_not_refused(writer: Writer) -> None:
    signal, encoding, body = fuzzdata.EXTREMES["4MiB-string"]
    batch = check(writer, signal, body, encoding)
    assert batch is not None and len(batch.events) == 1
