"""The lines that point Claude Code at a ccotel server (or at the compose stack)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click

PROTOCOLS = ("grpc", "http/protobuf", "http/json")

# `env` takes serve's settings (same names, same CCOTEL_* variables) but only writes them
# down for Claude Code: its help says that, not what they do to a server.
ENV_OPTIONS: dict[str, dict[str, Any]] = {
    "host": {"help": "The host `ccotel serve` listens on; 127.0.0.1 and ::1 are written "
                     "as localhost. [env: CCOTEL_HOST]"},
    "grpc-port": {"type": click.IntRange(1, 65535),
                  "help": "The server's OTLP/gRPC port (--protocol grpc). "
                          "[env: CCOTEL_GRPC_PORT]"},
    "http-port": {"type": click.IntRange(1, 65535),
                  "help": "The server's OTLP/HTTP port (--protocol http/...). "
                          "[env: CCOTEL_HTTP_PORT]"},
    "token": {"help": "The server's token: Claude Code sends it as an Authorization "
                      "header. [env: CCOTEL_TOKEN]"},
    "tls-cert": {"type": click.Path(dir_okay=False, path_type=Path),
                 "help": "Given when the server uses TLS: the endpoint is https (the file "
                         "is not read). [env: CCOTEL_TLS_CERT]"},
}


def claude_env(*, host: str = "localhost", grpc_port: int = 4317, http_port: int = 4318,
               protocol: str = "grpc", token: str | None = None, tls: bool = False,
               cumulative: bool = False) -> dict[str, str]:
    """The environment Claude Code needs to export its telemetry to this server."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}")
    port = grpc_port if protocol == "grpc" else http_port
    scheme = "https" if tls else "http"
    env = {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"{scheme}://{host}:{port}",
    }
    if token:
        env["OTEL_EXPORTER_OTLP_HEADERS"] = f"Authorization=Bearer {token}"
    if cumulative:
        # Prometheus-based stacks need cumulative counters (see the stack README).
        env["OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE"] = "cumulative"
    return env


def as_shell(env: dict[str, str]) -> str:
    return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in env.items())


def as_settings_json(env: dict[str, str]) -> str:
    """The `env` block for ~/.claude/settings.json."""
    return json.dumps({"env": env}, indent=2)
