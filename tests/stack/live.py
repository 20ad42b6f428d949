"""What the stack's end-to-end tests share: free ports, waiting, Grafana's variables, and
recorded Claude Code runs replayed as new sessions at chosen times."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import capture_requests

ALL = ".*"
REPO = Path(__file__).resolve().parents[2]
LOKI_GZ = "bin/loki-2.9.4-linux-amd64.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait(check: Any, what: str, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (httpx.HTTPError, OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def substitute(expr: str, *, range_s: int, user: str = ALL, session: str = ALL,
               model: str = ALL) -> str:
    """Grafana's interpolation of the dashboard's macros and variables."""
    return (expr.replace("$__range", f"{range_s}s").replace("$__interval_ms", str(range_s * 1000))
            .replace("$__interval", f"{range_s}s").replace("$user", user)
            .replace("$session", session).replace("$model", model))


def rewrite_ids(node: Any, session: str, user: str) -> None:
    """Make a recorded run another session of another user (attributes in place)."""
    if isinstance(node, dict):
        if node.get("key") == "session.id":
            node["value"] = {"stringValue": session}
        elif node.get("key") == "user.id":
            node["value"] = {"stringValue": user}
        for v in node.values():
            rewrite_ids(v, session, user)
    elif isinstance(node, list):
        for v in node:
            rewrite_ids(v, session, user)


_TIME = re.compile(r'"(timeUnixNano|observedTimeUnixNano|startTimeUnixNano|endTimeUnixNano)"'
                   r': "(\d+)"')


def replayed(capture: str, *, session: str, user: str, start_ns: int
             ) -> list[dict[str, Any]]:
    """A recorded run's OTLP/JSON requests as `session` of `user`, its first timestamp
    moved to `start_ns` (every timestamp by the same whole-millisecond shift)."""
    lines = capture_requests(capture)
    first = min(int(m.group(2)) for line in lines for m in _TIME.finditer(json.dumps(line["body"])))
    shift = (start_ns - first) // 1_000_000 * 1_000_000
    out = []
    for line in lines:
        text = _TIME.sub(lambda m: f'"{m.group(1)}": "{int(m.group(2)) + shift}"',
                         json.dumps(line["body"]))
        body = json.loads(text)
        rewrite_ids(body, session, user)
        out.append({"path": line["path"], "body": body})
    return out


def shared_dir() -> Path:
    """The binaries no registry provides: $CCOTEL_SHARED, else `shared/` beside the repo."""
    return Path(os.environ.get("CCOTEL_SHARED") or REPO.parent / "shared")


def unpack_loki(into: Path) -> Path:
    """Loki 2.9.4 (the stack's version) from shared/bin, unpacked to `into`. A missing
    archive skips the test on a developer's machine and fails it in CI (`CI` set), where it
    must be there (scripts/test.sh says where it comes from)."""
    archive = shared_dir() / LOKI_GZ
    if not archive.is_file():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"Loki binary missing: {archive} (set CCOTEL_SHARED to the folder "
                    "holding bin/loki-2.9.4-linux-amd64.gz)")
    binary = into / "loki"
    with gzip.open(archive) as src, open(binary, "wb") as dst:
        shutil.copyfileobj(src, dst)
    binary.chmod(0o755)
    return binary


def stop(proc: subprocess.Popen[Any]) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_loki(binary: Path, folder: Path, options: Any, **runtime: str
               ) -> tuple[subprocess.Popen[Any], str, Path]:
    """The stack's own loki-config.yaml (rendered for loopback ports and `folder`, checked
    with -verify-config), run by `binary`. Returns (process, base URL, config path)."""
    from ccotel.stack.generate import LokiRuntime, render_loki_config

    port = free_port()
    loki = LokiRuntime(address="127.0.0.1", http_port=port, grpc_port=free_port(),
                       data_dir=str(folder / "data"), **runtime)
    config = folder / "loki-config.yaml"
    config.write_text(render_loki_config(options, loki))
    check = subprocess.run([str(binary), "-verify-config", f"-config.file={config}"],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    log = open(folder / "loki.log", "wb")  # noqa: SIM115 (closed with the process)
    # Readiness waits 15 s after start by default; the ingester's wait is not part of
    # the stack's config, so only the test shortens it.
    proc = subprocess.Popen([str(binary), f"-config.file={config}",
                             "-ingester.min-ready-duration=0s"], stdout=log, stderr=log)
    log.close()
    base = f"http://127.0.0.1:{port}"
    try:
        wait(lambda: httpx.get(f"{base}/ready").status_code == 200, "loki ready")
    except AssertionError:
        stop(proc)
        raise AssertionError((folder / "loki.log").read_text()[-3000:]) from None
    return proc, base, config
