"""Decoding in a process of its own (`otlp/worker.py`): the rows and the errors are those of
decoding in the server's process; a decoder that dies is replaced and its export answered
with a retry; the decoder never outlives the server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from ccotel.otlp import bounds
from ccotel.otlp.decode import DecodeError, parse_message
from ccotel.otlp.prepare import Decoder, Prepare
from ccotel.otlp.worker import DecodeProcess, DecoderStopped
from ccotel.redact import Redactor, parse
from ccotel.store.rows import Batch
from tests.conftest import CAPTURES, Server, capture_requests, start_server
from tests.otlp_client import to_otlp_json

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the decoder forks")


def _exports() -> Iterator[tuple[str, str, bytes]]:
    """(signal, encoding, body) of every export recorded from Claude Code, in protobuf and
    in JSON."""
    for path in sorted(CAPTURES.glob("*.otlp.jsonl")):
        for req in capture_requests(path.name.removesuffix(".otlp.jsonl")):
            kind = req["path"].rsplit("/", 1)[-1]
            msg = parse_message(kind, json.dumps(req["body"]).encode(), "json")
            yield kind, "protobuf", msg.SerializeToString()
            yield kind, "json", to_otlp_json(msg)


def _same(a: Batch, b: Batch) -> bool:
    """Equal but for the time each was received (when it was decoded)."""
    return replace(a, received_ns=0) == replace(b, received_ns=0)


def _outcome(decoder: Decoder, kind: str, body: bytes, encoding: str) -> Batch | str:
    """The batch (received at 0), or the error as its type and message."""
    try:
        return replace(decoder(kind, body, encoding), received_ns=0)  # type: ignore[arg-type]
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


@pytest.fixture
def pair() -> Iterator[tuple[Prepare, DecodeProcess]]:
    prepare = Prepare(Redactor(parse("all"), b"k" * 32),
                      bounds.Limits(records=1000), keep_requests=True)
    proc = DecodeProcess(prepare)
    proc.start()
    yield prepare, proc
    proc.close()


def test_the_process_decodes_every_export_as_the_server_would(
        pair: tuple[Prepare, DecodeProcess]) -> None:
    prepare, proc = pair
    stored = 0
    for kind, encoding, body in _exports():
        there, here = _outcome(proc, kind, body, encoding), _outcome(prepare, kind, body, encoding)
        assert there == here, (kind, encoding)
        stored += isinstance(here, Batch)
    assert stored > 20
    assert proc.restarts == 0


def test_errors_cross_the_process_as_they_are(pair: tuple[Prepare, DecodeProcess]) -> None:
    _, proc = pair
    with pytest.raises(DecodeError):
        proc("logs", b"\x0a\xff\xff\xff\xff\x0f", "protobuf")
    with pytest.raises(DecodeError):
        proc("logs", b"{not json", "json")
    many = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {"stringValue": "x"}}]
                                             * 1001}]}]}
    with pytest.raises(bounds.TooMuchWork):
        proc("logs", json.dumps(many).encode(), "json")
    kind, encoding, body = next(_exports())
    assert proc(kind, body, encoding).records > 0  # the process is still there


def test_a_decoder_that_dies_is_replaced(pair: tuple[Prepare, DecodeProcess]) -> None:
    prepare, proc = pair
    kind, encoding, body = next(_exports())
    proc(kind, body, encoding)  # started and ready
    first = proc.pid
    os.kill(first, signal.SIGKILL)
    with pytest.raises(DecoderStopped):
        proc(kind, body, encoding)
    assert proc.pid not in (0, first) and proc.restarts == 1
    assert _same(proc(kind, body, encoding), prepare(kind, body, encoding))
    assert not psutil.pid_exists(first)  # reaped
    assert not proc.in_process


def _decoder(srv: Server) -> psutil.Process:
    (child,) = psutil.Process(srv.proc.pid).children()
    return child


def _post(srv: Server, body: bytes) -> httpx.Response:
    return httpx.post(f"{srv.http}/v1/logs", content=body, timeout=30,
                      headers={"content-type": "application/x-protobuf"})


def _logs_body(name: str = "basic") -> tuple[bytes, int, str]:
    """A recorded logs export in protobuf, its record count and its session."""
    req = next(r for r in capture_requests(name) if r["path"] == "/v1/logs")
    msg: Any = parse_message("logs", json.dumps(req["body"]).encode(), "json")
    records = [r for rl in msg.resource_logs for sl in rl.scope_logs for r in sl.log_records]
    session = next(a.value.string_value for a in records[0].attributes
                   if a.key == "session.id")
    return msg.SerializeToString(), len(records), session


def test_the_server_decodes_in_its_child_and_survives_its_death(server: Server) -> None:
    decoder = _decoder(server)
    body, records, session = _logs_body()
    before = sum(decoder.cpu_times()[:2])
    for _ in range(200):  # the same export again: stored once, decoded each time
        assert _post(server, body).status_code == 200
    assert sum(decoder.cpu_times()[:2]) - before > 0.02  # the child did the decoding

    decoder.kill()
    assert _gone(decoder.pid)  # a zombie until the server reaps it
    first = _post(server, body)
    assert first.status_code == 503 and first.headers["retry-after"] == "1"
    assert b"restarted" in first.content  # a google.rpc.Status, as the body was protobuf
    assert _post(server, body).status_code == 200  # the retry, decoded by its successor
    assert _decoder(server).pid != decoder.pid
    events = httpx.get(f"{server.ui}/api/v1/summary", params={"from": "0", "session": session},
                       timeout=30).json()
    assert events["requests"] > 0
    assert "starting another" in server.output and "Traceback" not in server.output
    exposed = httpx.get(server.metrics, timeout=30).text
    assert "ccotel_decoder_restarts_total 1.0" in exposed
    assert "ccotel_decoding_in_process 0.0" in exposed
    assert records > 0


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def test_the_decoder_does_not_outlive_a_killed_server(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data")
    decoder = _decoder(srv)
    assert _post(srv, _logs_body()[0]).status_code == 200
    srv.stop(signal.SIGKILL)
    assert _gone(decoder.pid)


def test_ctrl_c_stops_the_server_and_its_decoder_quietly(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data", preexec_fn=os.setsid)
    decoder = _decoder(srv)
    assert _post(srv, _logs_body()[0]).status_code == 200
    os.killpg(srv.proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the group
    srv.proc.wait(30)
    assert srv.stop() == 0  # (already stopped: collects its output)
    assert _gone(decoder.pid)
    assert "KeyboardInterrupt" not in srv.output and "Traceback" not in srv.output


def test_without_a_decoding_process_the_server_process_decodes(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr("sys.executable", "/nonexistent/python3")
    proc = DecodeProcess(Prepare())
    proc.start()
    assert proc.in_process and proc.pid == 0
    assert "decoding in the server's process" in caplog.text
    for kind, encoding, body in _exports():
        assert _outcome(proc, kind, body, encoding) == _outcome(Prepare(), kind, body, encoding)
    proc.close()


def test_a_ccotel_folder_in_the_current_directory_is_not_imported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planted = tmp_path / "ccotel"
    planted.mkdir()
    marker = tmp_path / "imported"
    (planted / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    proc = DecodeProcess(Prepare())
    proc.start()
    try:
        kind, encoding, body = next(_exports())
        assert proc(kind, body, encoding).records > 0
        assert not proc.in_process and not marker.exists()
    finally:
        proc.close()


class _Stall:
    """A transform that hangs on an export whose first record's body is "stall": a decoder
    stuck on some input. (Imported by the decoding process from this module.)"""

    def __call__(self, batch: Batch) -> None:
        if batch.events and batch.events[0].get("body") == "stall":
            time.sleep(60)


def _one_record(body: str) -> bytes:
    msg = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{
        "timeUnixNano": "1700000000000000000", "body": {"stringValue": body}}]}]}]}
    return json.dumps(msg).encode()


def test_a_stuck_decoder_is_stopped_and_replaced(monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(Path(__file__).resolve().parents[2])  # so that it imports _Stall
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        p for p in (root, os.environ.get("PYTHONPATH")) if p))
    proc = DecodeProcess(Prepare(_Stall()), timeout_s=2)
    proc.start()
    try:
        assert proc("logs", _one_record("fine"), "json").records == 1
        first = proc.pid
        t0 = time.monotonic()
        with pytest.raises(DecoderStopped, match="longer than 2 s"):
            proc("logs", _one_record("stall"), "json")
        assert time.monotonic() - t0 < 10
        assert not psutil.pid_exists(first)  # killed and reaped
        assert proc("logs", _one_record("fine"), "json").records == 1
        assert proc.pid != first and proc.restarts == 1
    finally:
        proc.close()


@pytest.mark.parametrize("make", [
    lambda s: [],  # no descriptor
    lambda s: ["abc"],
    lambda s: ["0"],  # not a socket
    lambda s: [str(s.fileno())],  # a socket that sends junk
])
def test_the_decoding_process_started_wrongly_ends_in_one_line(make: Any) -> None:
    ours, theirs = socket.socketpair()
    args = make(theirs)
    proc = subprocess.Popen([sys.executable, "-P", "-m", "ccotel.otlp.worker", *args],
                            pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    theirs.close()
    ours.sendall((5).to_bytes(8, "big") + b"junk!")
    ours.close()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 1, err
