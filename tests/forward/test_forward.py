"""`ccotel serve --forward`: two real servers chained. What the upstream accepted reaches
the downstream exactly once, across SIGKILLs of the upstream and while the downstream
refuses; the real OpenTelemetry SDK exporters never notice the downstream."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccotel.store import schema
from tests.conftest import Server, start_server
from tests.reliability.conftest import free_ports, port_args
from tests.reliability.test_crash import Producer
from tests.sdk_workload import send_workload


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {**a, "to": None} == {**b, "to": None}


def _wait_equal(upstream: Server, downstream: Server, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        up, down = upstream.summary(), downstream.summary()
        if _same(up, down):
            return
        if time.monotonic() > deadline:
            assert up == down
        time.sleep(0.3)


def _forward_url(downstream_ports: list[int], protocol: str) -> str:
    grpc_port, http_port = downstream_ports[:2]
    return (f"grpc://127.0.0.1:{grpc_port}" if protocol == "grpc"
            else f"http://127.0.0.1:{http_port}")


def _metric(server: Server, name: str) -> float:
    text = httpx.get(server.metrics, timeout=10).text
    return sum(float(v) for v in re.findall(rf"^{name}{{[^}}]*}} (\S+)$", text, re.MULTILINE))


def _no_duplicates(data_dir: Path) -> None:
    con = schema.connect(data_dir, read_only=True)
    try:
        events, distinct = con.execute(
            "SELECT count(*), count(DISTINCT (session_id, event_sequence)) FROM events"
        ).fetchone()  # type: ignore[misc]
        points, distinct_points = con.execute(
            "SELECT count(*), count(DISTINCT (series_key, start_unix_nano, time_unix_nano)) "
            "FROM points").fetchone()  # type: ignore[misc]
    finally:
        con.close()
    assert events == distinct > 0
    assert points == distinct_points > 0


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_sigkilled_upstream_forwards_everything_once(tmp_path: Path, protocol: str) -> None:
    down_ports, up_ports = free_ports(4), free_ports(4)
    downstream = start_server(tmp_path / "down", *port_args(down_ports))
    args = [*port_args(up_ports), "--forward", _forward_url(down_ports, protocol)]
    upstream = start_server(tmp_path / "up", *args)
    producer = Producer("grpc", f"http://127.0.0.1:{up_ports[0]}", f"fwd-{protocol}")
    producer.thread.start()
    try:
        for pause in (1.5, 2.0, 1.0):
            time.sleep(pause)  # mid-stream: exports arriving, the outbox being sent
            upstream.stop(signal.SIGKILL)
            time.sleep(0.3)
            upstream = start_server(tmp_path / "up", *args)
        producer.finish()
        assert producer.ledger.failed_exports == 0
        # A loaded machine may leave the sender in its backoff (up to 60 s) for a while.
        _wait_equal(upstream, downstream, timeout=180)
        summary = downstream.summary()
        assert summary["requests"] == producer.emitted
        assert _metric(upstream, "ccotel_forward_sent_total") > 0
    finally:
        upstream.stop()
        downstream.stop()
    _no_duplicates(tmp_path / "down")


def test_sdk_exporters_do_not_notice_a_refusing_downstream(tmp_path: Path) -> None:
    down_ports = free_ports(4)
    upstream = start_server(tmp_path / "up", "--forward", _forward_url(down_ports, "http"),
                            "--forward", _forward_url(down_ports, "grpc"))
    downstream = None
    try:
        # Nothing listens downstream: the upstream still acknowledges at once, so the
        # SDK's exports succeed without a retry and the totals are exact upstream.
        for protocol, endpoint in (("grpc", f"http://{upstream.grpc}"),
                                   ("http/protobuf", upstream.http)):
            exp = send_workload(protocol, endpoint, sessions=2, turns=3,
                                user=f"sdk-{protocol}")
            assert exp.requests == 6
        summary = upstream.summary()
        assert summary["requests"] == 12 and summary["users"] == 2
        time.sleep(1.5)
        assert _metric(upstream, "ccotel_forward_retries_total") > 0
        # The downstream comes up: every request arrives, once, through both targets.
        downstream = start_server(tmp_path / "down", *port_args(down_ports))
        _wait_equal(upstream, downstream, timeout=90)
    finally:
        upstream.stop()
        if downstream is not None:
            downstream.stop()
    _no_duplicates(tmp_path / "down")


@pytest.mark.parametrize("args, message", [
    (["--forward", "ftp://example.com"], "use http(s)://host:port"),
    (["--forward", "http://u:p@example.com"], "--forward-header"),
    (["--forward", "http://127.0.0.1:1", "--forward-header", "novalue"], "name=value"),
    (["--forward", "http://127.0.0.1:1", "--redact", "prompts"], "--redact"),
])
def test_bad_forward_settings_are_refused_in_one_line(tmp_path: Path, args: list[str],
                                                      message: str) -> None:
    done = subprocess.run([sys.executable, "-m", "ccotel", "serve", "--data-dir",
                           str(tmp_path), *port_args([0, 0, 0, 0]), *args],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("scheme", ["https", "grpcs"])
def test_a_laptop_forwards_to_a_central_server_with_a_token_over_tls(
        tmp_path: Path, tls_cert: Any, scheme: str) -> None:
    central = start_server(tmp_path / "central", "--host", "127.0.0.1", "--token", "s3cret",
                           "--tls-cert", str(tls_cert.cert), "--tls-key", str(tls_cert.key))
    port = central.info["http_port"] if scheme == "https" else central.info["grpc_port"]
    laptop = start_server(tmp_path / "laptop", "--forward", f"{scheme}://localhost:{port}",
                          "--forward-header", "Authorization=Bearer s3cret",
                          "--forward-ca", str(tls_cert.cert))
    try:
        send_workload("http/protobuf", laptop.http, sessions=2, turns=2)
        deadline = time.monotonic() + 60
        while central_requests(central) < 4 and time.monotonic() < deadline:
            time.sleep(0.3)
        assert central_requests(central) == laptop.summary()["requests"] == 4
    finally:
        laptop.stop()
        central.stop()


def central_requests(central: Server) -> int:
    resp = httpx.get(f"https://127.0.0.1:{central.info['ui_port']}/api/v1/summary",
                     params={"from": "0"}, headers={"Authorization": "Bearer s3cret"},
                     verify=False, timeout=30)
    resp.raise_for_status()
    return int(resp.json()["requests"])
