"""The dashboard's alert banner and recent alerts panel in a real browser (Debian's
chromium, Playwright) against a real `ccotel serve` whose budget rule fires."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.alerts.test_rules import EXAMPLE
from tests.alerts.webhook import receiver
from tests.conftest import start_server
from tests.e2e.chromium import CHROMIUM_ARGS
from tests.stack.live import wait
from tests.stack.test_prometheus_e2e import _replay

pytestmark = pytest.mark.e2e
USER = "<b>alice</b>"   # markup in a user id is shown as text


def _firing(ui: str) -> bool:
    return bool(httpx.get(f"{ui}/api/v1/alerts", timeout=10).json()["firing"])


def test_banner_while_firing_and_recent_alerts_panel(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    data = tmp_path / "data"
    data.mkdir()
    with receiver() as hook:
        (data / "alerts.yaml").write_text(EXAMPLE.replace("http://127.0.0.1:9099/hook",
                                                          hook.url))
        srv = start_server(data, "--alert-interval", "1s")
        try:
            with sync_api.sync_playwright() as p:
                browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
                page: Any = browser.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(srv.ui + "/")
                page.wait_for_selector("#alerts-panel[data-state=ready]", state="attached")
                assert page.locator("#alert-banner").is_hidden()
                assert page.locator("#alerts-list").inner_text() == "No alerts yet"
                _replay({"http": srv.http}, "basic", user=USER)
                wait(lambda: _firing(srv.ui), "the alert firing", timeout=30)
                page.reload()
                page.wait_for_selector("#alert-banner", state="visible", timeout=20000)
                banner = page.locator("#alert-banner").inner_text()
                assert "1 alert firing" in banner
                assert (f"daily-budget: Claude Code spend of user {USER} this day (UTC) is "
                        "$0.01578, over the $0.01 budget") in banner
                assert page.locator("#alert-banner b").count() == 0
                row = page.locator("#alerts-list .alert-row").first
                assert row.get_attribute("data-state") == "firing"
                assert "daily-budget" in row.inner_text()
                assert errors == []
                browser.close()
        finally:
            srv.stop()
