"""`ccotel setup claude` on settings files that already hold env, statusLine and hooks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.limits.helpers import RECORDED

CCOTEL = Path(sys.executable).parent / "ccotel"  # the console script of this virtualenv

EXISTING: dict[str, Any] = {
    "model": "opus",
    "permissions": {"allow": ["Bash(git status)"]},
    "env": {"FOO": "1", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://old-collector:4317"},
    "statusLine": {"type": "command", "command": "npx ccusage statusline"},
    "hooks": {
        "SessionStart": [{"hooks": [{"type": "command", "command": "echo hi"}]}],
        "Stop": [{"matcher": "", "hooks": [{"type": "command", "command": "notify-send done"}]}],
    },
}


def _setup(config: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CCOTEL), "setup", "claude", *args], capture_output=True,
                          text=True, timeout=60, cwd=cwd, check=False,
                          env={**os.environ, "CLAUDE_CONFIG_DIR": str(config)})


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=4))


def test_merges_keeps_a_backup_and_is_idempotent(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    _write(settings, EXISTING)
    original = settings.read_text()
    out = _setup(tmp_path)
    assert out.returncode == 0, out.stderr
    assert '-    "command": "npx ccusage statusline"' in out.stdout  # the difference is shown
    data = json.loads(settings.read_text())
    # Nothing of the user's is dropped.
    assert data["model"] == "opus" and data["permissions"] == EXISTING["permissions"]
    assert data["env"]["FOO"] == "1"
    assert data["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4317"
    assert data["env"]["CLAUDE_CODE_ENABLE_TELEMETRY"] == "1"
    # Commands name this ccotel by absolute path.
    assert data["statusLine"] == {"type": "command", "command": f"{CCOTEL} statusline",
                                  "padding": 0}
    start = data["hooks"]["SessionStart"]
    assert start[0] == EXISTING["hooks"]["SessionStart"][0]
    assert start[1]["hooks"][0]["command"] == f"{CCOTEL} hook"
    assert data["hooks"]["Stop"] == EXISTING["hooks"]["Stop"]
    assert (tmp_path / "settings.json.ccotel-backup").read_text() == original

    after_first = settings.read_text()
    again = _setup(tmp_path)
    assert again.returncode == 0 and "nothing to change" in again.stdout
    assert settings.read_text() == after_first

    # A change made by hand after setup survives --undo; what ccotel set goes back.
    data["env"]["BAR"] = "2"
    _write(settings, data)
    undo = _setup(tmp_path, "--undo")
    assert undo.returncode == 0, undo.stderr
    restored = json.loads(settings.read_text())
    assert restored == {**EXISTING, "env": {**EXISTING["env"], "BAR": "2"}}
    assert "nothing to change" in _setup(tmp_path, "--undo").stdout


def test_dry_run_and_a_new_file(tmp_path: Path) -> None:
    out = _setup(tmp_path, "--dry-run")
    assert out.returncode == 0 and "dry run" in out.stdout and '"statusLine"' in out.stdout
    assert not (tmp_path / "settings.json").exists()
    assert _setup(tmp_path).returncode == 0
    assert json.loads((tmp_path / "settings.json").read_text())["env"]["OTEL_LOGS_EXPORTER"] \
        == "otlp"
    assert _setup(tmp_path, "--undo").returncode == 0
    assert json.loads((tmp_path / "settings.json").read_text()) == {}


def test_project_scope_and_options(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    out = _setup(tmp_path / "user", "--scope", "project", "--url", "http://central:3030",
                 "--token", "s3cret", "--protocol", "http/protobuf", cwd=project)
    assert out.returncode == 0, out.stderr
    data = json.loads((project / ".claude" / "settings.json").read_text())
    assert data["env"]["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4318"
    assert data["env"]["OTEL_EXPORTER_OTLP_HEADERS"] == "Authorization=Bearer s3cret"
    assert data["env"]["CCOTEL_TOKEN"] == "s3cret"
    assert data["statusLine"]["command"] == f"{CCOTEL} statusline --url http://central:3030"
    assert not (tmp_path / "user" / "settings.json").exists()


def test_a_broken_file_is_left_alone(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text('{"env": {"FOO": "1",}')
    out = _setup(tmp_path)
    assert out.returncode == 1
    assert out.stderr.count("\n") == 1 and "not valid JSON" in out.stderr
    assert settings.read_text() == '{"env": {"FOO": "1",}'
    settings.write_text("[1]")
    assert "JSON object" in _setup(tmp_path).stderr


def test_the_written_statusline_runs_from_a_bare_shell(tmp_path: Path) -> None:
    assert _setup(tmp_path).returncode == 0
    command = json.loads((tmp_path / "settings.json").read_text())["statusLine"]["command"]
    # As Claude Code runs it: through a shell, from another folder, without the virtualenv
    # on PATH.
    proc = subprocess.run(["/bin/sh", "-c", command], input=RECORDED.read_text(),
                          capture_output=True, text=True, timeout=30, cwd="/", check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
                               "NO_COLOR": "1", "CCOTEL_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 0 and "Opus 4.8 (1M context) │ $0.02 session" in proc.stdout
    hook = json.loads((tmp_path / "settings.json").read_text())["hooks"]["SessionStart"][0]
    proc = subprocess.run(["/bin/sh", "-c", hook["hooks"][0]["command"]],
                          input=(RECORDED.parent / "sessionstart.json").read_text(),
                          capture_output=True, text=True, timeout=30, check=False,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),
                               "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
                               "CCOTEL_DATA_DIR": str(tmp_path / "d")})
    assert proc.returncode == 0 and proc.stdout == ""  # a SessionStart hook prints nothing
