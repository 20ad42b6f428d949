"""`ccotel serve --alerts`: a real server evaluates the rules every --alert-interval, posts
one notification to a webhook receiver on loopback, shows the alert at /api/v1/alerts, and
after a restart sends nothing twice."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.alerts.test_rules import EXAMPLE
from tests.alerts.webhook import receiver
from tests.conftest import start_server
from tests.stack.live import wait
from tests.stack.test_prometheus_e2e import _replay

pytestmark = pytest.mark.e2e


def test_a_budget_fires_once_and_a_restart_sends_nothing_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    with receiver() as hook:
        # The documented example, as written, but pointing at this test's receiver; in the
        # data dir, where serve looks without --alerts.
        (data / "alerts.yaml").write_text(EXAMPLE.replace("http://127.0.0.1:9099/hook",
                                                          hook.url))
        srv = start_server(data, "--alert-interval", "1s")
        try:
            _replay({"http": srv.http}, "basic", user="alice")   # $0.01578: over $0.01
            sent = time.monotonic()
            wait(lambda: hook.got, "the webhook notification", timeout=30)
            assert time.monotonic() - sent < 1 + 5   # the interval plus a few seconds
            _replay({"http": srv.http}, "basic", user="alice")   # still over: no new alert
            time.sleep(3)   # three more evaluations
            (note,) = hook.got
            assert note["status"] == "firing" and note["rule"] == "daily-budget"
            assert note["key"] == "alice" and note["block"] is True
            assert note["value"] == pytest.approx(0.01578, abs=1e-12)
            assert note["message"] == ("Claude Code spend of user alice this day (UTC) is "
                                       "$0.01578, over the $0.01 budget")
            body = httpx.get(f"{srv.ui}/api/v1/alerts", timeout=10).json()
            assert body["firing"] == 1
            assert [(a["rule"], a["key"], a["state"]) for a in body["active"]] == [
                ("daily-budget", "alice", "firing")]
            assert body["active"][0]["value"] == pytest.approx(2 * 0.01578, abs=1e-12)
            assert body["rules"][0]["condition"] == {"over": 0.01, "per": "day", "by": "user"}
            assert [h["state"] for h in body["history"]] == ["firing"]
            check = httpx.get(f"{srv.ui}/api/v1/alerts/prompt", params={"user": "alice"},
                              timeout=10).json()
            assert [b["rule"] for b in check["block"]] == ["daily-budget"]
            assert httpx.get(f"{srv.ui}/api/v1/alerts/prompt", params={"user": "bob"},
                             timeout=10).json() == {"user": "bob", "warn": [], "block": []}
            for path, params in (("alerts", {"limit": "-1"}), ("alerts", {"limit": "x" * 99}),
                                 ("alerts/prompt", {"user": "u" * 600})):
                bad = httpx.get(f"{srv.ui}/api/v1/{path}", params=params, timeout=10)
                assert bad.status_code == 400, bad.text
                assert bad.json()["error"]["status"] == 400
        finally:
            srv.stop()
        srv = start_server(data, "--alert-interval", "1s")
        try:
            time.sleep(4)
            assert len(hook.got) == 1, hook.got
            body = httpx.get(f"{srv.ui}/api/v1/alerts", timeout=10).json()
            assert [a["state"] for a in body["active"]] == ["firing"]
        finally:
            srv.stop()


def test_a_bad_rules_file_stops_serve_with_its_line(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.yaml"
    rules.write_text(EXAMPLE.replace("notify: [team]", "notify: [tema]"))
    done = subprocess.run([sys.executable, "-m", "ccotel", "serve", "--data-dir",
                           str(tmp_path / "d"), "--alerts", str(rules), "--grpc-port", "0",
                           "--http-port", "0", "--ui-port", "0", "--metrics-port", "0"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert f"{rules}:7: notify: no receiver named 'tema' (receivers: team)" in done.stderr
    assert "Traceback" not in done.stderr
