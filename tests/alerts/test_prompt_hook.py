"""`ccotel hook` on Claude Code's `UserPromptSubmit`: over a budget it warns (stdout, exit
0), and a `block: true` budget stops the prompt (the reason and how to lift it on stderr,
exit 2, the hook's documented blocking code). Under budget, for another user, or with no
server, it prints nothing and exits 0: the prompt goes on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server
from tests.stack.live import wait
from tests.stack.test_prometheus_e2e import _replay

pytestmark = pytest.mark.e2e

RULES = """\
rules:
  - name: daily-budget
    spend: {over: 0.02, per: day, by: user}
    block: BLOCK
"""
RECORDED = Path(__file__).parents[1] / "data" / "claude-inputs" / "userpromptsubmit.json"


def _hook(data_dir: Path, session: str, home: Path | None = None
          ) -> subprocess.CompletedProcess[str]:
    event = {**json.loads(RECORDED.read_text()), "session_id": session}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CCOTEL_") and k != "CLAUDE_CONFIG_DIR"}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "ccotel", "hook", "--data-dir", str(data_dir)],
                          input=json.dumps(event), capture_output=True, text=True, timeout=30,
                          env=env, check=False)


@pytest.mark.parametrize("block", [True, False])
def test_over_budget_the_prompt_hook_warns_or_blocks(tmp_path: Path, block: bool) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "alerts.yaml").write_text(RULES.replace("BLOCK", str(block).lower()))
    srv = start_server(data, "--alert-interval", "1s")
    try:
        bob = _replay({"http": srv.http}, "basic", user="bob")       # $0.01578: under
        _replay({"http": srv.http}, "basic", user="alice")
        alice = _replay({"http": srv.http}, "basic", user="alice")   # $0.03156: over
        wait(lambda: httpx.get(f"{srv.ui}/api/v1/alerts", timeout=10).json()["firing"],
             "the budget alert", timeout=30)
        done = _hook(data, bob)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
        done = _hook(data, alice)
        # A session the server has no telemetry of yet (its first prompt): the user is
        # the `userID` of Claude Code's `.claude.json`.
        home = tmp_path / "home"
        home.mkdir()
        (home / ".claude.json").write_text(json.dumps({"userID": "alice"}))
        fresh = _hook(data, "a-new-session", home)
        assert (fresh.returncode, fresh.stdout, fresh.stderr) == (
            done.returncode, done.stdout, done.stderr)
        (home / ".claude.json").write_text(json.dumps({"userID": "bob"}))
        bob_home = _hook(data, "a-new-session", home)
        assert (bob_home.returncode, bob_home.stdout, bob_home.stderr) == (0, "", "")
        if block:
            assert done.returncode == 2 and done.stdout == ""
            assert "Stopped by a ccotel budget" in done.stderr
            assert "user alice" in done.stderr and "$0.02 budget" in done.stderr
            assert "to lift: raise or remove the rule 'daily-budget'" in done.stderr
        else:
            assert done.returncode == 0 and done.stderr == ""
            assert done.stdout.startswith("ccotel budget warning:")
            assert "user alice" in done.stdout
    finally:
        srv.stop()


def test_without_a_server_the_prompt_hook_is_silent(tmp_path: Path) -> None:
    done = _hook(tmp_path / "none", "some-session")
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_a_plan_limit_rule_fires_from_the_limits_ledger(tmp_path: Path) -> None:
    """`limit: {plan: five_hour, used_over: 80}` fires for the account whose statusline
    reported 85 % of its 5-hour window, not for one at 40 %; a block on it stops the
    prompt of that account's session."""
    from tests.limits.helpers import post_snapshot, send_requests, statusline_input, utcnow

    data = tmp_path / "data"
    data.mkdir()
    (data / "alerts.yaml").write_text("rules:\n  - name: five-hour\n"
                                      "    limit: {plan: five_hour, used_over: 80}\n"
                                      "    block: true\n")
    srv = start_server(data, "--alert-interval", "1s")
    try:
        resets = time.time() + 3600
        for user, session, pct in (("carol@example.com", "s-carol", 85.0),
                                   ("dave@example.com", "s-dave", 40.0)):
            send_requests(srv.http, user, session, [(utcnow(), 0.25)])
            resp = post_snapshot(srv.ui, statusline_input(session, five=(pct, resets)), "host-1")
            assert resp.status_code == 200, resp.text
        firing = wait(lambda: [a for a in httpx.get(f"{srv.ui}/api/v1/alerts", timeout=10)
                               .json()["active"] if a["state"] == "firing"],
                      "the plan-limit alert", timeout=30)
        assert [(a["rule"], a["key"], a["value"]) for a in firing] == [
            ("five-hour", "carol@example.com", 85.0)]
        assert _hook(data, "s-carol").returncode == 2
        assert _hook(data, "s-dave").returncode == 0
    finally:
        srv.stop()
