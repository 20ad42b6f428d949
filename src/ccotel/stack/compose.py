"""Run the generated stack through Docker Compose (`up`, `down`, `reset`, `logs`) and
check its services over HTTP (`status`).

Everything that can fail is checked before anything runs: a compose implementation, a
reachable Docker engine, an initialised directory. Without them the user gets one clear
message and nothing is started, stopped or deleted.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from ccotel.stack.generate import ENV_FILE, StackError

Runner = Callable[..., subprocess.CompletedProcess[str]]

COMPOSE_FILE = "docker-compose.yml"
SERVICES = ("otel-collector", "loki", "prometheus", "grafana")


def _run(args: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


def find_compose(run: Runner = _run, which: Callable[[str], str | None] = shutil.which
                 ) -> list[str]:
    """`docker compose` (v2) if the plugin answers, else `docker-compose` (v1)."""
    docker = which("docker")
    if docker:
        probe = run([docker, "compose", "version"], capture_output=True)
        if probe.returncode == 0:
            return [docker, "compose"]
    legacy = which("docker-compose")
    if legacy:
        return [legacy]
    raise StackError(
        "Docker Compose is not installed (neither 'docker compose' nor 'docker-compose' "
        "was found): install Docker Desktop, or Docker Engine with the compose plugin, then "
        "run this again. Nothing was started. To watch Claude Code without Docker, run "
        "'ccotel serve'.")


@dataclass
class Compose:
    """A compose command bound to one initialised stack directory."""

    directory: Path
    command: list[str]
    run: Runner = _run

    @classmethod
    def open(cls, directory: Path, run: Runner = _run,
             which: Callable[[str], str | None] = shutil.which) -> Compose:
        directory = directory.expanduser()
        if not (directory / COMPOSE_FILE).is_file():
            raise StackError(f"no stack in {directory}: run 'ccotel stack init {directory}' "
                             "first")
        if not (directory / ENV_FILE).is_file():
            raise StackError(f"{directory / ENV_FILE} is missing (it holds the Grafana admin "
                             f"password): run 'ccotel stack init {directory}' to create it")
        compose = cls(directory, find_compose(run, which), run)
        compose.check_engine()
        return compose

    def _args(self, *args: str) -> list[str]:
        return [*self.command, "--project-directory", str(self.directory),
                "-f", str(self.directory / COMPOSE_FILE), *args]

    def check_engine(self) -> None:
        """`ps` needs the engine and changes nothing: the cheapest honest probe."""
        probe = self.run(self._args("ps", "-q"), capture_output=True, cwd=self.directory)
        if probe.returncode != 0:
            detail = (probe.stderr or probe.stdout or "").strip().splitlines()
            reason = detail[-1] if detail else f"exit status {probe.returncode}"
            raise StackError(
                f"the Docker engine is not reachable ({reason}): start Docker (Docker "
                "Desktop, or 'sudo systemctl start docker'), then run this again. "
                "Nothing was started or stopped.")

    def _call(self, *args: str) -> int:
        return self.run(self._args(*args), cwd=self.directory).returncode

    def up(self) -> int:
        return self._call("up", "-d")

    def down(self, *, volumes: bool = False) -> int:
        return self._call("down", *(["-v"] if volumes else []))

    def reset(self) -> int:
        code = self.down(volumes=True)
        return code if code else self.up()

    def logs(self, service: str | None, *, follow: bool = True, tail: str = "200") -> int:
        if service is not None and service not in SERVICES:
            raise StackError(f"unknown service {service!r}: one of {', '.join(SERVICES)}")
        args = ["logs", "--tail", tail, *(["-f"] if follow else [])]
        return self._call(*args, *([service] if service else []))


# -- status ---------------------------------------------------------------------------------


@dataclass
class Check:
    service: str
    url: str
    ok: bool
    detail: str


def published_ports(directory: Path) -> dict[str, list[tuple[str, int, int]]]:
    """service -> [(host address, host port, container port)] as published in the compose
    file the user may have edited."""
    data = yaml.safe_load((directory.expanduser() / COMPOSE_FILE).read_text()) or {}
    out: dict[str, list[tuple[str, int, int]]] = {}
    for service in SERVICES:
        for spec in (data.get("services", {}).get(service, {}) or {}).get("ports", []) or []:
            parts = str(spec).split("/")[0].split(":")
            try:
                container, host_port = int(parts[-1]), int(parts[-2])
            except (ValueError, IndexError):
                continue
            host = parts[0] if len(parts) == 3 else "127.0.0.1"
            if host in ("0.0.0.0", ""):
                host = "127.0.0.1"
            out.setdefault(service, []).append((host, host_port, container))
    return out


# The health endpoint of each service (container port, path): the original setup's
# troubleshooting checks Prometheus and Loki this way; the collector's own metrics on 8888.
HEALTH = {"otel-collector": (8888, "/metrics"), "loki": (3100, "/ready"),
          "prometheus": (9090, "/-/healthy"), "grafana": (3000, "/api/health")}
_CCOTEL_PORTS = {"grpc_port": "OTLP/gRPC", "http_port": "OTLP/HTTP", "ui_port": "dashboard",
                 "metrics_port": "metrics"}


def _ccotel_ports(server: dict[str, Any] | None) -> dict[int, str]:
    """Host port -> what a running `ccotel serve` (its server.json) serves there."""
    if not server:
        return {}
    return {int(server[k]): name for k, name in _CCOTEL_PORTS.items() if server.get(k)}


_NOT_THE_STACK = ("answers as a `ccotel serve` (of another data dir), not as the stack's "
                  "{what}: stop it, or give the stack other ports")


def _answer(service: str, resp: httpx.Response, client: httpx.Client) -> tuple[bool, str]:
    """Judge a health answer; a `ccotel serve` that no server.json named is recognised by
    its own answers (its metrics, its /readyz)."""
    if service == "otel-collector" and resp.status_code == 200:
        if "otelcol_" in resp.text:
            return True, "ready"
        if "ccotel_" in resp.text:
            return False, _NOT_THE_STACK.format(what="collector")
        return False, "answers, but not with the collector's metrics (another program?)"
    if resp.status_code == 200:
        return True, "ready"
    if service == "grafana":
        try:
            ready = client.get(resp.url.copy_with(path="/readyz")).json()
        except (httpx.HTTPError, ValueError):
            ready = None
        if isinstance(ready, dict) and ready.get("status") == "ok" and "version" in ready:
            return False, _NOT_THE_STACK.format(what="Grafana")
    return False, f"HTTP {resp.status_code}: {resp.text.strip()[:80]}"


def status(directory: Path, *, server: dict[str, Any] | None = None, timeout: float = 3.0,
           client: httpx.Client | None = None) -> list[Check]:
    """One HTTP check per service. `server` is a running `ccotel serve`'s server.json: a
    port it holds is reported as its, not probed as the stack's."""
    directory = directory.expanduser()
    if not (directory / COMPOSE_FILE).is_file():
        raise StackError(f"no stack in {directory}: run 'ccotel stack init {directory}' first")
    ports = published_ports(directory)
    taken = _ccotel_ports(server)
    own = client is None
    client = client or httpx.Client(timeout=timeout, trust_env=False)
    checks = []
    try:
        for service in SERVICES:
            container_port, path = HEALTH[service]
            health = [p for p in ports.get(service, []) if p[2] == container_port]
            if not health:
                checks.append(Check(service, "", False, "no published port in "
                                                         f"{COMPOSE_FILE}"))
                continue
            host, port, _ = health[0]
            url = f"http://{host}:{port}{path}"
            clash = [f"{p} ({taken[p]})" for _, p, _ in ports[service] if p in taken]
            if clash:
                checks.append(Check(service, url, False,
                                    f"port {', '.join(clash)} belongs to `ccotel serve` (pid "
                                    f"{server['pid'] if server else '?'}), not the stack: stop "
                                    "it, or give the stack other ports ('ccotel stack init "
                                    "--force' with --grafana-port, --otlp-grpc-port, ...)"))
                continue
            try:
                ok, detail = _answer(service, client.get(url), client)
            except httpx.HTTPError as exc:
                ok, detail = False, (f"not answering ({type(exc).__name__}): is the stack "
                                     "up? try 'ccotel stack up'")
            checks.append(Check(service, url, ok, detail))
    finally:
        if own:
            client.close()
    return checks
