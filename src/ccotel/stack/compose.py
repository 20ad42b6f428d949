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


def published_ports(directory: Path) -> dict[str, tuple[str, int]]:
    """service -> (host address, host port) of its health endpoint, read from the compose
    file the user may have edited."""
    data = yaml.safe_load((directory.expanduser() / COMPOSE_FILE).read_text())
    wanted = {"prometheus": 9090, "loki": 3100, "grafana": 3000, "otel-collector": 8888}
    out: dict[str, tuple[str, int]] = {}
    for service, container_port in wanted.items():
        for spec in (data.get("services", {}).get(service, {}) or {}).get("ports", []) or []:
            parts = str(spec).split("/")[0].split(":")
            if len(parts) >= 2 and int(parts[-1]) == container_port:
                host = parts[0] if len(parts) == 3 else "127.0.0.1"
                if host in ("0.0.0.0", ""):
                    host = "127.0.0.1"
                out[service] = (host, int(parts[-2]))
    return out


_PATHS = {"prometheus": "/-/healthy", "loki": "/ready", "grafana": "/api/health",
          "otel-collector": "/metrics"}


def status(directory: Path, *, timeout: float = 3.0,
           client: httpx.Client | None = None) -> list[Check]:
    """One HTTP check per service, as the original setup's troubleshooting section does by hand."""
    directory = directory.expanduser()
    if not (directory / COMPOSE_FILE).is_file():
        raise StackError(f"no stack in {directory}: run 'ccotel stack init {directory}' first")
    ports = published_ports(directory)
    own = client is None
    client = client or httpx.Client(timeout=timeout, trust_env=False)
    checks = []
    try:
        for service in SERVICES:
            if service not in ports:
                checks.append(Check(service, "", False, "no published port in "
                                                         f"{COMPOSE_FILE}"))
                continue
            host, port = ports[service]
            url = f"http://{host}:{port}{_PATHS[service]}"
            try:
                resp = client.get(url)
                ok = resp.status_code == 200
                detail = "ready" if ok else f"HTTP {resp.status_code}: {resp.text.strip()[:80]}"
            except httpx.HTTPError as exc:
                ok, detail = False, f"not answering ({type(exc).__name__}): is the stack up? " \
                                    "try 'ccotel stack up'"
            checks.append(Check(service, url, ok, detail))
    finally:
        if own:
            client.close()
    return checks

