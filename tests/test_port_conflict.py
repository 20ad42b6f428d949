"""A port in use names what holds it: another `ccotel serve` (read from its server.json,
with its pid and data dir), else the compose stack's service on that default port."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from ccotel.server import port_holder
from tests.conftest import start_server


def _serve(data_dir: Path, **ports: int) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "ccotel", "serve", "--data-dir", str(data_dir)]
    for name in ("grpc", "http", "ui", "metrics"):
        args += [f"--{name}-port", str(ports.get(name, 0))]
    return subprocess.run(args, check=False, capture_output=True, text=True, timeout=60)


def test_a_second_serve_names_the_first_with_its_pid_and_data_dir(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "d")
    try:
        proc = _serve(tmp_path / "d", http=srv.info["http_port"])
    finally:
        srv.stop()
    err = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(err) == 1, proc.stderr
    assert f"port {srv.info['http_port']} (http)" in err[0]
    assert "another ccotel serve" in err[0]
    assert f"pid {srv.info['pid']}" in err[0] and str(tmp_path / "d") in err[0]
    assert "compose stack" not in err[0]


def test_every_port_of_a_running_serve_is_recognised(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "d")
    try:
        for key in ("grpc_port", "http_port", "ui_port", "metrics_port"):
            said = port_holder(srv.info[key], [tmp_path / "elsewhere", tmp_path / "d"])
            assert said and f"pid {srv.info['pid']}" in said, key
        free = socket.socket()
        free.bind(("127.0.0.1", 0))
        other = free.getsockname()[1]
        free.close()
        assert port_holder(other, [tmp_path / "d"]) is None
    finally:
        srv.stop()
    # Once it stopped, its server.json no longer speaks for the port.
    assert port_holder(srv.info["http_port"], [tmp_path / "d"]) is None


def test_a_port_held_by_something_else_points_at_the_stack(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        proc = _serve(tmp_path / "d", ui=port)
    finally:
        busy.close()
    err = proc.stderr.strip().splitlines()
    assert proc.returncode != 0 and len(err) == 1, proc.stderr
    assert f"port {port} (ui)" in err[0] and "Grafana" in err[0] and "--ui-port" in err[0]
    assert "another ccotel serve" not in err[0]
