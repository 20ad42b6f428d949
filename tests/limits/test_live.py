"""`ccotel live`: one view from a server and from transcripts, and the live view in a real
terminal (tmux): refresh, resize, a server that goes away and comes back, Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from ccotel.live import TranscriptSource
from tests.conftest import Server, start_server
from tests.limits.helpers import post_snapshot, send_requests, statusline_input, utcnow

FIXTURE = Path(__file__).resolve().parents[1] / "importer" / "data" / \
    "claude-2.1.332-session.jsonl"
ALICE = "alice@example.com"


def _fill(server: Server) -> None:
    now = utcnow()
    send_requests(server.http, ALICE, "s-laptop", [(now - timedelta(minutes=40), 0.5),
                                                   (now - timedelta(minutes=2), 0.3)])
    reset5 = (now + timedelta(hours=3)).timestamp()
    reset7 = (now + timedelta(days=5)).timestamp()
    assert post_snapshot(server.ui, statusline_input("s-laptop", five=(80, reset5),
                                                     seven=(12, reset7)),
                         "laptop").status_code == 200


def _live(*args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run([sys.executable, "-m", "ccotel", "live", "--once", *args],
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "COLUMNS": "130", **(env or {})})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_one_view_from_the_server(server: Server) -> None:
    _fill(server)
    out = _live("--data-dir", str(server.data_dir))
    assert ALICE in out and "laptop" in out
    assert "$0.80" in out                      # the block's cost
    assert "5-hour limit" in out and "80.0%" in out and "pace 2.00x" in out
    assert "runs out at" in out                # 40%/h: the last 20% go in half an hour
    assert "7-day limit" in out and "12.0%" in out
    assert "1 active" in out and "claude-opus-4-8 $0.80 (100%)" in out
    assert "no usage" in _live("--data-dir", str(server.data_dir), "--user", "nobody")


def _transcript_line(ts: str, n: int) -> str:
    line = next(json.loads(raw) for raw in FIXTURE.read_text().splitlines()
                if 'usage"' in raw)
    line["timestamp"] = ts
    line["message"]["id"] = f"msg_live_{n}"
    line["requestId"] = f"req_live_{n}"
    return json.dumps(line) + "\n"


def test_transcripts_when_no_server_runs(tmp_path: Path) -> None:
    project = tmp_path / "claude" / "projects" / "-tmp-x"
    project.mkdir(parents=True)
    file = project / f"{uuid.uuid4()}.jsonl"
    stamp = (utcnow() - timedelta(minutes=3)).isoformat(timespec="milliseconds") + "Z"
    file.write_text(_transcript_line(stamp, 1))
    source = TranscriptSource([tmp_path / "claude" / "projects"])
    first = source.fetch().users[0]["block"]
    assert first["entries"] == 1 and first["costUSD"] > 0
    with file.open("a") as f:  # Claude Code appends: only the new bytes are read
        f.write(_transcript_line(stamp, 2))
    second = source.fetch().users[0]["block"]
    assert second["entries"] == 2
    assert second["costUSD"] == pytest.approx(2 * first["costUSD"])
    out = _live(env={"CLAUDE_CONFIG_DIR": str(tmp_path / "claude"),
                     "CCOTEL_DATA_DIR": str(tmp_path / "none")})
    assert "this machine (transcripts)" in out and "claude-opus-5-5" in out


# -- in a real terminal ------------------------------------------------------------------

def _tmux(sock: str, *args: str) -> str:
    return subprocess.run(["tmux", "-L", sock, *args], capture_output=True, text=True,
                          timeout=30, check=True).stdout


def _screen(sock: str) -> str:
    return _tmux(sock, "capture-pane", "-p", "-t", "live")


def _wait(sock: str, pred: object, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    text = ""
    while time.monotonic() < deadline:
        text = _screen(sock)
        if pred(text):  # type: ignore[operator]
            return text
        time.sleep(0.2)
    raise AssertionError(f"screen never matched:\n{text}")


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_live_in_tmux_resize_and_server_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = start_server(data)
    sock = f"ccotel-live-{os.getpid()}"
    try:
        _fill(server)
        env = f"PYTHONPATH={os.environ.get('PYTHONPATH', '')} TERM=xterm-256color"
        cmd = f"env {env} {sys.executable} -m ccotel live --data-dir {data}"
        _tmux(sock, "new-session", "-d", "-s", "live", "-x", "120", "-y", "40", cmd)
        _wait(sock, lambda s: ALICE in s and "80.0%" in s)
        _tmux(sock, "resize-window", "-t", "live", "-x", "70", "-y", "40")
        narrow = _wait(sock, lambda s: "5-hour limit" in s and max(
            len(line.rstrip()) for line in s.splitlines()) <= 70)
        assert ALICE in narrow
        server.stop()
        gone = _wait(sock, lambda s: "no ccotel server is running" in s
                     or "does not answer" in s)
        assert ALICE in gone  # the last view stays, marked stale
        server = start_server(data)  # back, on new ports: found through server.json
        _wait(sock, lambda s: "no ccotel server" not in s and "does not answer" not in s
              and ALICE in s)
        _tmux(sock, "send-keys", "-t", "live", "C-c")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if "live" not in subprocess.run(["tmux", "-L", sock, "ls"], capture_output=True,
                                            text=True, check=False).stdout:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("ccotel live did not quit on Ctrl-C")
    finally:
        subprocess.run(["tmux", "-L", sock, "kill-server"], capture_output=True, check=False)
        server.stop()
