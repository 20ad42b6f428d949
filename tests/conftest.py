"""Shared fixtures: a real `ccotel serve` on free ports, and the reference captures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Real OTLP payloads recorded from Claude Code 2.1.332, with the CLI's own totals.
CAPTURES = ROOT / "tests" / "data" / "captures"
SCENARIOS = sorted(p.name.split(".")[0] for p in CAPTURES.glob("*.claude-result.json"))


@dataclass
class Server:
    """A `ccotel serve` subprocess and the ports it bound."""

    proc: subprocess.Popen[str]
    data_dir: Path
    info: dict[str, Any]
    log: list[str] = field(default_factory=list)  # everything the server printed
    drain: threading.Thread | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.info['http_port']}"

    @property
    def grpc(self) -> str:
        return f"127.0.0.1:{self.info['grpc_port']}"

    @property
    def ui(self) -> str:
        return f"http://127.0.0.1:{self.info['ui_port']}"

    @property
    def metrics(self) -> str:
        return f"http://127.0.0.1:{self.info['metrics_port']}/metrics"

    def summary(self, **params: Any) -> dict[str, Any]:
        params.setdefault("from", "0")
        resp = httpx.get(f"{self.ui}/api/v1/summary", params=params, timeout=30,
                         headers=getattr(self, "headers", {}))
        resp.raise_for_status()
        return resp.json()

    @property
    def output(self) -> str:
        return "".join(self.log)

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.drain is not None:
            self.drain.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


def start_server(data_dir: Path, *args: str, env: dict[str, str] | None = None,
                 timeout: float = 30.0, preexec_fn: Callable[[], None] | None = None) -> Server:
    """Start `ccotel serve` on free ports and wait until /readyz answers."""
    server_file = data_dir / "server.json"
    if server_file.exists():
        server_file.unlink()
    cmd = [sys.executable, "-m", "ccotel", "serve", "--data-dir", str(data_dir),
           "--grpc-port", "0", "--http-port", "0", "--ui-port", "0", "--metrics-port", "0", *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **(env or {})}, preexec_fn=preexec_fn)
    # Drain the pipe as it fills: a server that logs more than the pipe holds would block.
    log: list[str] = []
    drain = threading.Thread(target=lambda: log.extend(iter(proc.stdout.readline, "")),
                             daemon=True)
    drain.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            drain.join(5)
            proc.stdout.close()
            raise RuntimeError(f"ccotel serve exited with {proc.returncode}:\n{''.join(log)}")
        if server_file.exists():
            try:
                info = json.loads(server_file.read_text())
            except ValueError:
                info = None
            if info and info.get("pid") == proc.pid:
                return Server(proc, data_dir, info, log, drain)
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    drain.join(5)
    proc.stdout.close()
    raise RuntimeError(f"ccotel serve did not become ready in time:\n{''.join(log)}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    srv = start_server(tmp_path / "data")
    yield srv
    srv.stop()


def capture_requests(name: str) -> list[dict[str, Any]]:
    """The OTLP requests Claude Code sent in one captured run."""
    text = (CAPTURES / f"{name}.otlp.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def claude_result(name: str) -> dict[str, Any]:
    return json.loads((CAPTURES / f"{name}.claude-result.json").read_text())
