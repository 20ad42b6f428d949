"""The dashboard's "Plan limits" and "Current block" panels in a real browser (Debian's
chromium driven by Playwright) against a real `ccotel serve`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.limits.test_live import ALICE, _fill

pytestmark = pytest.mark.e2e
READY = "() => document.getElementById('limits').dataset.state === 'ready'"


@pytest.fixture
def page() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from tests.e2e.chromium import CHROMIUM_ARGS

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        pg = browser.new_page(viewport={"width": 1500, "height": 900})
        pg.errors = []  # type: ignore[attr-defined]
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]
        yield pg
        browser.close()


def test_plan_limits_and_block_panels(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.ui)
    page.wait_for_function(READY)
    assert page.is_hidden("#limits")  # no account yet: nothing to show
    _fill(server)
    page.reload()
    page.wait_for_function(READY)
    assert page.is_visible("#limits")
    row = page.locator(f"#limits-plan tr[data-user='{ALICE}']")
    cells = row.locator("td.limit-cell")
    assert cells.nth(0).get_attribute("data-used") == "80"
    assert float(cells.nth(0).get_attribute("data-pace")) == pytest.approx(2, abs=0.02)
    five = cells.nth(0).inner_text()
    assert "80.0%" in five and "pace 2.00×" in five and "runs out" in five  # noqa: RUF001
    assert "12.0%" in cells.nth(1).inner_text()
    assert "laptop" in row.inner_text() and "$0.01" in row.inner_text()
    block = page.locator(f"#limits-block tr[data-user='{ALICE}']")
    assert "$0.80" in block.inner_text() and "/h" in block.inner_text()
    assert float(block.get_attribute("data-cost-per-hour")) > 0
    assert page.errors == []  # type: ignore[attr-defined]
    page.locator("#limits").screenshot(path=str(tmp_path / "limits.png"))
