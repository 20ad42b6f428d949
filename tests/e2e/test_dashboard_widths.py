"""The dashboard and the session page at a phone's width (390 px), a laptop's (1280 px) and
a large screen's (1920 px), in real chromium, with `ccotel demo` data and with data from
real `claude -p` runs: nothing scrolls sideways, no text is cut off or sticks out of its
panel, no two labels overlap. Also what a newcomer's few minutes of real data look like:
a fitting default range, error-rate and latency charts that show their one point, short
user ids with the full one on hover, no transcript copies in the live log."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Server, start_server
from tests.e2e import cli_data
from tests.e2e.chromium import launched, wait_ready
from tests.e2e.layout import PROBLEMS
from tests.e2e.test_dashboard_browser import READY

pytestmark = pytest.mark.e2e

WIDTHS = (390, 1280, 1920)
SESSION_READY = "() => ['ready', 'error'].includes(document.getElementById('session').dataset.state)"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with launched() as b:
        yield b


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("demo") / "data"
    subprocess.run([sys.executable, "-m", "ccotel", "demo", "--users", "3", "--days", "2",
                    "--data-dir", str(data), "--json"], check=True, capture_output=True,
                   timeout=300)
    srv = start_server(data)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, list[str]]]:
    base = tmp_path_factory.mktemp("cli")
    srv = start_server(base / "data")
    try:
        sessions = cli_data.fill(srv, base / "work")
        yield srv, sessions
    finally:
        srv.stop()


def open_page(chromium: Any, url: str, width: int, ready: str = READY, **ctx: Any) -> Any:
    context = chromium.new_context(viewport={"width": width, "height": 900}, **ctx)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(url)
    wait_ready(page, ready)
    page.wait_for_timeout(300)  # charts size themselves to their panels
    return page


def layout(page: Any) -> list[str]:
    return page.evaluate(PROBLEMS)


@pytest.mark.parametrize("width", WIDTHS)
def test_demo_dashboard_fits(chromium: Any, demo: Server, width: int) -> None:
    page = open_page(chromium, f"{demo.ui}/?from=now-7d&to=now", width)
    assert layout(page) == []
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_cli_dashboard_fits(chromium: Any, cli: tuple[Server, list[str]],
                            width: int) -> None:
    server, _ = cli
    page = open_page(chromium, f"{server.ui}/", width)
    assert layout(page) == []
    assert page.errors == []
    page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_cli_session_page_fits(chromium: Any, cli: tuple[Server, list[str]],
                               width: int) -> None:
    server, sessions = cli
    for sid in sessions:
        page = open_page(chromium, f"{server.ui}/sessions/{sid}", width, SESSION_READY)
        assert layout(page) == [], sid
        assert page.errors == []
        page.context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_demo_session_page_fits(chromium: Any, demo: Server, width: int) -> None:
    page = open_page(chromium, f"{demo.ui}/?from=now-7d&to=now", 1280)
    href = page.get_attribute("#panel-top_sessions tbody tr:first-child a", "href")
    page.context.close()
    page = open_page(chromium, f"{demo.ui}{href}", width, SESSION_READY)
    assert layout(page) == []
    page.context.close()


def test_a_young_store_opens_on_a_range_that_fits(chromium: Any,
                                                   cli: tuple[Server, list[str]]) -> None:
    server, _ = cli
    page = open_page(chromium, f"{server.ui}/", 1280)
    # Minutes of data: not 6 hours with a spike at the right edge.
    assert "from=now-15m" in page.url
    assert page.input_value("#range") == "now-15m"
    page.select_option("#range", "since")
    page.wait_for_function(READY)
    assert re.search(r"from=\d{13}&to=now", page.url)
    assert page.input_value("#range") == "since"
    page.context.close()


def painted(page: Any, panel: str, rgb: tuple[int, int, int]) -> int:
    """Pixels of one series' colour on a chart's canvas."""
    return page.evaluate("""([panel, rgb]) => {
      const c = document.querySelector(`#panel-${panel} canvas`);
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4)
        if (Math.abs(d[i] - rgb[0]) < 8 && Math.abs(d[i + 1] - rgb[1]) < 8 && Math.abs(d[i + 2] - rgb[2]) < 8) n++;
      return n;
    }""", [panel, list(rgb)])


def test_charts_with_a_few_points_are_readable(chromium: Any,
                                               cli: tuple[Server, list[str]]) -> None:
    server, sessions = cli
    basic = sessions[0]
    # A range where every request falls in one bucket: each series has a single point.
    page = open_page(chromium, f"{server.ui}/?from=now-7d&to=now", 1280)
    y = page.evaluate("""() => {
      const s = document.querySelector('#panel-error_rate .panel-body')._plot.scales.y;
      return [s.min, s.max];
    }""")
    assert y[0] == 0 and 0 < y[1] <= 1  # a ratio's axis never passes 100 %
    # p50 is the first colour of the palette: its single point is drawn, not an empty axis.
    assert painted(page, "api_latency", (0x73, 0xBF, 0x69)) > 10
    assert painted(page, "error_rate", (0x73, 0xBF, 0x69)) > 10
    page.context.close()
    # A session without errors: every value 0, and the axis a small 0-1 %, not 0-10,000 %.
    page = open_page(chromium, f"{server.ui}/?from=now-7d&to=now&var-session={basic}", 1280)
    assert page.evaluate("""() => {
      const s = document.querySelector('#panel-error_rate .panel-body')._plot.scales.y;
      return [s.min, s.max];
    }""") == [0, 0.01]
    assert painted(page, "error_rate", (0x73, 0xBF, 0x69)) > 10  # the zero is drawn
    page.context.close()


def test_users_are_short_with_the_full_id_on_hover(chromium: Any,
                                                   cli: tuple[Server, list[str]]) -> None:
    server, _ = cli
    page = open_page(chromium, f"{server.ui}/", 1280)
    cells = page.locator("#panel-top_sessions td[data-col='user']")
    assert cells.count() >= 3
    for i in range(cells.count()):
        full = cells.nth(i).get_attribute("data-value")
        assert re.fullmatch(r"[0-9a-f]{64}", full)  # an API-key user: an anonymous hash
        assert cells.nth(i).inner_text() == full[:8] + "…"
        assert cells.nth(i).get_attribute("title") == full
    bars = page.locator("#panel-cost_by_user .bar-name")
    assert all(len(bars.nth(i).inner_text()) == 9 for i in range(bars.count()))
    page.context.close()


def test_transcript_copies_are_not_events_in_the_live_log(
        chromium: Any, cli: tuple[Server, list[str]]) -> None:
    server, sessions = cli
    page = open_page(chromium, f"{server.ui}/", 1280)
    names = page.locator("#log-list > li").evaluate_all("ns => ns.map(n => n.dataset.event)")
    assert "transcript_copy" not in names
    # The transcripts were imported after telemetry: each request shows once.
    requests = sum(server.summary(session=s)["requests"] for s in sessions)
    assert names.count("api_request") == requests > 0
    page.context.close()


def story_rows(page: Any) -> list[dict[str, str]]:
    return page.locator(".story-row").evaluate_all("""rows => rows.map(r => ({
      cls: r.className, kind: r.querySelector('.story-kind').textContent,
      text: r.querySelector('.story-text').textContent,
      hover: r.querySelector('.story-line').title}))""")


def test_session_page_tells_each_interaction(chromium: Any,
                                             cli: tuple[Server, list[str]]) -> None:
    server, (basic, bashfail, _edit, api_error) = cli
    page = open_page(chromium, f"{server.ui}/sessions/{basic}", 1280, SESSION_READY)
    assert page.locator(".story").count() == 1
    # The prompt as typed (OTEL_LOG_USER_PROMPTS=1 was on).
    assert page.inner_text(".story .story-prompt") == "please run the basic task"
    rows = story_rows(page)
    requests = [r for r in rows if "llm" in r["cls"]]
    assert len(requests) == 2
    for r in requests:  # model, tokens and the request's exact cost
        assert re.fullmatch(r"claude-[\w.-]+ · [\d.,]+ K? ?in · \d+ out · [\d.,]+ K? ?cache read · \$0\.\d{4}",
                            r["text"]), r
    tool = next(r for r in rows if r["kind"] == "Bash")
    assert tool["text"] == "echo hello · ok"
    assert "tool_name: Bash" in tool["hover"]  # every attribute on hover
    decision = next(r for r in rows if "decision" in r["cls"])
    assert "accept" in decision["text"]
    # A click shows the span's attributes as a table.
    page.locator(".story-row", has_text="echo hello").locator(".story-line").click()
    assert "full_command" in page.locator(".story-row.open .attr-key").all_inner_texts()
    page.context.close()

    page = open_page(chromium, f"{server.ui}/sessions/{bashfail}", 1280, SESSION_READY)
    failed = next(r for r in story_rows(page) if r["kind"] == "Bash")
    assert failed["text"].endswith("· failed") and "error" in failed["cls"]
    page.context.close()

    page = open_page(chromium, f"{server.ui}/sessions/{api_error}", 1280, SESSION_READY)
    kinds = [r["kind"] for r in story_rows(page) if "error" in r["cls"]]
    assert "error: api_error" in kinds  # the event, in place among the spans
    page.context.close()


# Visible text a Japanese page may show in Latin letters: names and units, and data.
PROPER = {"Claude", "Code", "API", "CLI", "JSON", "ccotel", "claude", "Bash", "Write", "Edit",
          "Read", "TTFT", "PR", "env", "settings", "json", "ms", "K", "M", "B"}
DATA = (".panel-title, .brand, .crumb, .stat-value, .legend-value, td, .ev-line, .bar-value, pre,"
        " code, select[data-var], #log-event, .panel-json, .foot, .kv .v, .story-text,"
        " .story-prompt, .story-meta, .attrs, #panel-cost_by_model .bar-name,"
        " #panel-cost_by_user .bar-name, #panel-session_duration .bar-name,"
        # attribution: values (repos, branches, efforts, ...) and resource keys as found
        " [data-panel^=cost_by_] .bar-name, .attrib-filters .dim-key")
ENGLISH = """(data) => {
  const words = new Set();
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest(data) || p.closest('script, [hidden]') || !p.getClientRects().length) continue;
    for (const w of n.textContent.match(/\\b[A-Za-z]+\\b/g) || []) words.add(w);
  }
  for (const o of document.querySelectorAll('#range option, #refresh option, [placeholder], [aria-label]'))
    for (const w of (o.placeholder || o.getAttribute('aria-label') || o.textContent).match(/\\b[A-Za-z]+\\b/g) || [])
      words.add(w);
  return [...words];
}"""


@pytest.mark.parametrize("how", ["query", "accept-language"])
def test_japanese_pages_show_no_english_ui(chromium: Any, cli: tuple[Server, list[str]],
                                           how: str) -> None:
    server, sessions = cli
    ctx = {"locale": "ja-JP"} if how == "accept-language" else {}
    suffix = "?lang=ja" if how == "query" else ""
    page = open_page(chromium, f"{server.ui}/{suffix}", 390, **ctx)
    assert page.get_attribute("html", "lang") == "ja"
    assert set(page.evaluate(ENGLISH, DATA)) - PROPER == set()
    assert "Token Usage Rate" in page.locator(".panel-title").all_inner_texts()  # as Grafana
    assert layout(page) == []
    link = page.get_attribute("#panel-top_sessions tbody tr:first-child a", "href")
    page.context.close()
    if how == "query":
        assert "lang=ja" in link  # the language follows the reader to the session page
    for sid in (sessions[0], sessions[3]):
        page = open_page(chromium, f"{server.ui}/sessions/{sid}{suffix}", 390, SESSION_READY,
                         **ctx)
        assert set(page.evaluate(ENGLISH, DATA)) - PROPER == set(), sid
        assert layout(page) == []
        page.context.close()
