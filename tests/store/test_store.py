"""The store: exact totals for every capture, deltas from cumulative sums, idempotent ingest."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from ccotel.otlp.decode import decode_request
from ccotel.query import Query
from ccotel.store import reader, schema
from ccotel.store.writer import Writer
from tests.conftest import SCENARIOS, capture_requests, claude_result

ALL_TIME = dict(start=datetime(2000, 1, 1), end=datetime(2100, 1, 1))


@pytest.fixture
def writer(tmp_path: Path) -> Writer:
    return Writer(schema.connect(tmp_path))


def load_capture(w: Writer, name: str) -> None:
    for req in capture_requests(name):
        w.write_now(decode_request(req["path"].split("/")[-1], json.dumps(req["body"]).encode(),
                                   "json"))


@pytest.mark.parametrize("name", SCENARIOS)
def test_capture_totals_equal_claude_codes_own(writer: Writer, name: str) -> None:
    load_capture(writer, name)
    result = claude_result(name)
    s = reader.summary(writer.cursors(), Query(**ALL_TIME, session=result["session_id"]))
    assert s["cost_usd"] == pytest.approx(result["total_cost_usd"], abs=1e-9)
    usage = result["usage"]
    assert s["tokens"] == {
        "input": usage["input_tokens"], "output": usage["output_tokens"],
        "cacheRead": usage["cache_read_input_tokens"],
        "cacheCreation": usage["cache_creation_input_tokens"]}
    # Each successful turn is one API request; an error run has none.
    expected_requests = 0 if result["is_error"] else result["num_turns"]
    assert s["requests"] == expected_requests
    assert s["errors"] == (1 if result.get("api_error_status") else 0)
    per_model = {m: u["costUSD"] for m, u in result["modelUsage"].items()}
    for model, cost in per_model.items():
        sm = reader.summary(writer.cursors(), Query(**ALL_TIME, session=result["session_id"],
                                                   model=model))
        assert sm["cost_usd"] == pytest.approx(cost, abs=1e-9)


def test_all_captures_together_add_up(writer: Writer) -> None:
    for name in SCENARIOS:
        load_capture(writer, name)
    s = reader.summary(writer.cursors(), Query(**ALL_TIME))
    results = [claude_result(n) for n in SCENARIOS]
    assert s["cost_usd"] == pytest.approx(sum(r["total_cost_usd"] for r in results), abs=1e-9)
    assert s["sessions"] == len({r["session_id"] for r in results})
    assert s["tool_calls"] == 5 and s["tool_failures"] == 1


def test_a_retried_export_is_stored_once(writer: Writer) -> None:
    load_capture(writer, "basic")
    counts = [writer.cursors().execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("events", "points", "spans")]
    load_capture(writer, "basic")
    again = [writer.cursors().execute(f"SELECT count(*) FROM {t}").fetchone()[0]
             for t in ("events", "points", "spans")]
    assert counts == again and all(counts)
    result = claude_result("basic")
    s = reader.summary(writer.cursors(), Query(**ALL_TIME))
    assert s["cost_usd"] == pytest.approx(result["total_cost_usd"], abs=1e-9)


def _cumulative(points: list[tuple[int, int, float]], *, session: str = "s1") -> bytes:
    req = ExportMetricsServiceRequest()
    m = req.resource_metrics.add().scope_metrics.add().metrics.add(
        name="claude_code.cost.usage", unit="USD")
    m.sum.aggregation_temporality = 2
    m.sum.is_monotonic = True
    for start, t, v in points:
        dp = m.sum.data_points.add(start_time_unix_nano=start, time_unix_nano=t, as_double=v)
        dp.attributes.append(KeyValue(key="session.id", value=AnyValue(string_value=session)))
        dp.attributes.append(KeyValue(key="model", value=AnyValue(string_value="m")))
    return req.SerializeToString()


def _deltas(w: Writer) -> list[float]:
    return [r[0] for r in w.cursors().execute(
        "SELECT value FROM points ORDER BY time_unix_nano").fetchall()]


def test_cumulative_sums_become_deltas_with_reset_detection(writer: Writer) -> None:
    writer.write_now(decode_request("metrics", _cumulative([(100, 200, 1.0), (100, 300, 1.5)]),
                                    "protobuf"))
    # A retry of the last export adds nothing.
    writer.write_now(decode_request("metrics", _cumulative([(100, 300, 1.5)]), "protobuf"))
    # The process restarted: new start time, counter from zero.
    writer.write_now(decode_request("metrics", _cumulative([(400, 500, 0.25)]), "protobuf"))
    # A reset without a new start time (value went down).
    writer.write_now(decode_request("metrics", _cumulative([(400, 600, 0.1)]), "protobuf"))
    assert _deltas(writer) == pytest.approx([1.0, 0.5, 0.25, 0.1])
    s = reader.summary(writer.cursors(), Query(start=datetime(1970, 1, 1), end=datetime(2100, 1, 1)))
    assert s["cost_usd"] == pytest.approx(1.85)


def test_cumulative_state_survives_a_restart(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))
    w.write_now(decode_request("metrics", _cumulative([(100, 200, 2.0)]), "protobuf"))
    w.close()
    w2 = Writer(schema.connect(tmp_path))
    w2.write_now(decode_request("metrics", _cumulative([(100, 300, 3.5)]), "protobuf"))
    assert _deltas(w2) == pytest.approx([2.0, 1.5])


def test_delta_sums_are_stored_as_sent(writer: Writer) -> None:
    load_capture(writer, "edit")
    rows = writer.cursors().execute(
        "SELECT value, raw_value, temporality FROM points WHERE metric_name = "
        "'claude_code.cost.usage'").fetchall()
    assert rows and all(v == raw and t == 1 for v, raw, t in rows)


def test_schema_version_is_stamped_and_checked(tmp_path: Path) -> None:
    schema.connect(tmp_path).close()
    con = duckdb.connect(str(schema.db_path(tmp_path)))
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(schema.SCHEMA_VERSION),)
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(schema.SchemaError, match="newer ccotel"):
        schema.connect(tmp_path)
    with pytest.raises(schema.SchemaError, match="schema version 999"):
        schema.connect(tmp_path, read_only=True)


def test_a_foreign_duckdb_file_is_refused(tmp_path: Path) -> None:
    con = duckdb.connect(str(schema.db_path(tmp_path)))
    con.execute("CREATE TABLE other (x INT)")
    con.close()
    with pytest.raises(schema.SchemaError, match="not a ccotel store"):
        schema.connect(tmp_path)


def test_a_retry_in_the_same_commit_is_stored_once(writer: Writer) -> None:
    req = next(r for r in capture_requests("basic") if r["path"] == "/v1/logs")
    body = json.dumps(req["body"]).encode()
    first, retry = decode_request("logs", body, "json"), decode_request("logs", body, "json")
    writer._commit([first, retry])  # both queued before the writer got to them
    (n,) = writer.cursors().execute("SELECT count(*) FROM events").fetchone()
    assert n == len(first.events)
    s = reader.summary(writer.cursors(), Query(**ALL_TIME))
    assert s["cost_usd"] == pytest.approx(claude_result("basic")["total_cost_usd"], abs=1e-9)


@pytest.mark.parametrize(("failure", "level", "says"), [
    (duckdb.IOException("IO Error: No space left on device"), "ERROR", "asked to retry"),
    (duckdb.FatalException("FATAL Error: could not allocate block (out of memory)"),
     "CRITICAL", "raise --memory-limit"),
])
def test_a_store_failure_refuses_the_export_and_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, failure: Exception, level: str,
        says: str) -> None:
    """Not the data's fault: the client is asked to retry (no RejectedBatch, no 400) and
    the server's log tells the operator what happened."""
    from ccotel.store.writer import RejectedBatch

    w = Writer(schema.connect(tmp_path))

    def fail(batches: object) -> None:
        raise failure

    w._commit = fail  # type: ignore[method-assign]
    w.start()
    try:
        req = capture_requests(SCENARIOS[0])[0]
        batch = decode_request(req["path"].split("/")[-1],  # type: ignore[arg-type]
                               json.dumps(req["body"]).encode(), "json")
        with pytest.raises(type(failure)) as got:
            w.submit(batch).result(30)
        assert not isinstance(got.value, RejectedBatch)
    finally:
        w.stop()
        w.close()
    records = [r for r in caplog.records if r.name == "ccotel.writer"]
    assert [r.levelname for r in records] == [level]
    assert says in records[0].getMessage()
