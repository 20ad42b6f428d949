"""Every setting of `ccotel serve`, once: name, default, environment variable, help.

The CLI builds its options from `SETTINGS`, the docs test checks each is documented,
and `Settings` carries the parsed values to the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any

from ccotel.query import parse_duration


@dataclass(frozen=True)
class Setting:
    name: str          # option name without dashes, e.g. "grpc-port"
    default: Any
    help: str
    type: type = str

    @property
    def env(self) -> str:
        return "CCOTEL_" + self.name.upper().replace("-", "_")

    @property
    def attr(self) -> str:
        return self.name.replace("-", "_")


def default_data_dir() -> Path:
    import platformdirs  # here: commands given --data-dir / CCOTEL_DATA_DIR start faster

    return Path(platformdirs.user_data_dir("ccotel", appauthor=False))


SETTINGS: tuple[Setting, ...] = (
    Setting("host", "127.0.0.1", "Address every server listens on."),
    Setting("grpc-port", 4317, "OTLP/gRPC port (0 picks a free port).", int),
    Setting("http-port", 4318, "OTLP/HTTP port (0 picks a free port).", int),
    Setting("ui-port", 3030, "Dashboard and JSON API port (0 picks a free port).", int),
    Setting("metrics-port", 8888, "Prometheus /metrics port (0 picks a free port).", int),
    Setting("data-dir", None, "Where the DuckDB store lives [default: the user data dir].", Path),
    Setting("retention", "30d", "Delete data older than this (e.g. 30d, 12h)."),
    Setting("max-body", 16 * 1024 * 1024,
            "Largest OTLP request accepted, in bytes, measured after decompression.", int),
    Setting("max-queue", 256, "Export requests waiting for the writer before clients are "
            "asked to back off (429/503, UNAVAILABLE).", int),
    Setting("memory-limit", "64MB", "DuckDB memory limit (past it DuckDB spills to disk)."),
    Setting("token", None, "Bearer token required by OTLP, the dashboard and the API."),
    Setting("insecure", False, "Allow a non-loopback --host without --token.", bool),
    Setting("tls-cert", None, "PEM certificate: serve every port (gRPC and HTTP) over TLS.", Path),
    Setting("tls-key", None, "PEM private key for --tls-cert.", Path),
    Setting("redact", "", "Drop or hash at ingest: prompts,responses,tool-details,emails."),
    Setting("alerts", None, "Alert rules file [default: <data-dir>/alerts.yaml, if any].", Path),
    Setting("alert-interval", "1m", "How often the alert rules are evaluated (e.g. 1m, 5s)."),
)

# Knobs for tests and debugging: accepted by `ccotel serve` but hidden from --help and
# the docs, because changing them is never the answer to a user's problem.
DEBUG_SETTINGS: tuple[Setting, ...] = (
    Setting("retention-interval", "1h", "How often retention runs (e.g. 1h, 500ms)."),
)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    grpc_port: int = 4317
    http_port: int = 4318
    ui_port: int = 3030
    metrics_port: int = 8888
    data_dir: Path = field(default_factory=default_data_dir)
    retention: str = "30d"
    max_body: int = 16 * 1024 * 1024
    max_queue: int = 256
    memory_limit: str = "64MB"
    token: str | None = None
    insecure: bool = False
    tls_cert: Path | None = None
    tls_key: Path | None = None
    redact: str = ""
    alerts: Path | None = None
    alert_interval: str = "1m"
    retention_interval: str = "1h"

    @property
    def retention_delta(self) -> timedelta:
        return parse_duration(self.retention)

    @property
    def retention_interval_s(self) -> float:
        return parse_duration(self.retention_interval).total_seconds()

    @classmethod
    def from_options(cls, **options: Any) -> Settings:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in options.items() if k in known and v is not None}
        return cls(**values)
