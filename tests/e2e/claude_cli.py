"""Run the real Claude Code CLI headless against a stub API, with telemetry switched on.

The CLI comes from ``.tools/`` (``scripts/install-test-tools.sh``), pinned, so every
machine drives the same release. Each run gets its own HOME, so settings, ``~/.claude.json``
and transcripts never leak between tests or from the developer's own account.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
TOOLS_BIN = REPO_ROOT / ".tools" / "node_modules" / ".bin"
INSTALL_HINT = "run 'bash scripts/install-test-tools.sh' (needs npm) to install the pinned CLIs"

OTLP_PROTOCOLS = ("grpc", "http/protobuf", "http/json")
DEFAULT_ALLOWED_TOOLS = ("Bash", "Write")
# Variables the CLI may inherit; everything else (the developer's ANTHROPIC_*, OTEL_*,
# CLAUDE_* and proxies) is dropped so a run only sees what the test gives it.
_INHERITED = ("PATH", "LANG", "LC_ALL", "TZ")


class ToolNotInstalled(RuntimeError):
    """A pinned CLI is missing: the message says how to install it."""


class ClaudeRunError(RuntimeError):
    """The CLI did not print a JSON result (crash, bad flags) or timed out."""


class ClaudeResult(dict[str, Any]):
    """The JSON the CLI printed, plus how the process ended."""

    def __init__(
        self,
        result: Mapping[str, Any],
        *,
        returncode: int,
        stdout: str,
        stderr: str,
        duration_s: float,
        home: Path,
        cwd: Path,
    ) -> None:
        super().__init__(result)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.duration_s = duration_s
        self.home = home
        self.cwd = cwd

    def transcripts(self) -> list[Path]:
        """Transcript files the run wrote (``HOME/.claude/projects/<cwd-slug>/<session>.jsonl``)."""
        return sorted((self.home / ".claude" / "projects").glob("*/*.jsonl"))


def _tool(name: str) -> Path:
    local = TOOLS_BIN / name
    if local.exists():
        return local
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ToolNotInstalled(f"'{name}' is not in {TOOLS_BIN} nor on PATH: {INSTALL_HINT}")


def claude_binary() -> Path:
    """The Claude Code CLI: the pinned one in ``.tools/``, else ``claude`` on PATH."""
    return _tool("claude")


def ccusage_binary() -> Path:
    """The ccusage CLI: the pinned one in ``.tools/``, else ``ccusage`` on PATH."""
    return _tool("ccusage")


def otel_env(
    protocol: str,
    endpoint: str | int,
    headers: Mapping[str, str] | None = None,
    *,
    traces: bool = False,
    log_details: bool = False,
) -> dict[str, str]:
    """Environment that makes the CLI export OTLP to ``endpoint``.

    ``endpoint`` is the base URL of the receiver port matching ``protocol`` (the gRPC port
    for ``grpc``, the HTTP port otherwise) or just that port on 127.0.0.1. Intervals are
    short so data arrives while a test waits, not a minute later. ``traces`` turns on the
    beta spans; ``log_details`` puts prompts and tool parameters in events.
    """
    if protocol not in OTLP_PROTOCOLS:
        raise ValueError(f"protocol must be one of {OTLP_PROTOCOLS}, not {protocol!r}")
    url = f"http://127.0.0.1:{endpoint}" if isinstance(endpoint, int) else endpoint.rstrip("/")
    env = {
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": protocol,
        "OTEL_EXPORTER_OTLP_ENDPOINT": url,
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "OTEL_LOGS_EXPORT_INTERVAL": "500",
    }
    if headers:
        env["OTEL_EXPORTER_OTLP_HEADERS"] = ",".join(f"{k}={v}" for k, v in headers.items())
    if traces:
        env["OTEL_TRACES_EXPORTER"] = "otlp"
        env["CLAUDE_CODE_ENHANCED_TELEMETRY_BETA"] = "1"
    if log_details:
        env["OTEL_LOG_USER_PROMPTS"] = "1"
        env["OTEL_LOG_TOOL_DETAILS"] = "1"
    return env


def claude_env(
    *,
    stub_url: str,
    home: Path,
    otel_env: Mapping[str, str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The whole environment of one CLI run (minimal; nothing else leaks in)."""
    env = {k: os.environ[k] for k in _INHERITED if k in os.environ}
    env.setdefault("PATH", os.defpath)
    env.update({
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": stub_url,
        "ANTHROPIC_API_KEY": "test",
        # No update checks, error reporting or feedback calls to the real internet.
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        # One retry: an api_error run ends in about a second instead of minutes.
        "CLAUDE_CODE_MAX_RETRIES": "1",
    })
    env.update(otel_env or {})
    env.update(extra_env or {})
    return env


def run_claude(
    prompt: str,
    *,
    stub_url: str,
    home: Path,
    cwd: Path,
    otel_env: Mapping[str, str] | None = None,
    allowed_tools: Iterable[str] = DEFAULT_ALLOWED_TOOLS,
    timeout: float = 60.0,
    model: str | None = None,
    extra_args: Iterable[str] = (),
    extra_env: Mapping[str, str] | None = None,
) -> ClaudeResult:
    """Run ``claude -p PROMPT --output-format json`` once and return its parsed result.

    A failed conversation (``is_error``, exit code 1) still returns; only a run that prints
    no JSON result raises ``ClaudeRunError``.
    """
    home.mkdir(parents=True, exist_ok=True)
    args = [str(claude_binary()), "-p", prompt, "--output-format", "json"]
    tools = ",".join(allowed_tools)
    if tools:
        args += ["--allowedTools", tools]
    if model:
        args += ["--model", model]
    args += list(extra_args)
    env = claude_env(stub_url=stub_url, home=home, otel_env=otel_env, extra_env=extra_env)
    started = time.monotonic()
    try:
        # stdin closed: given an open pipe, -p waits ~3 s for more prompt on it (measured).
        proc = subprocess.run(
            args,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise ClaudeRunError(
            f"claude did not finish within {timeout}s; stderr: {exc.stderr!r}"
        ) from exc
    duration = time.monotonic() - started
    result = _last_json_object(proc.stdout)
    if result is None:
        raise ClaudeRunError(
            f"claude exited {proc.returncode} without a JSON result\n"
            f"stdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}"
        )
    return ClaudeResult(
        result,
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        duration_s=duration,
        home=home,
        cwd=cwd,
    )


def _last_json_object(stdout: str) -> dict[str, Any] | None:
    # The result is one JSON line; anything printed before it (warnings) is skipped.
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
