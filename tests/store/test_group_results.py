"""Each request committed in a group learns what of its own rows was stored.

Several waiting batches are committed in one transaction; the answer each export gets
(its `WriteResult`) counts the rows it brought that were stored, and as duplicates the
rest: rows already stored, rows an earlier batch of the same group brought, a row twice
in itself. Counted by hand below.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from ccotel.otlp.decode import decode_request
from ccotel.store import handover, schema
from ccotel.store.rows import Batch
from ccotel.store.writer import Writer, WriteResult
from tests.store.test_identity import NOW, api_request, kv, points

START = NOW - 60 * 10**9


def _spans(*ids: int) -> list[dict[str, object]]:
    req = ExportTraceServiceRequest(resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(
        spans=[Span(trace_id=b"\x01" * 16, span_id=i.to_bytes(8, "big"), name="x",
                    start_time_unix_nano=NOW, end_time_unix_nano=NOW + 10**6,
                    attributes=[kv("session.id", "group")]) for i in ids])])])
    return decode_request("traces", req.SerializeToString(), "protobuf").spans


def batch(seqs: list[int], times: list[int], spans: list[int]) -> Batch:
    """Events `seqs` of session "group", cost points at START + `times` seconds, spans."""
    b = Batch("logs")
    for seq in seqs:
        b.events += decode_request("logs", api_request(
            time_ns=NOW + seq, session="group", seq=seq).SerializeToString(), "protobuf").events
    b.points += decode_request("metrics", points(
        *[(START, START + t * 10**9) for t in times]).SerializeToString(), "protobuf").points
    b.spans += _spans(*spans)
    return b


@pytest.mark.parametrize("handed_over", [
    False,
    pytest.param(True, marks=pytest.mark.skipif(
        handover.C is None, reason="ccotel.store._columns is not built")),
], ids=["dicts", "columns"])
def test_each_batch_of_a_group_reports_its_own_rows(tmp_path: Path, handed_over: bool) -> None:
    """Events as dicts, or as the column buffers the decoding process hands over."""
    commits: list[float] = []
    w = Writer(schema.connect(tmp_path),
               observe=lambda name, v: commits.append(v) if name == "commit_seconds" else None)

    def made(*args: list[int]) -> Batch:
        b = batch(*args)
        if handed_over:
            handover.to_columns(b, *w.event_layout)
            assert b.columns is not None and not b.events
        return b

    assert w.write_now(made([1], [1], [])) == WriteResult(events=1, points=1)
    # Both queued before the thread starts: its first group takes them together.
    a = w.submit(made([1, 2, 3], [1, 2], [10, 11]))
    b = w.submit(made([2, 3, 4, 4], [2, 3], [11, 12]))
    w.start()
    try:
        got_a, got_b = a.result(30), b.result(30)
    finally:
        w.close()
    assert len(commits) == 1  # one transaction for both
    # a: events 2, 3 new (1 was stored), point 2 new (1 was stored), spans 10, 11 new.
    assert got_a == WriteResult(events=2, points=1, spans=2, duplicates=2)
    # b: event 4 new (2, 3 are a's; 4 twice), point 3 new (2 is a's), span 12 new (11 is a's).
    assert got_b == WriteResult(events=1, points=1, spans=1, duplicates=5)
    con = schema.connect(tmp_path, read_only=True)
    try:
        stored = [con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # type: ignore[index]
                  for t in ("events", "points", "spans")]
    finally:
        con.close()
    assert stored == [1 + 2 + 1, 1 + 1 + 1, 2 + 1]


def test_a_request_whose_client_left_is_skipped_and_the_writer_goes_on(tmp_path: Path) -> None:
    """The transport cancels the future of a request whose client went away (a gRPC
    deadline): that request was never acknowledged and is not written; the thread must
    not die answering it."""
    w = Writer(schema.connect(tmp_path))
    gone = w.submit(batch([1], [], []))
    kept = w.submit(batch([2], [], []))
    assert gone.cancel()
    w.start()
    try:
        assert kept.result(30) == WriteResult(events=1)
        assert w.submit(batch([3], [], [])).result(30) == WriteResult(events=1)
        assert w.pending_records() == 0
        stored = w.cursors().execute("SELECT event_sequence FROM events ORDER BY 1").fetchall()
    finally:
        w.close()
    assert stored == [(2,), (3,)]
