"""Events handed over as column buffers (`store/handover.py`): what the decoding process
sends the writer once it knows the events table's layout. Stored, they are exactly the rows
(and the rollups, and the answers) the same events give as dicts; the decoding process
hands them over from the first export after `set_layout`, and after a restart too."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccotel.otlp.decode import decode_request, parse_message
from ccotel.otlp.prepare import Prepare
from ccotel.otlp.worker import DecodeProcess, DecoderStopped
from ccotel.store import columns, handover, schema
from ccotel.store.attribution import git_record
from ccotel.store.rows import Batch
from ccotel.store.writer import Writer, WriteResult
from tests.conftest import CAPTURES, capture_requests, start_server

pytestmark = pytest.mark.skipif(
    handover.C is None, reason="ccotel.store._columns is not built (no C compiler at "
    "install, or CCOTEL_COLUMNS=0): events always reach the writer as dicts")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))
import ingest as bench  # type: ignore[import-not-found]  # noqa: E402

TABLES = ("events", "events_hourly", "attrib_hourly", "session_git")


def _exports() -> list[Batch]:
    """Every log export recorded from Claude Code, the bench's, and a session's git record,
    as the decoder gives them (dicts)."""
    out = []
    for path in sorted(CAPTURES.glob("*.otlp.jsonl")):
        for req in capture_requests(path.name.removesuffix(".otlp.jsonl")):
            if req["path"].endswith("/logs"):
                msg = parse_message("logs", json.dumps(req["body"]).encode(), "json")
                out.append(decode_request("logs", msg.SerializeToString(), "protobuf"))
    out.append(decode_request("logs", bench.logs_template(300, 1_700_000_000 * 10**9)
                              .SerializeToString(), "protobuf"))
    out.append(decode_request("logs", git_record("s-git", {"repo": "github.com/a/b",
                                                           "branch": "main"},
                                                 now_ns=1_700_000_000 * 10**9), "json"))
    return out


def _contents(data_dir: Path) -> dict[str, list[Any]]:
    con = schema.connect(data_dir, read_only=True)
    try:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
    finally:
        con.close()


def test_handed_over_events_are_stored_as_their_dicts(tmp_path: Path) -> None:
    exports = _exports()
    assert len(exports) > 5
    results: dict[str, list[WriteResult]] = {}
    for way in ("dicts", "columns"):
        w = Writer(schema.connect(tmp_path / way))
        got = []
        for b in copy.deepcopy(exports):
            if way == "columns":
                handover.to_columns(b, *w.event_layout)
                assert b.columns is not None and not b.events
            got.append(w.write_now(b))
        # the same exports again: every event a duplicate, both ways
        again = copy.deepcopy(exports[-3:])
        if way == "columns":
            for b in again:
                handover.to_columns(b, *w.event_layout)
        got += [w.write_now(b) for b in again]
        w.close()
        results[way] = got
    assert results["columns"] == results["dicts"]
    assert sum(r.events for r in results["dicts"]) > 300
    assert all(r.events == 0 for r in results["dicts"][-3:])
    dicts, cols = _contents(tmp_path / "dicts"), _contents(tmp_path / "columns")
    for t in TABLES:
        assert cols[t] == dicts[t], t
    assert dicts["session_git"]  # the git record was merged both ways
    keys = [row[0] for row in cols["events"]]  # event_key, the table's first column
    assert len(keys) == len(set(keys))  # the repeats were left out


def test_a_batch_of_another_layout_fails_alone(tmp_path: Path) -> None:
    """Columns built for another layout of the table are never inserted: that export is
    refused (the client retries), the others of its group are stored."""
    w = Writer(schema.connect(tmp_path))
    names, kinds = w.event_layout
    good = decode_request("logs", bench.logs_template(5, 1_700_000_000 * 10**9)
                          .SerializeToString(), "protobuf")
    bad = decode_request("logs", bench.logs_template(5, 1_700_000_100 * 10**9)
                         .SerializeToString(), "protobuf")
    handover.to_columns(good, names, kinds)
    handover.to_columns(bad, names[::-1], kinds[::-1])
    with pytest.raises(ValueError, match="another layout"):
        columns.from_columns(bad.columns, columns.layout(w._structs["events"]))  # type: ignore[arg-type]
    first, second = w.submit(good), w.submit(bad)
    w.start()
    try:
        assert first.result(30) == WriteResult(events=5)
        with pytest.raises(ValueError):
            second.result(30)
        count = w.cursors().execute("SELECT count(*) FROM events").fetchone()
    finally:
        w.close()
    assert count == (5,)


def test_the_decoding_process_hands_events_over_once_it_knows_the_layout(
        tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))
    body = bench.logs_template(20, 1_700_000_000 * 10**9).SerializeToString()
    proc = DecodeProcess(Prepare())
    proc.start()
    try:
        before = proc("logs", body, "protobuf")
        assert before.columns is None and len(before.events) == 20
        proc.set_layout(w.event_layout)
        after = proc("logs", body, "protobuf")
        assert after.columns is not None and not after.events and after.records == 20
        # A decoding process started again (this one killed) gets the layout with its
        # Prepare.
        os.kill(proc.pid, signal.SIGKILL)
        with pytest.raises(DecoderStopped):
            proc("logs", body, "protobuf")
        again = proc("logs", body, "protobuf")
        assert again.columns is not None and proc.restarts == 1
        assert w.write_now(after) == WriteResult(events=20)
        assert w.write_now(again) == WriteResult(duplicates=20)
    finally:
        proc.close()
        w.close()


def test_the_decoding_process_loads_neither_arrow_nor_duckdb() -> None:
    """What the decoding process imports (`python -m ccotel.otlp.worker` and the column
    builder) holds no Arrow, DuckDB or gRPC, nor OpenSSL's hashes (its BLAKE2 is CPython's
    own): each would add its libraries' pages to the server's memory bound."""
    code = ("import sys; from ccotel.otlp import worker, prepare; "
            "from ccotel.store import handover; "
            "assert handover.C is not None; "
            "print(sorted(m for m in ('pyarrow', 'duckdb', 'grpc', '_hashlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-P", "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == ("[]" if importlib.util.find_spec("_blake2") else "['_hashlib']")


def test_servers_with_and_without_the_builder_store_the_same(tmp_path: Path) -> None:
    """Through a real server: the recorded exports (OTLP/HTTP protobuf) stored with the
    hand-over and with `CCOTEL_COLUMNS=0` (dicts and pyarrow, as without a C compiler) give
    the same tables."""
    bodies = [parse_message("logs", json.dumps(r["body"]).encode(), "json").SerializeToString()
              for path in sorted(CAPTURES.glob("*.otlp.jsonl"))
              for r in capture_requests(path.name.removesuffix(".otlp.jsonl"))
              if r["path"].endswith("/logs")]
    for way, env in (("columns", {}), ("dicts", {"CCOTEL_COLUMNS": "0"})):
        srv = start_server(tmp_path / way, env=env)
        try:
            ready = httpx.get(f"{srv.ui}/readyz", timeout=10).json()
            assert ready["columns"] == ("compiled" if way == "columns" else "pyarrow")
            for body in bodies:
                resp = httpx.post(f"{srv.http}/v1/logs", content=body, timeout=30,
                                  headers={"Content-Type": "application/x-protobuf"})
                assert resp.status_code == 200, resp.text
        finally:
            srv.stop()
    assert _contents(tmp_path / "columns") == _contents(tmp_path / "dicts")
    assert _contents(tmp_path / "columns")["events"]
