"""The dashboard in a real browser (Debian's chromium driven by Playwright) against a real
`ccotel serve` over telemetry with known totals: numbers, range and filter changes, the
live log, sessions, and markup in attributes shown as text."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from ccotel.panels import PANELS, page_batches
from tests.conftest import Server, start_server
from tests.e2e.chromium import launched, wait_ready
from tests.web import known

pytestmark = pytest.mark.e2e

READY = """() => {
  const gen = document.body.dataset.generation;
  return gen && [...document.querySelectorAll('.panel[data-panel]')].every(
    (p) => p.dataset.generation === gen && p.dataset.state === 'ready');
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("dashboard") / "data"
    known.write(data, datetime.now(UTC).replace(tzinfo=None))
    srv = start_server(data)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with launched() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1600, "height": 1000})
    pg = ctx.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    yield pg
    ctx.close()


def open_dashboard(page: Any, server: Server, query: str) -> None:
    page.goto(f"{server.ui}/?{query}")
    wait_ready(page, READY, 20_000)


def stat(page: Any, panel_id: str) -> float | None:
    raw = page.get_attribute(f"#panel-{panel_id} .stat-value", "data-value")
    return None if raw in (None, "") else float(raw)


def items(page: Any, panel_id: str) -> dict[str, float]:
    """Bar gauge rows or pie legend entries: name -> exact value."""
    return page.eval_on_selector_all(
        f"#panel-{panel_id} .bar-row, #panel-{panel_id} .legend-item[data-value]",
        "nodes => Object.fromEntries(nodes.map(n => [n.dataset.name || n.dataset.series, "
        "Number(n.dataset.value)]))")


def series_totals(page: Any, panel_id: str) -> dict[str, float]:
    return page.eval_on_selector_all(
        f"#panel-{panel_id} .legend-item",
        "nodes => Object.fromEntries(nodes.map(n => [n.dataset.series, Number(n.dataset.total)]))")


def check_view(page: Any, view: str) -> None:
    for panel_id, expected in known.EXPECTED[view].items():
        if isinstance(expected, dict):
            assert items(page, panel_id) == pytest.approx(expected), (view, panel_id)
        else:
            assert stat(page, panel_id) == pytest.approx(expected), (view, panel_id)


def test_each_panel_shows_the_known_number(page: Any, server: Server) -> None:
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url))
    open_dashboard(page, server, "from=now-1h&to=now")
    check_view(page, "1h")
    # The panels that read the same rows are asked for together, once each; the others
    # alone; every panel of the page once.
    batches = [parse_qs(urlsplit(u).query)["panels"][0].split(",")
               for u in asked if urlsplit(u).path == "/api/v1/dashboard"]
    assert sorted(batches) == sorted(page_batches())
    assert sorted(i for b in batches for i in b) == sorted(
        p.id for p in PANELS if p.kind != "logs")
    assert sorted(len(b) for b in batches)[-2:] == [5, 7]  # the named and usage panels
    assert not [u for u in asked if "/api/v1/panels/" in u]
    # What a person reads, formatted by unit.
    assert page.inner_text("#panel-total_cost .stat-value") == "$0.53"
    assert page.inner_text("#panel-avg_response_time .stat-value") == "2,000 ms"
    assert page.inner_text("#panel-cache_hit_ratio .stat-value") == "66.7%"
    # Series drawn by uPlot, with their exact totals in the legend.
    assert page.locator("#panel-token_usage_rate canvas").count() >= 1
    assert series_totals(page, "token_usage_rate") == known.EXPECTED["1h"]["tokens_by_type"]
    assert series_totals(page, "tool_call_rate") == {"Bash": 1, "Read": 1}
    rows = page.locator("#panel-top_sessions tbody tr")
    assert rows.count() == 2
    assert page.get_attribute("#panel-top_sessions tbody tr:first-child", "data-session") == \
        known.S4
    assert page.locator("#panel-edit_decisions tbody tr").count() == 1
    assert page.errors == []  # type: ignore[attr-defined]


def test_range_and_filters_change_every_panel_and_live_in_the_url(page: Any,
                                                                  server: Server) -> None:
    open_dashboard(page, server, "from=now-1h&to=now")
    page.select_option("#range", "now-6h")
    page.wait_for_function(READY)
    assert "from=now-6h" in page.url
    check_view(page, "6h")
    page.select_option("#range", "now-7d")
    page.wait_for_function(READY)
    check_view(page, "7d")
    page.wait_for_selector(f"#var-user option[value='{known.ALICE}']", state="attached")
    page.select_option("#var-user", known.ALICE)
    page.wait_for_function(READY)
    check_view(page, "7d alice")
    assert "var-user=alice%40example.com" in page.url
    # The URL is the whole state: opening it again shows the same view.
    page.goto(page.url)
    page.wait_for_function(READY)
    check_view(page, "7d alice")
    assert page.input_value("#var-user") == known.ALICE
    page.go_back()  # back to all users, last 7 days
    page.wait_for_function(READY)
    check_view(page, "7d")


def test_grafana_links_work(page: Any, server: Server) -> None:
    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    open_dashboard(page, server, f"from={now_ms - 6 * 3600_000}&to={now_ms}"
                                 f"&var-model={known.SONNET}&refresh=10s")
    check_view(page, "6h sonnet")
    assert page.input_value("#range") == "custom"
    assert page.input_value("#refresh") == "10s"
    assert page.input_value("#var-model") == known.SONNET


def test_live_log_gains_a_new_event_without_reload(page: Any, server: Server) -> None:
    open_dashboard(page, server, "from=now-1h&to=now")
    page.evaluate("window.__sameDocument = true")
    marker = f"live-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(tzinfo=None)
    body = known.logs(known.BOB, [known.event(now, known.BOB, "s-live", 0, "user_prompt",
                                              prompt=marker, prompt_length=str(len(marker)))])
    resp = httpx.post(f"{server.http}/v1/logs", content=json.dumps(body),
                      headers={"Content-Type": "application/json"}, timeout=10)
    assert resp.status_code == 200
    row = page.locator("#log-list .ev-summary", has_text=marker)
    row.wait_for(timeout=15_000)
    assert page.evaluate("window.__sameDocument") is True
    # Newest first.
    assert page.inner_text("#log-list > li:first-child .ev-summary") == marker


def test_markup_in_attributes_is_text_and_runs_nothing(page: Any, server: Server) -> None:
    open_dashboard(page, server, "from=now-1h&to=now")
    prompt = page.locator("#log-list .ev-summary", has_text="<script>")
    prompt.wait_for()
    assert prompt.inner_text() == known.XSS_PROMPT
    prompt.click()  # expand: every attribute, as text
    values = page.locator("#log-list .attr-value")
    assert known.XSS_PROMPT in values.all_inner_texts()
    page.locator("#log-list .ev-summary", has_text="Bash ok").click()
    assert known.XSS_PARAMS in page.locator("#log-list .attr-value").all_inner_texts()
    page.wait_for_timeout(500)  # give an injected onerror every chance to fire
    assert page.evaluate("window.__xss") is None
    assert page.locator("#log-list img, #log-list script").count() == 0
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]


def test_session_page_from_the_top_sessions_table(page: Any, server: Server) -> None:
    open_dashboard(page, server, "from=now-1h&to=now")
    page.click(f"#panel-top_sessions tr[data-session='{known.S1}'] a")
    page.wait_for_function("() => document.getElementById('session').dataset.state === 'ready'")
    assert f"/sessions/{known.S1}" in page.url
    assert page.locator("#timeline-list > li").count() == 7
    assert page.inner_text(".kv[data-key='cost'] .v") == "$0.03"
    assert page.inner_text(".kv[data-key='errors'] .v") == "1"
    # The prompt with markup is text here too.
    assert known.XSS_PROMPT in page.locator("#timeline-list .ev-summary").all_inner_texts()
    assert page.evaluate("window.__xss") is None
    assert "from=now-1h" in page.get_attribute("#back", "href")


def test_empty_store_shows_the_setup_lines(browser: Any, tmp_path: Path) -> None:
    srv = start_server(tmp_path / "empty")
    try:
        pg = browser.new_page()
        pg.goto(srv.ui)
        pg.wait_for_function(READY, timeout=20_000)
        assert pg.is_visible("#setup")
        lines = pg.inner_text("#setup-lines")
        assert f"OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:{srv.info['grpc_port']}" in lines
        assert "CLAUDE_CODE_ENABLE_TELEMETRY=1" in lines
        assert pg.get_attribute("#panel-total_requests .stat-value", "data-value") == "0"
        # Empty panels say what makes data appear, not just "No data".
        assert pg.inner_text("#panel-edit_decisions .no-data") == (
            "No edit decisions yet. They appear when Claude Code asks to edit a file.")
        assert "Claude Code runs a tool" in pg.inner_text("#panel-tool_usage_distribution .no-data")
        pg.close()
    finally:
        srv.stop()
