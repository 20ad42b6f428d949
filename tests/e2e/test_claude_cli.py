"""End to end with the real Claude Code CLI: its own totals equal ccotel's, per protocol."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.e2e.anthropic_stub import AnthropicStub, tool_results
from tests.e2e.claude_cli import otel_env, run_claude


def wait_for(server: Server, session: str, key: str, want: int, timeout: float = 10) -> dict:
    """Claude Code flushes at exit; give the last export a moment to be committed."""
    deadline = time.monotonic() + timeout
    while True:
        s = server.summary(session=session)
        if s[key] >= want or time.monotonic() > deadline:
            return s
        time.sleep(0.1)


@pytest.mark.e2e
@pytest.mark.parametrize("protocol", ["grpc", "http/protobuf", "http/json"])
def test_claude_code_totals_equal_ccotels(server: Server, tmp_path: Path, protocol: str) -> None:
    port = server.info["grpc_port"] if protocol == "grpc" else server.info["http_port"]
    env = otel_env(protocol, port)
    totals = {"cost": 0.0, "requests": 0, "tools": 0, "errors": 0}
    for scenario in ("basic", "bashfail", "edit", "api_error"):
        home, cwd = tmp_path / f"home-{scenario}", tmp_path / f"cwd-{scenario}"
        cwd.mkdir()
        with AnthropicStub(scenario) as stub:
            result = run_claude(f"run the {scenario} task", stub_url=stub.url, home=home,
                                cwd=cwd, otel_env=env)
            tools_run = sum(len(tool_results(r.body)) for r in stub.message_requests())
        sid = result["session_id"]
        errors = 1 if result.get("api_error_status") else 0
        requests = 0 if errors else result["num_turns"]
        s = wait_for(server, sid, "errors" if errors else "requests", max(requests, errors))
        assert s["cost_usd"] == pytest.approx(result["total_cost_usd"], abs=1e-9), scenario
        usage = result["usage"]
        assert s["tokens"] == {
            "input": usage["input_tokens"], "output": usage["output_tokens"],
            "cacheRead": usage["cache_read_input_tokens"],
            "cacheCreation": usage["cache_creation_input_tokens"]}, scenario
        assert s["requests"] == requests, scenario
        assert s["errors"] == errors, scenario
        assert s["tool_calls"] == tools_run, scenario
        if scenario == "bashfail":
            assert s["tool_failures"] == 1
        if scenario == "edit":
            s = wait_for(server, sid, "lines_added", 5)
            assert s["lines_added"] == 5  # "a\nb\nc\nd\n" counts as 5 lines in Claude Code
        totals["cost"] += result["total_cost_usd"]
        totals["requests"] += requests
        totals["tools"] += tools_run
        totals["errors"] += errors
    everything = server.summary()
    assert everything["cost_usd"] == pytest.approx(totals["cost"], abs=1e-9)
    assert everything["requests"] == totals["requests"]
    assert everything["tool_calls"] == totals["tools"]
    assert everything["errors"] == totals["errors"]
    assert everything["sessions"] == 4
