"""`ccotel stack up|down|reset|logs` without Docker: one clear message, nothing half-done."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ccotel.cli import main
from ccotel.stack import compose
from ccotel.stack.generate import StackError, init


class Recorder:
    def __init__(self, fail_ps: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail_ps = fail_ps

    def __call__(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        if "ps" in args and self.fail_ps:
            return subprocess.CompletedProcess(args, 1, "", "Cannot connect to the Docker daemon")
        return subprocess.CompletedProcess(args, 0, "", "")


def _snapshot(d: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in d.rglob("*") if p.is_file()}


def test_without_any_compose_nothing_runs(tmp_path: Path) -> None:
    init(tmp_path, password="x")
    before = _snapshot(tmp_path)
    run = Recorder()
    with pytest.raises(StackError, match="Docker Compose is not installed"):
        compose.Compose.open(tmp_path, run=run, which=lambda name: None)
    assert run.calls == [] and _snapshot(tmp_path) == before


def test_without_an_engine_nothing_is_started(tmp_path: Path) -> None:
    init(tmp_path, password="x")
    run = Recorder(fail_ps=True)
    with pytest.raises(StackError, match=r"Docker engine is not reachable.*Nothing was started"):
        compose.Compose.open(tmp_path, run=run,
                             which=lambda n: "/usr/bin/docker-compose" if n == "docker-compose"
                             else None)
    assert [c[-2:] for c in run.calls] == [["ps", "-q"]]  # only the harmless probe


def test_up_needs_an_initialised_directory(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="ccotel stack init"):
        compose.Compose.open(tmp_path / "nothing-here", run=Recorder())


def test_compose_v2_is_preferred_and_commands_match_the_seed(tmp_path: Path) -> None:
    init(tmp_path, password="x")
    run = Recorder()
    c = compose.Compose.open(tmp_path, run=run, which=lambda n: f"/bin/{n}")
    assert c.command == ["/bin/docker", "compose"]
    c.up()
    c.down()
    c.reset()
    c.logs("loki", follow=False)
    verbs = [call[call.index(str(tmp_path / "docker-compose.yml")) + 1:] for call in run.calls[2:]]
    assert verbs == [["up", "-d"], ["down"], ["down", "-v"], ["up", "-d"],
                     ["logs", "--tail", "200", "loki"]]


def test_cli_up_without_docker_gives_a_clear_message(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    init(tmp_path, password="x")
    before = _snapshot(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    out = CliRunner().invoke(main, ["stack", "up", str(tmp_path)])
    assert out.exit_code == 1
    assert "Docker Compose is not installed" in out.output and "Nothing was started" in out.output
    assert _snapshot(tmp_path) == before


def test_status_reports_each_service_down_without_docker(tmp_path: Path) -> None:
    init(tmp_path, password="x")
    checks = compose.status(tmp_path, timeout=0.5)
    assert [c.service for c in checks] == list(compose.SERVICES)
    assert [c.url for c in checks] == [
        "http://127.0.0.1:8888/metrics", "http://127.0.0.1:3100/ready",
        "http://127.0.0.1:9090/-/healthy", "http://127.0.0.1:3030/api/health"]
