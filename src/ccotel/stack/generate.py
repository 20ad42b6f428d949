"""`ccotel stack init`: render the compose stack into a directory, safely.

Every file ccotel writes is recorded with its hash in `.ccotel-stack.json`. On a re-run a
file is replaced only if it still holds what ccotel wrote last time (the user did not
touch it), or with --force; otherwise it is left alone and the difference is shown.
The Grafana admin password lives in `.env` (mode 0600), created once and never rewritten.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jinja2

from ccotel import __version__
from ccotel.alerts.prometheus import alertmanager_file, rules_file
from ccotel.alerts.rules import AlertRules
from ccotel.claude.catalogue import EVENT_COUNTER_DEFAULT, EVENT_COUNTERS
from ccotel.errors import CcotelError
from ccotel.panels import GRAFANA_PANELS
from ccotel.query import BadQuery, parse_duration
from ccotel.stack.dashboard import REFRESH, build_dashboard, description
from ccotel.stack.queries import (
    LOKI_UID,
    PROMETHEUS_UID,
    query_for,
)

DEFAULT_DIR = Path("~/.config/claude-otel-monitoring")
MANIFEST = ".ccotel-stack.json"
ENV_FILE = ".env"
PROJECT_NAME = "claude-otel-monitoring"
ANONYMOUS_ROLES = ("Viewer", "Editor", "Admin", "off")

# Template -> path in the stack directory.
FILES: dict[str, str] = {
    "docker-compose.yml.j2": "docker-compose.yml",
    "otel-collector-config.yaml.j2": "otel-collector-config.yaml",
    "prometheus.yml.j2": "prometheus.yml",
    "loki-config.yaml.j2": "loki-config.yaml",
    "grafana/datasources.yaml.j2": "grafana/provisioning/datasources/datasources.yaml",
    "grafana/dashboards.yaml.j2": "grafana/provisioning/dashboards/dashboards.yaml",
    "README.md.j2": "README.md",
}
DASHBOARD_PATH = "grafana/provisioning/dashboards/claude-code.json"
ALERT_RULES_PATH = "alerts.rules.yml"
ALERTMANAGER_PATH = "alertmanager.yml"


class StackError(CcotelError):
    """Something the user has to fix; the message says what to do."""


@dataclass(frozen=True)
class StackAlerts:
    """`--alerts FILE`: the parsed rules and the name of their file (for the comments)."""

    rules: AlertRules
    source: str


@dataclass(frozen=True)
class StackOptions:
    """What `ccotel stack init` lets the user choose (defaults: the original setup's, made safe)."""

    bind: str = "127.0.0.1"
    grafana_port: int = 3030
    loki_port: int = 3100
    otlp_grpc_port: int = 4317
    otlp_http_port: int = 4318
    collector_metrics_port: int = 8888
    prometheus_port: int = 9090
    alertmanager_port: int = 9093
    metrics_retention: str = "15d"
    logs_retention: str = "30d"
    anonymous_role: str = "Viewer"
    scrape_interval: str = "15s"
    collector_image: str = "otel/opentelemetry-collector-contrib:0.96.0"
    loki_image: str = "grafana/loki:2.9.4"
    prometheus_image: str = "prom/prometheus:v2.49.1"
    grafana_image: str = "grafana/grafana:10.3.3"
    alertmanager_image: str = "prom/alertmanager:v0.27.0"

    def __post_init__(self) -> None:
        if self.anonymous_role not in ANONYMOUS_ROLES:
            raise StackError(f"Grafana anonymous role must be one of {', '.join(ANONYMOUS_ROLES)}"
                             f", not {self.anonymous_role!r}")
        for name in ("metrics_retention", "logs_retention", "scrape_interval"):
            try:
                parse_duration(getattr(self, name))
            except BadQuery as exc:
                raise StackError(f"--{name.replace('_', '-')}: {exc}") from None
        for name, port in self.ports().items():
            if not 0 < port < 65536:
                raise StackError(f"port for {name} must be 1-65535, not {port}")

    def ports(self) -> dict[str, int]:
        return {"grafana": self.grafana_port, "loki": self.loki_port,
                "otlp-grpc": self.otlp_grpc_port, "otlp-http": self.otlp_http_port,
                "collector-metrics": self.collector_metrics_port,
                "prometheus": self.prometheus_port, "alertmanager": self.alertmanager_port}

    @property
    def metrics_retention_hours(self) -> int:
        return _hours(self.metrics_retention)

    @property
    def logs_retention_hours(self) -> int:
        return _hours(self.logs_retention)


@dataclass(frozen=True)
class LokiRuntime:
    """Where Loki listens and keeps its data, and how soon its compactor acts. The stack
    uses the defaults (inside the container); the tests run the same config as a plain
    process on free loopback ports and a temporary folder, with a fast compactor."""

    address: str = ""                  # "" = every interface of the container
    http_port: int = 3100
    grpc_port: int = 9096
    data_dir: str = "/loki"
    compaction_interval: str = "10m"   # Loki's default
    retention_delete_delay: str = "2h"


def _hours(text: str) -> int:
    # Go durations (collector, Loki) have no "d": write hours, rounded up.
    seconds = parse_duration(text).total_seconds()
    return max(1, int(-(-seconds // 3600)))


@dataclass
class FileChange:
    path: str
    status: Literal["created", "updated", "unchanged", "kept", "overwritten"]
    diff: str = ""


@dataclass
class InitResult:
    directory: Path
    changes: list[FileChange] = field(default_factory=list)
    env_created: bool = False

    @property
    def kept(self) -> list[FileChange]:
        return [c for c in self.changes if c.status == "kept"]


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ccotel.stack", "templates"),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)


def _context(options: StackOptions, loki: LokiRuntime, alerts: bool = False
             ) -> dict[str, object]:
    return {"o": options, "loki": loki, "version": __version__, "alerts": alerts,
            "prometheus_uid": PROMETHEUS_UID, "loki_uid": LOKI_UID,
            "event_counters": EVENT_COUNTERS, "event_counter_default": EVENT_COUNTER_DEFAULT,
            "panels": GRAFANA_PANELS, "sources": {p.id: _source(p.id) for p in GRAFANA_PANELS},
            "descriptions": {p.id: description(p) for p in GRAFANA_PANELS}, "refresh": REFRESH}


def render(options: StackOptions, alerts: StackAlerts | None = None) -> dict[str, str]:
    """Every generated file: relative path -> text. Pure (no I/O besides templates).
    With `alerts`, Prometheus evaluates its rules and Alertmanager joins the stack."""
    env = _environment()
    context = _context(options, LokiRuntime(), alerts is not None)
    out = {path: env.get_template(tpl).render(context) for tpl, path in FILES.items()}
    out[DASHBOARD_PATH] = json.dumps(build_dashboard(), indent=2, ensure_ascii=False) + "\n"
    if alerts is not None:
        out[ALERT_RULES_PATH] = rules_file(alerts.rules, alerts.source)
        out[ALERTMANAGER_PATH] = alertmanager_file(alerts.rules, alerts.source)
    return dict(sorted(out.items()))


def render_loki_config(options: StackOptions, loki: LokiRuntime) -> str:
    """`loki-config.yaml` as the stack writes it, but listening and storing as `loki` says."""
    return _environment().get_template("loki-config.yaml.j2").render(_context(options, loki))


def _source(panel_id: str) -> str:
    return "PromQL" if query_for(panel_id).datasource == "prometheus" else "LogQL (Loki)"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _diff(path: str, old: str, new: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(keepends=True),
                                        new.splitlines(keepends=True),
                                        fromfile=f"{path} (yours)", tofile=f"{path} (ccotel)"))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".ccotel-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_env(directory: Path, password: str | None = None) -> bool:
    """Create `.env` (mode 0600) with a generated Grafana admin password; keep an existing
    one (the password only takes effect on Grafana's first start anyway)."""
    path = directory / ENV_FILE
    if path.exists():
        os.chmod(path, 0o600)
        return False
    password = password or secrets.token_urlsafe(18)
    text = ("# Generated by `ccotel stack init`. Keep it private (mode 0600).\n"
            f"COMPOSE_PROJECT_NAME={PROJECT_NAME}\n"
            f"GRAFANA_ADMIN_PASSWORD={password}\n")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(path, 0o600)  # whatever the umask
    return True


def init(directory: Path, options: StackOptions | None = None, *, force: bool = False,
         dry_run: bool = False, password: str | None = None,
         alerts: StackAlerts | None = None) -> InitResult:
    """Write the stack into `directory`; see the module docstring for the rules."""
    directory = directory.expanduser()
    if directory.exists() and not directory.is_dir():
        raise StackError(f"{directory} is a file: choose another directory for the stack")
    files = render(options or StackOptions(), alerts)
    manifest_path = directory / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        manifest = {}
    result = InitResult(directory)
    written: dict[str, str] = {}
    for rel, text in files.items():
        path = directory / rel
        new_hash = _digest(text)
        if not path.exists():
            result.changes.append(FileChange(rel, "created"))
        else:
            current = path.read_text(encoding="utf-8", errors="replace")
            if current == text:
                result.changes.append(FileChange(rel, "unchanged"))
                written[rel] = new_hash
                continue
            diff = _diff(rel, current, text)
            untouched = manifest.get(rel) == _digest(current)
            if untouched:
                result.changes.append(FileChange(rel, "updated", diff))
            elif force:
                result.changes.append(FileChange(rel, "overwritten", diff))
            else:
                result.changes.append(FileChange(rel, "kept", diff))
                if rel in manifest:
                    written[rel] = manifest[rel]  # still ours to update once it matches again
                continue
        written[rel] = new_hash
        if not dry_run:
            _write(path, text)
    if not dry_run:
        directory.mkdir(parents=True, exist_ok=True)
        result.env_created = write_env(directory, password)
        _write(manifest_path, json.dumps({"ccotel": __version__, "files": written},
                                         indent=2, sort_keys=True) + "\n")
    return result
