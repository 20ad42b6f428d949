"""A store filled by the real Claude Code CLI: a few `claude -p` runs against the API stub,
with traces, prompts and tool details switched on, as a newcomer's first hour would have.

Shared by the browser tests that need real, small data (widths, the session story).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Server
from tests.e2e.anthropic_stub import AnthropicStub
from tests.e2e.claude_cli import otel_env, run_claude

SCENARIOS = ("basic", "bashfail", "edit", "api_error")


def fill(server: Server, work: Path, scenarios: tuple[str, ...] = SCENARIOS) -> list[str]:
    """Run the CLI once per scenario against `server`; return the session ids, in order.

    Waits until each run's API requests or errors are committed, so a page opened next
    shows them. Then imports the runs' transcripts, as a newcomer who also ran
    `ccotel import` would: the requests telemetry already has become `transcript_copy` rows.
    """
    env = otel_env("http/protobuf", server.info["http_port"], traces=True, log_details=True)
    sessions = []
    for scenario in scenarios:
        home, cwd = work / f"home-{scenario}", work / f"cwd-{scenario}"
        cwd.mkdir(parents=True)
        with AnthropicStub(scenario) as stub:
            result = run_claude(f"please run the {scenario} task", stub_url=stub.url,
                                home=home, cwd=cwd, otel_env=env)
        sid = result["session_id"]
        key = "errors" if result.get("api_error_status") else "requests"
        deadline = time.monotonic() + 15
        while server.summary(session=sid)[key] < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        sessions.append(sid)
    projects = [str(work / f"home-{s}" / ".claude" / "projects") for s in scenarios]
    subprocess.run([sys.executable, "-m", "ccotel", "import", "--data-dir", str(server.data_dir),
                    "--no-progress", *projects], check=True, capture_output=True, timeout=120)
    return sessions
