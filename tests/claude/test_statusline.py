"""`ccotel statusline`: the line, its colours and segments, and that it never fails or
delays Claude Code (bad stdin, no server, a dead server), run as Claude Code runs it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from ccotel.claude import statusline as sl
from tests.conftest import Server
from tests.limits.helpers import RECORDED, send_requests, statusline_input, utcnow

NOW = 1_800_000_000.0


def _run(stdin: bytes | str, *args: str, env: dict[str, str] | None = None,
         timeout: float = 30) -> tuple[subprocess.CompletedProcess[bytes], float]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ccotel", "statusline", *args], check=False,
                          input=stdin if isinstance(stdin, bytes) else stdin.encode(),
                          capture_output=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    return proc, time.monotonic() - t0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_line_from_the_recorded_input() -> None:
    data = json.loads(RECORDED.read_text())
    line = sl.render(data, None, colour_on=False, now=NOW, branch="feature/x")
    assert line == ("Opus 4.8 (1M context) │ $0.02 session │ ctx 1% │ "
                    "acme/widgets ⎇ feature/x")


def test_limits_pace_and_colours() -> None:
    # 5-hour window 1 hour in (20% elapsed) with 30% used: pace 1.5, red; 7-day: calm.
    data = statusline_input("s", five=(30, NOW + 4 * 3600), seven=(85, NOW + 3600), cost=2)
    plain = sl.render(data, {"today_cost_usd": 7.5}, colour_on=False, now=NOW)
    assert "$7.50 today" in plain
    assert "5h 30% pace 1.5x ↻4h00m" in plain
    assert "7d 85% pace 0.9x ↻1h00m" in plain
    coloured = sl.render(data, None, now=NOW)
    assert "\x1b[32m5h 30%\x1b[0m" in coloured      # under 50%: green
    assert "\x1b[31mpace 1.5x\x1b[0m" in coloured   # ahead of pace: red
    assert "\x1b[31m7d 85%\x1b[0m" in coloured      # from 80%: red
    only = sl.render(data, None, fmt="five_hour,model", colour_on=False, now=NOW)
    assert only == "5h 30% pace 1.5x ↻4h00m │ Opus 4.8 (1M context)"
    assert "unknown segment 'nope'" in sl.render(data, None, fmt="model,nope",
                                                  colour_on=False, now=NOW)


def test_limits_from_the_server_when_the_input_has_none() -> None:
    data = json.loads(RECORDED.read_text())  # an API-key input: no rate_limits
    cached = {"limits": {"five_hour": {"source": "official", "used_percentage": 42.0,
                                       "resets_at_epoch": NOW + 3600}},
              "today_cost_usd": 1.0}
    assert "5h 42%" in sl.render(data, cached, colour_on=False, now=NOW)
    block = {"limits": {"five_hour": None, "block": {
        "isActive": True, "costUSD": 3.2, "burnRate": {"costPerHour": 1.6},
        "end_epoch": NOW + 5400}}}
    assert "block $3.20 $1.60/h ↻1h30m" in sl.render(data, block, colour_on=False, now=NOW)


def test_branch_from_git_and_worktrees(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git = ["git", "-c", "user.email=t@t", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q", "-b", "main", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "--allow-empty", "-m", "x"],
                   check=True)
    subprocess.run([*git, "-C", str(repo), "checkout", "-q", "-b", "feature/x"], check=True)
    (repo / "sub").mkdir()
    assert sl.git_branch(str(repo / "sub")) == "feature/x"
    subprocess.run([*git, "-C", str(repo), "worktree", "add", "-q", "-b", "wt",
                    str(tmp_path / "wt")], check=True)
    assert sl.git_branch(str(tmp_path / "wt")) == "wt"
    assert sl.git_branch(str(tmp_path / "nowhere")) is None


def test_never_fails_bad_stdin_no_server_dead_server(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "CCOTEL_DATA_DIR": str(tmp_path / "d")}
    for stdin in (b"", b"not json", b"[1,2]", b"\xff\xfe\x00garbage",
                  b'{"model": 3, "cost": {"total_cost_usd": "x"}, "rate_limits": []}'):
        proc, _ = _run(stdin, env=env)
        assert proc.returncode == 0 and proc.stdout.strip(), proc
        assert proc.stderr == b""
    recorded = RECORDED.read_bytes()
    proc, _ = _run(recorded, env=env)  # no server in the data dir
    assert proc.returncode == 0 and b"acme/widgets" in proc.stdout
    # A dead server (nothing listens) and one that accepts but never answers: the line
    # comes at once; the snapshot's child gives up on its own.
    with socket.socket() as hang:
        hang.bind(("127.0.0.1", 0))
        hang.listen()
        for url in (f"http://127.0.0.1:{_free_port()}", f"http://127.0.0.1:{hang.getsockname()[1]}"):
            proc, took = _run(recorded, "--url", url, env=env)
            assert proc.returncode == 0 and b"Opus 4.8" in proc.stdout
            assert took < 5  # the interpreter's start; the network is not waited for


def test_snapshot_reaches_the_server_and_today_comes_back(server: Server,
                                                          tmp_path: Path) -> None:
    now = utcnow()
    send_requests(server.http, "dana@example.com", "s-dana",
                  [(now - timedelta(seconds=2), 0.75)])
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    data = json.dumps(statusline_input("s-dana", five=(12, now.timestamp() + 3 * 3600)))
    # Found through the data dir's server.json, as on the machine running the server.
    proc, _ = _run(data, "--no-color", "--data-dir", str(server.data_dir), env=env)
    assert proc.returncode == 0 and "5h 12%" in proc.stdout.decode()
    cache = tmp_path / "cache" / "ccotel" / "statusline.json"
    deadline = time.monotonic() + 20
    while not cache.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(cache.read_text())["user"] == "dana@example.com"
    assert cache.stat().st_mode & 0o777 == 0o600  # it names the account and its costs
    [entry] = httpx.get(f"{server.ui}/api/v1/limits", timeout=30).json()["users"]
    assert entry["five_hour"]["used_percentage"] == 12
    assert entry["hosts"] == [socket.gethostname()]
    # The next run shows the account's cost today, from the server's last answer, plus
    # what this session spent since the snapshot that answer counted.
    proc, _ = _run(data, "--no-color", "--no-send", env=env)
    assert "$0.75 today" in proc.stdout.decode()
    later = json.loads(data)
    later["cost"]["total_cost_usd"] += 0.25
    proc, _ = _run(json.dumps(later), "--no-color", "--no-send", env=env)
    assert "$1.00 today" in proc.stdout.decode()

    # The same snapshot again at once is not sent; a changed one is.
    answered = json.loads(cache.read_text())["cached_at"]
    _run(data, "--data-dir", str(server.data_dir), env=env)
    time.sleep(1.0)
    assert json.loads(cache.read_text())["cached_at"] == answered
    _run(json.dumps(later), "--data-dir", str(server.data_dir), env=env)
    deadline = time.monotonic() + 20
    while json.loads(cache.read_text())["cached_at"] == answered:
        assert time.monotonic() < deadline, "the changed snapshot was not sent"
        time.sleep(0.05)
    assert json.loads(cache.read_text())["sent_cost_usd"] == 0.75


def test_statusline_imports_nothing_heavy(tmp_path: Path) -> None:
    """It runs on every update: no DuckDB, gRPC, Arrow, Rich or httpx on its path."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "ccotel", "statusline"],
                          input=RECORDED.read_bytes(), capture_output=True, timeout=30,
                          check=False, env={**os.environ, "XDG_CACHE_HOME": str(tmp_path),
                                            "CCOTEL_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 0
    imported = {line.split("|")[-1].strip().split(".")[0]
                for line in proc.stderr.decode().splitlines() if line.startswith("import time")}
    assert "ccotel" in imported
    assert not imported & {"duckdb", "grpc", "pyarrow", "rich", "httpx", "starlette"}


def test_a_server_with_a_token(tmp_path: Path) -> None:
    from tests.conftest import start_server

    server = start_server(tmp_path / "data", env={"CCOTEL_TOKEN": "s3cret"})
    try:
        data = json.dumps(statusline_input("s-token", five=(3, time.time() + 3600)))
        cache = tmp_path / "cache" / "ccotel" / "statusline.json"
        env = {"XDG_CACHE_HOME": str(tmp_path / "cache"), "CCOTEL_TOKEN": ""}
        _run(data, "--url", server.ui, env=env)  # no token: 401, nothing cached
        time.sleep(1.5)
        assert not cache.exists()
        _run(data, "--url", server.ui, env={**env, "CCOTEL_TOKEN": "s3cret"})
        deadline = time.monotonic() + 20
        while not cache.exists():
            assert time.monotonic() < deadline, "the snapshot with the token was not taken"
            time.sleep(0.05)
        assert json.loads(cache.read_text())["limits"]["five_hour"]["used_percentage"] == 3
    finally:
        server.stop()
