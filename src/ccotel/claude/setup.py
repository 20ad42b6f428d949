"""The lines that point Claude Code at a ccotel server (or at the compose stack)."""

from __future__ import annotations

import json
import shlex

PROTOCOLS = ("grpc", "http/protobuf", "http/json")


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
