"""`ccotel stack status` against real services: a real Loki and Prometheus on the stack's
ports answer ready, nothing on Grafana's is down, and ports held by a running `ccotel
serve` are reported as its, found through its server.json."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ccotel.cli import main
from ccotel.stack.generate import StackOptions, init
from tests.conftest import start_server
from tests.stack.live import free_port, start_loki, stop, unpack_loki, wait

pytestmark = pytest.mark.e2e


def _status(stack: Path, data_dir: Path) -> tuple[int, dict[str, dict[str, object]]]:
    out = CliRunner().invoke(main, ["stack", "status", str(stack), "--data-dir", str(data_dir),
                                    "--json"])
    assert out.exception is None or isinstance(out.exception, SystemExit), out.output
    return out.exit_code, {c["service"]: c for c in json.loads(out.output)}


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="apt-get install prometheus")
def test_status_checks_each_service_by_its_health_endpoint(tmp_path: Path) -> None:
    loki, loki_url, _ = start_loki(unpack_loki(tmp_path), tmp_path, StackOptions())
    prom_port = free_port()
    (tmp_path / "prometheus.yml").write_text("global:\n  scrape_interval: 15s\n")
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'prom'}", f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait(lambda: httpx.get(f"http://127.0.0.1:{prom_port}/-/healthy").status_code == 200,
             "prometheus healthy")
        stack = tmp_path / "stack"
        init(stack, StackOptions(loki_port=int(loki_url.rsplit(":", 1)[1]),
                                 prometheus_port=prom_port, grafana_port=free_port(),
                                 collector_metrics_port=free_port()), password="x")
        code, checks = _status(stack, tmp_path / "no-ccotel")
    finally:
        stop(prom)
        stop(loki)
    assert code == 1
    assert checks["loki"]["ok"] and checks["loki"]["url"] == f"{loki_url}/ready"
    assert checks["prometheus"]["ok"]
    assert checks["prometheus"]["url"] == f"http://127.0.0.1:{prom_port}/-/healthy"
    assert not checks["grafana"]["ok"] and "ccotel stack up" in str(checks["grafana"]["detail"])
    assert not checks["otel-collector"]["ok"]


def test_status_recognises_ports_of_ccotel_serve(tmp_path: Path) -> None:
    srv = start_server(tmp_path / "data")
    try:
        info = srv.info
        stack = tmp_path / "stack"
        # The stack's defaults collide with ccotel serve's (4317, 4318, 3030, 8888).
        init(stack, StackOptions(otlp_grpc_port=info["grpc_port"],
                                 otlp_http_port=info["http_port"],
                                 grafana_port=info["ui_port"],
                                 collector_metrics_port=info["metrics_port"],
                                 loki_port=free_port(), prometheus_port=free_port()),
             password="x")
        code, checks = _status(stack, tmp_path / "data")
        # Without its server.json (another data dir given):
        _, unknown = _status(stack, tmp_path / "elsewhere")
    finally:
        srv.stop()
    assert code == 1
    for service in ("otel-collector", "grafana"):
        detail = str(checks[service]["detail"])
        assert not checks[service]["ok"] and "belongs to `ccotel serve`" in detail, detail
        assert f"pid {info['pid']}" in detail
    collector = str(checks["otel-collector"]["detail"])
    for port in ("grpc_port", "http_port", "metrics_port"):
        assert str(info[port]) in collector
    assert "not answering" in str(checks["loki"]["detail"])
    # A ccotel serve of another data dir is still recognised, by its own answers.
    for service in ("otel-collector", "grafana"):
        assert "answers as a `ccotel serve`" in str(unknown[service]["detail"]), unknown[service]
