"""End to end with the real Claude Code CLI set up by the real `ccotel setup claude`, so
Claude Code itself runs `ccotel hook` on every prompt. A user with a $0.01 a day warning
budget and a $0.02 a day blocking one makes three `claude -p` runs against the API stub:
run 1 is under both and goes through unwarned; once the warning fires, run 2's prompt
reaches the model with the hook's warning in its context; once the block fires, run 3's
prompt never reaches the API. The webhook receiver gets one firing notification per rule,
and a restart of `ccotel serve` sends neither again."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.webhook import receiver
from tests.conftest import start_server
from tests.e2e.anthropic_stub import FINAL_TEXT, AnthropicStub
from tests.e2e.claude_cli import ClaudeResult, ToolNotInstalled, claude_binary, run_claude
from tests.stack.live import wait

pytestmark = pytest.mark.e2e
INTERVAL_S = 1
CCOTEL = Path(sys.executable).parent / "ccotel"
WARNING = "ccotel budget warning:"
RULES = """\
receivers:
  - name: team
    webhook: URL
rules:
  - name: daily-warning
    spend: {over: 0.01, per: day, by: user}
    notify: [team]
  - name: daily-stop
    spend: {over: 0.02, per: day, by: user}
    notify: [team]
    block: true
"""


def _firing(ui: str) -> set[str]:
    active = httpx.get(f"{ui}/api/v1/alerts", timeout=10).json()["active"]
    return {a["rule"] for a in active if a["state"] == "firing"}


def _carrying(stub: AnthropicStub, text: str) -> list[dict[str, Any]]:
    """Bodies of the Messages requests the stub got whose JSON contains `text`."""
    return [r.body for r in stub.message_requests()
            if isinstance(r.body, dict) and text in json.dumps(r.body)]


def test_claude_runs_the_hook_that_warns_then_blocks_over_a_budget(tmp_path: Path) -> None:
    try:
        claude_binary()
    except ToolNotInstalled as exc:
        pytest.skip(str(exc))
    data, home = tmp_path / "data", tmp_path / "home"
    data.mkdir()
    home.mkdir()
    with receiver() as hook:
        (data / "alerts.yaml").write_text(RULES.replace("URL", hook.url))
        srv = start_server(data, "--alert-interval", f"{INTERVAL_S}s")
        try:
            setup = subprocess.run(
                [str(CCOTEL), "setup", "claude", "--scope", "user", "--protocol", "http/json",
                 "--http-port", str(srv.info["http_port"]), "--data-dir", str(data)],
                capture_output=True, text=True, timeout=60, check=False,
                env={**{k: v for k, v in os.environ.items() if not k.startswith("CCOTEL_")},
                     "HOME": str(home)})
            assert setup.returncode == 0, setup.stderr
            settings = json.loads((home / ".claude" / "settings.json").read_text())
            assert {"SessionStart", "UserPromptSubmit"} <= set(settings["hooks"])
            # The CLI's environment names no telemetry: only the settings do. PYTHONPATH
            # lets the hook Claude Code starts run this checkout.
            extra = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}

            def run(n: int, prompt: str) -> tuple[AnthropicStub, ClaudeResult]:
                cwd = tmp_path / f"cwd-{n}"
                cwd.mkdir()
                with AnthropicStub("basic") as stub:
                    result = run_claude(prompt, stub_url=stub.url, home=home, cwd=cwd,
                                        extra_env=extra)
                return stub, result

            stub, first = run(1, "first task: run the basic task")
            asked = _carrying(stub, "first task")
            assert asked and not _carrying(stub, WARNING)
            assert 0.01 < first["total_cost_usd"] < 0.02   # over the warning, under the stop
            assert wait(lambda: _firing(srv.ui) == {"daily-warning"}, "the warning alert",
                        timeout=30)

            stub, second = run(2, "second task: run the basic task")
            # The hook's stdout is in the context of every request for that prompt.
            warned = _carrying(stub, "second task")
            assert warned and all(WARNING in json.dumps(b) for b in warned)
            assert "over the $0.01 budget" in json.dumps(warned[0])
            assert "'daily-warning'" in json.dumps(warned[0])
            assert second.returncode == 0 and second["result"] == FINAL_TEXT
            assert first["total_cost_usd"] + second["total_cost_usd"] > 0.02
            assert wait(lambda: _firing(srv.ui) == {"daily-warning", "daily-stop"},
                        "the blocking alert", timeout=30)

            stub, third = run(3, "third task: run the basic task")
            # Stopped before any API call, side queries included; `claude -p` still ends
            # with exit 0 and says why in its result, and the transcript records the block.
            assert stub.message_requests() == []
            assert (third.returncode, third["num_turns"], third["total_cost_usd"]) == (0, 0, 0)
            assert third["result"].startswith("UserPromptSubmit operation blocked by hook")
            assert "Stopped by a ccotel budget" in third["result"]
            assert "'daily-stop'" in third["result"]
            (transcript,) = [t for t in third.transcripts()
                             if t.stem == third["session_id"]]
            assert '"kind":"blocked_by_hook"' in transcript.read_text()

            time.sleep(INTERVAL_S * 3)
            notes = sorted(hook.got, key=lambda n: n["rule"])
            assert [(n["rule"], n["status"]) for n in notes] == [
                ("daily-stop", "firing"), ("daily-warning", "firing")]
            assert notes[1]["value"] == pytest.approx(first["total_cost_usd"], abs=1e-9)
            assert notes[0]["value"] == pytest.approx(
                first["total_cost_usd"] + second["total_cost_usd"], abs=1e-9)
        finally:
            srv.stop()
        srv = start_server(data, "--alert-interval", f"{INTERVAL_S}s")
        try:
            time.sleep(INTERVAL_S * 4)
            assert len(hook.got) == 2, hook.got
        finally:
            srv.stop()
