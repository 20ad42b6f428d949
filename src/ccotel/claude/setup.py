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


# -- `ccotel setup claude`: the settings file ------------------------------------------------

# Hook events ccotel listens to, each running `<ccotel> hook`: it sends the session's
# machine, folder, repo and branch to the server (also for `claude -p`, where no statusline
# runs) and prints nothing. Later features add their events here.
HOOK_EVENTS = ("SessionStart",)
HOOK_TIMEOUT_S = 5
BACKUP_SUFFIX = ".ccotel-backup"


class SetupError(RuntimeError):
    """The settings file cannot be read or written (a one-line reason)."""


def ccotel_command() -> str:
    """The `ccotel` that is running, by absolute path, so the commands written into the
    settings work from any shell and from a virtualenv that is not on PATH."""
    import os
    import sys

    argv0 = Path(sys.argv[0])
    if argv0.name == "ccotel" and argv0.exists():
        return shlex.quote(str(argv0.resolve() if not argv0.is_absolute() else argv0))
    exe = sys.executable or "python3"
    return f"{shlex.quote(os.path.abspath(exe))} -m ccotel"


def settings_path(scope: str, project_dir: str | None = None) -> Path:
    """`~/.claude/settings.json` (or `$CLAUDE_CONFIG_DIR/settings.json`) for `user`, the
    project's shared `.claude/settings.json` for `project`."""
    import os

    if scope == "project":
        return Path(project_dir or os.getcwd()) / ".claude" / "settings.json"
    base = os.environ.get("CLAUDE_CONFIG_DIR") or str(Path.home() / ".claude")
    return Path(base) / "settings.json"


def _is_ours(entry: Any, hook_cmd: str) -> bool:
    hooks = entry.get("hooks") if isinstance(entry, dict) else None
    return isinstance(hooks, list) and any(
        isinstance(h, dict) and h.get("command") == hook_cmd for h in hooks)


def _dict(d: dict[str, Any], key: str) -> dict[str, Any] | None:
    v = d.get(key)
    return v if isinstance(v, dict) else None


def merged(current: dict[str, Any], env: dict[str, str], statusline_cmd: str,
           hook_cmd: str, hook_events: tuple[str, ...] = HOOK_EVENTS) -> dict[str, Any]:
    """`current` with ccotel's env keys, statusLine and hooks set; every other key kept."""
    import copy

    out = copy.deepcopy(current)
    out["env"] = {**(_dict(out, "env") or {}), **env}
    out["statusLine"] = {"type": "command", "command": statusline_cmd, "padding": 0}
    hooks = _dict(out, "hooks") or {}
    for event in hook_events:
        entries = hooks.get(event)
        entries = entries if isinstance(entries, list) else []
        if not any(_is_ours(e, hook_cmd) for e in entries):
            entries = [*entries, {"hooks": [{"type": "command", "command": hook_cmd,
                                             "timeout": HOOK_TIMEOUT_S}]}]
        hooks[event] = entries
    out["hooks"] = hooks
    return out


def undone(current: dict[str, Any], original: dict[str, Any], env_keys: list[str],
           hook_cmd: str) -> dict[str, Any]:
    """`current` with what ccotel set put back as it was in `original` (the file before
    the first setup); everything changed since by hand is kept."""
    import copy

    out = copy.deepcopy(current)
    env = _dict(out, "env")
    before = _dict(original, "env") or {}
    if env is not None:
        for key in env_keys:
            if key in before:
                env[key] = before[key]
            else:
                env.pop(key, None)
        if not env and "env" not in original:
            del out["env"]
    if "statusLine" in original:
        out["statusLine"] = original["statusLine"]
    else:
        out.pop("statusLine", None)
    hooks = out.get("hooks")
    if isinstance(hooks, dict):
        for event in list(hooks):
            if isinstance(hooks[event], list):
                hooks[event] = [e for e in hooks[event] if not _is_ours(e, hook_cmd)]
                if not hooks[event]:
                    del hooks[event]
        if not hooks and "hooks" not in original:
            del out["hooks"]
    return out


def read_settings(path: Path) -> dict[str, Any]:
    """The settings object in `path` ({} when the file does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise SetupError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise SetupError(f"{path} is not valid JSON ({exc}): fix it first, nothing was "
                         "changed") from None
    if not isinstance(data, dict):
        raise SetupError(f"{path} does not hold a JSON object: nothing was changed")
    return data


def dump(settings: dict[str, Any]) -> str:
    return json.dumps(settings, indent=2, ensure_ascii=False) + "\n"


def difference(path: Path, before: dict[str, Any], after: dict[str, Any]) -> str:
    """A unified diff of the file's JSON before and after ('' when equal)."""
    import difflib

    return "".join(difflib.unified_diff(
        dump(before).splitlines(keepends=True) if before else [],
        dump(after).splitlines(keepends=True), f"{path} (before)", f"{path} (after)"))


def write_settings(path: Path, settings: dict[str, Any]) -> None:
    """Replace `path` atomically, keeping its permissions; the first time, keep the
    original beside it as `settings.json.ccotel-backup` (what --undo returns to)."""
    import os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        backup = path.with_name(path.name + BACKUP_SUFFIX)
        if not backup.exists():
            backup.write_text(path.read_text(encoding="utf-8") if path.exists() else "{}\n",
                              encoding="utf-8")
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(dump(settings), encoding="utf-8")
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError as exc:
        raise SetupError(f"cannot write {path}: {exc.strerror or exc}") from None
