"""The attribution filters, panels and the repo page in a real browser (Debian's chromium
driven by Playwright) against a real `ccotel serve`: pickers from the data, filters in the
URL, panels that say when a filter does not reach them, the repo page, English and
Japanese, and a layout without cut-off text at a phone's and a desktop's width."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.attribution.helpers import Req, store
from tests.e2e.chromium import launched
from tests.e2e.layout import PROBLEMS
from tests.importer.helpers import serve_in_thread

pytestmark = pytest.mark.e2e


# Every panel drawn for the page's current state (its generation).
ALL_READY = """() => [...document.querySelectorAll('[data-panel]')].every((n) =>
  n.dataset.state === 'ready' && n.dataset.generation === document.body.dataset.generation)"""


@pytest.fixture(scope="module")
def ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("attrib-browser")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    store(data, [
        Req("s1", Decimal("0.10"), attrs={"skill.name": "pdf", "effort": "high"},
            resource={"team": "core"}),
        Req("s1", Decimal("0.20"), attrs={"agent.name": "explorer",
                                          "query_source": "subagent"},
            resource={"team": "core"}),
        Req("s2", Decimal("0.30"), attrs={"mcp_server.name": "github"},
            resource={"team": "web"}),
    ], start=start)
    with serve_in_thread(data) as info:
        # The hook's records, as `ccotel hook session-start` sends them.
        for session, repo, branch in (("s1", "github.com/acme/api", "main"),
                                      ("s2", "github.com/acme/web", "dev")):
            r = httpx.post(f"http://127.0.0.1:{info['ui_port']}/api/v1/sessions/{session}/git",
                           json={"repo": repo, "branch": branch}, timeout=30)
            assert r.status_code == 200, r.text
        yield f"http://127.0.0.1:{info['ui_port']}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as b:
        yield b


def _page(browser: Any, width: int) -> Any:
    pg = browser.new_page(viewport={"width": width, "height": 900})
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return pg


def bars(page: Any, panel: str) -> dict[str, float]:
    rows = page.locator(f"#panel-{panel} li.bar-row")
    return {rows.nth(i).get_attribute("data-name"): float(rows.nth(i).get_attribute("data-value"))
            for i in range(rows.count())}


def test_filters_panels_and_repo_page(browser: Any, ui: str) -> None:
    page = _page(browser, 1500)
    page.goto(f"{ui}/?from=now-6h&to=now&lang=en")
    page.wait_for_function(ALL_READY)
    assert bars(page, "cost_by_repo") == {"github.com/acme/web": 0.3, "github.com/acme/api": 0.3}
    assert bars(page, "cost_by_team") == {"core": 0.3, "web": 0.3}
    # A picker per dimension the range holds, labelled; the team key found in the data.
    page.wait_for_selector("#attrib-filters select#var-team")
    labels = page.locator("#attrib-filters label span").all_inner_texts()
    assert labels[:2] == ["Repo", "Branch"] and "Team" in labels and "Skill" in labels
    options = page.locator("#var-repo option").all_inner_texts()
    assert "github.com/acme/api" in options and "github.com/acme/web" in options

    # A session-level filter reaches every panel, and goes into the URL.
    page.select_option("#var-team", "core")
    page.wait_for_function(ALL_READY)
    assert "var-team=core" in page.url
    assert page.inner_text("#panel-total_cost .stat-value") == "$0.30"
    assert bars(page, "cost_by_repo") == {"github.com/acme/api": 0.3}
    assert page.locator("#panel-total_requests .unfiltered").count() == 0

    # A request-level one reaches the attribution panels; the others say they are partial.
    page.select_option("#var-skill", "pdf")
    page.wait_for_function(ALL_READY)
    assert bars(page, "cost_by_repo") == {"github.com/acme/api": 0.1}
    badge = page.locator("#panel-total_requests .unfiltered")
    assert badge.inner_text() == "partly filtered" and "Skill" in badge.get_attribute("title")
    assert page.inner_text("#panel-total_requests .stat-value") == "2"
    assert page.locator("#panel-cost_by_skill .unfiltered").count() == 0

    # The repo's bar opens its page, in the same range and filters.
    page.select_option("#var-skill", "")
    page.wait_for_function(ALL_READY)
    page.click("#panel-cost_by_repo li.bar-row a")
    page.wait_for_function("() => document.getElementById('repo').dataset.state === 'ready'")
    assert "/repo?" in page.url and "var-repo=github.com%2Facme%2Fapi" in page.url
    assert page.inner_text("#repo-name") == "github.com/acme/api"
    assert "$0.30" in page.inner_text("#repo-summary")
    branches = page.locator("#repo-branches li.bar-row")
    assert branches.count() == 1 and branches.first.get_attribute("data-name") == "main"
    sessions = page.locator("#repo-sessions li.bar-row a")
    assert sessions.count() == 1 and "/sessions/s1?" in sessions.first.get_attribute("href")
    assert page.locator("#repo-over_time li.bar-row").count() >= 1
    assert page.errors == []


@pytest.mark.parametrize("width", [390, 1280])
def test_layout_in_english_and_japanese(browser: Any, ui: str, width: int) -> None:
    page = _page(browser, width)
    for lang in ("en", "ja"):
        page.goto(f"{ui}/?from=now-6h&to=now&lang={lang}&var-skill=pdf")
        page.wait_for_function(ALL_READY)
        page.wait_for_selector("#attrib-filters select#var-repo")
        if lang == "ja":
            labels = page.locator("#attrib-filters label span").all_inner_texts()
            assert "リポジトリ" in labels and "スキル" in labels and "チーム" in labels
            assert page.inner_text("#panel-total_requests .unfiltered") == "一部のみ絞り込み"
        assert page.evaluate(PROBLEMS) == [], (lang, width)
        page.goto(f"{ui}/repo?from=now-6h&to=now&lang={lang}&var-repo=github.com/acme/web")
        page.wait_for_function(
            "() => document.getElementById('repo').dataset.state === 'ready'")
        if lang == "ja":
            assert "コストの推移" in page.inner_text("#repo-over_time")
        assert page.evaluate(PROBLEMS) == [], (lang, width, "repo")
    assert page.errors == []
