"""End to end with the real Claude Code CLI against the local API stub: a $0.01 a day
budget for one user; two runs; the webhook receiver on loopback gets exactly one firing
notification within the evaluation interval plus a few seconds, and a restart of
`ccotel serve` sends nothing twice."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from tests.alerts.test_rules import EXAMPLE
from tests.alerts.webhook import receiver
from tests.conftest import start_server
from tests.e2e.anthropic_stub import AnthropicStub
from tests.e2e.claude_cli import otel_env, run_claude
from tests.stack.live import wait

pytestmark = pytest.mark.e2e
INTERVAL_S = 1


def test_two_runs_over_a_budget_notify_once_even_across_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    home = tmp_path / "home"   # one HOME: one Claude Code user.id for both runs
    with receiver() as hook:
        (data / "alerts.yaml").write_text(EXAMPLE.replace("http://127.0.0.1:9099/hook",
                                                          hook.url))
        srv = start_server(data, "--alert-interval", f"{INTERVAL_S}s")
        try:
            env = otel_env("http/json", srv.info["http_port"])
            costs = []
            for i in range(2):
                cwd = tmp_path / f"cwd-{i}"
                cwd.mkdir()
                with AnthropicStub("basic") as stub:
                    result = run_claude("run the basic task", stub_url=stub.url, home=home,
                                        cwd=cwd, otel_env=env)
                costs.append(result["total_cost_usd"])
                ended = time.monotonic()   # Claude Code flushes its telemetry as it exits
                if i == 0:
                    assert costs[0] > 0.01
                    wait(lambda: hook.got, "the webhook notification", timeout=30)
                    assert time.monotonic() - ended < INTERVAL_S + 5
            wait(lambda: httpx.get(f"{srv.ui}/api/v1/summary", timeout=10).json()[
                "cost_usd"] >= sum(costs) - 1e-9, "the second run stored")
            time.sleep(INTERVAL_S * 3)
            (note,) = hook.got
            assert note["status"] == "firing" and note["rule"] == "daily-budget"
            assert note["value"] == pytest.approx(costs[0], abs=1e-9)
            active = httpx.get(f"{srv.ui}/api/v1/alerts", timeout=10).json()["active"]
            assert [a["state"] for a in active] == ["firing"]
            assert active[0]["value"] == pytest.approx(sum(costs), abs=1e-9)
        finally:
            srv.stop()
        srv = start_server(data, "--alert-interval", f"{INTERVAL_S}s")
        try:
            time.sleep(INTERVAL_S * 4)
            assert len(hook.got) == 1, hook.got
        finally:
            srv.stop()
