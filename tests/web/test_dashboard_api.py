"""The dashboard's JSON API over telemetry with known totals: every panel's number, the
range and filters, agreement with /api/v1/summary, logs, sessions, filters, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from ccotel import panel_data
from ccotel.panels import PANELS, PANELS_BY_ID
from ccotel.store import rollups, schema
from ccotel.store.writer import Writer
from ccotel.web.app import WebContext, build_app
from tests.web import known

RANKED = {"tool_usage_distribution", "cost_by_model", "cost_by_user"}
NOW = known.now()


@pytest.fixture(scope="module", autouse=True)
def _now() -> None:
    """NOW is when this module's tests start, not when it was collected: in a full run the
    two are minutes apart, and the panels' "last hour" is read from the wall clock."""
    global NOW
    NOW = known.now()
SEED_TITLES = ["Token Usage Rate", "Total Tokens (Last Hour)", "Tool Call Rate by Tool",
               "Tool Usage Distribution", "Session Duration", "Error Rate", "Total Requests",
               "Total Errors", "Total Tool Calls", "Average Response Time", "Claude Code Logs"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    data = tmp_path_factory.mktemp("known")
    known.write(data, NOW)
    con = schema.connect(data)
    yield con
    con.close()


@pytest.fixture(scope="module")
def client(store: Any) -> TestClient:
    return TestClient(build_app(WebContext(store.cursor)))


def panel(client: TestClient, panel_id: str, params: dict[str, str]) -> dict[str, Any]:
    resp = client.get(f"/api/v1/panels/{panel_id}", params=params)
    assert resp.status_code == 200, resp.text
    return resp.json()


def as_dict(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {i["name"]: i["value"] for i in items}


@pytest.mark.parametrize("view", list(known.EXPECTED))
def test_every_panel_shows_the_known_numbers(client: TestClient, view: str) -> None:
    for panel_id, expected in known.EXPECTED[view].items():
        body = panel(client, panel_id, known.VIEWS[view])
        data = body["data"]
        if isinstance(expected, dict):
            got = as_dict(data["items"])
            assert got == pytest.approx(expected), (view, panel_id)
            values = [i["value"] for i in data["items"]]
            if panel_id in RANKED:  # largest first; the others keep their natural order
                assert values == sorted(values, reverse=True)
        else:
            assert data["value"] == pytest.approx(expected), (view, panel_id)


def test_the_catalogue_has_the_seed_titles_and_a_function_per_panel(client: TestClient) -> None:
    body = client.get("/api/v1/panels").json()
    titles = [p["title"] for p in body["panels"]]
    for title in SEED_TITLES:
        assert title in titles
    assert [p["id"] for p in body["panels"]] == [p.id for p in PANELS]
    for p in body["panels"]:
        assert p["endpoint"] == f"/api/v1/panels/{p['id']}"
        assert p["id"] in panel_data.DATA
        assert {"title", "kind", "unit", "width", "height", "fixed_range"} <= set(p)
    assert set(panel_data.DATA) == set(PANELS_BY_ID)  # no function without a panel
    assert PANELS_BY_ID["total_tokens_last_hour"].fixed_range == "1h"


def test_only_total_tokens_last_hour_ignores_the_range(client: TestClient) -> None:
    hour = [panel(client, "total_tokens_last_hour", known.VIEWS[v]) for v in ("1h", "6h", "7d")]
    assert {h["data"]["value"] for h in hour} == {5150}
    span = (datetime.fromisoformat(hour[2]["to"][:-1])
            - datetime.fromisoformat(hour[2]["from"][:-1]))
    assert span == timedelta(hours=1)
    cost = panel(client, "total_cost", known.VIEWS["7d"])
    assert (datetime.fromisoformat(cost["to"][:-1])
            - datetime.fromisoformat(cost["from"][:-1])) == timedelta(days=7)


@pytest.mark.parametrize("view", list(known.VIEWS))
def test_panels_agree_with_the_summary_api(client: TestClient, view: str) -> None:
    params = known.VIEWS[view]
    summary = client.get("/api/v1/summary", params={k.removeprefix("var-"): v
                                                   for k, v in params.items()}).json()
    tokens = as_dict(panel(client, "tokens_by_type", params)["data"]["items"])
    assert tokens == summary["tokens"]
    assert panel(client, "total_cost", params)["data"]["value"] == pytest.approx(
        summary["cost_usd"])
    assert panel(client, "total_requests", params)["data"]["value"] == summary["requests"]
    assert panel(client, "total_errors", params)["data"]["value"] == summary["errors"]
    lines = as_dict(panel(client, "lines_of_code", params)["data"]["items"])
    assert (lines["added"], lines["removed"]) == (summary["lines_added"],
                                                 summary["lines_removed"])
    if "var-model" not in params:
        # The summary counts model-less rows (tool calls, commits) out under a model
        # filter; the dashboard attributes them to the sessions that used the model.
        assert panel(client, "total_tool_calls", params)["data"]["value"] == \
            summary["tool_calls"]
        assert panel(client, "commits", params)["data"]["value"] == summary["commits"]
        assert panel(client, "sessions", params)["data"]["value"] == summary["sessions"]


def test_timeseries_totals_match_the_breakdowns(client: TestClient) -> None:
    params = known.VIEWS["6h"]
    rate = panel(client, "token_usage_rate", params)["data"]
    assert rate["step_s"] == 300
    assert len(rate["times"]) in (72, 73)
    for s in rate["series"]:
        assert len(s["values"]) == len(rate["times"])
    assert {s["name"]: s["total"] for s in rate["series"]} == \
        as_dict(panel(client, "tokens_by_type", params)["data"]["items"])
    # A rate is per minute: the bucket's sum divided by its five minutes.
    assert sum(sum(v for v in s["values"]) for s in rate["series"]) * 5 == pytest.approx(
        sum(s["total"] for s in rate["series"]))
    tools = panel(client, "tool_call_rate", params)["data"]
    assert {s["name"]: s["total"] for s in tools["series"]} == \
        as_dict(panel(client, "tool_usage_distribution", params)["data"]["items"])
    for s in tools["series"]:  # each tool's calls in its own series' buckets, per minute
        assert len(s["values"]) == len(tools["times"])
        assert sum(s["values"]) * 5 == pytest.approx(s["total"])
    errors = panel(client, "error_rate", params)["data"]
    assert (errors["errors"], errors["requests"]) == (1, 5)
    assert errors["series"][0]["total"] == pytest.approx(1 / 6, abs=1e-6)
    assert max(v for v in errors["series"][0]["values"] if v is not None) == pytest.approx(
        1 / 3, abs=1e-6)
    latency = panel(client, "api_latency", params)["data"]
    assert [s["name"] for s in latency["series"]] == ["p50", "p95", "ttft p50", "ttft p95"]
    assert max(v for v in latency["series"][0]["values"] if v is not None) == 2000


def test_tables(client: TestClient) -> None:
    top = panel(client, "top_sessions", known.VIEWS["6h"])["data"]
    assert [r["session_id"] for r in top["rows"]] == [known.S4, known.S2, known.S1]
    s1 = top["rows"][2]
    assert (s1["user"], s1["requests"], s1["errors"], s1["tool_calls"], s1["prompts"]) == \
        (known.ALICE, 2, 1, 2, 1)
    assert s1["cost_usd"] == pytest.approx(0.03)
    assert s1["tokens"] == 3650
    edits = panel(client, "edit_decisions", known.VIEWS["6h"])["data"]["rows"]
    assert [(r["tool"], r["language"], r["accept"], r["reject"]) for r in edits] == \
        [("Edit", "Python", 2, 1), ("Edit", "TypeScript", 2, 0)]
    durations = panel(client, "session_duration", known.VIEWS["1h"])["data"]["items"]
    assert durations[0]["session_id"] == known.S1 and durations[0]["value"] == 10


def test_grafana_time_grammar(client: TestClient) -> None:
    start, end = NOW - timedelta(hours=6), NOW
    ms = {"from": str(int(start.replace(tzinfo=UTC).timestamp() * 1000)),
          "to": str(int(end.replace(tzinfo=UTC).timestamp() * 1000))}
    rfc = {"from": start.isoformat() + "Z", "to": end.isoformat() + "Z"}
    for params in (ms, rfc, {**known.VIEWS["6h"], "var-user": "All", "var-model": ""}):
        assert panel(client, "total_cost", params)["data"]["value"] == pytest.approx(0.83)


@pytest.mark.parametrize("view", list(known.VIEWS))
def test_panels_asked_for_together_are_each_as_asked_for_alone(client: TestClient,
                                                                view: str) -> None:
    """/api/v1/dashboard answers every panel asked for, in the order asked, each as
    /api/v1/panels/<id> answers it (the reads they share run once)."""
    spans = {"now-1h": timedelta(hours=1), "now-6h": timedelta(hours=6),
             "now-7d": timedelta(days=7)}
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    params = {**known.VIEWS[view],  # fixed times: both reads see the same range
              "from": str(int((end - spans[known.VIEWS[view]["from"]]).timestamp() * 1000)),
              "to": str(int(end.timestamp() * 1000))}
    ids = [p.id for p in reversed(PANELS) if p.id != "total_tokens_last_hour"]  # wall clock
    resp = client.get("/api/v1/dashboard", params={**params, "panels": ",".join(ids)})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [p["id"] for p in body["panels"]] == ids
    assert (body["from"], body["to"]) == (body["panels"][0]["from"], body["panels"][0]["to"])
    for got in body["panels"]:
        assert got == panel(client, got["id"], params), (view, got["id"])
    # a few at a time, repeated, with spaces: each once, in the order first named
    few = client.get("/api/v1/dashboard", params={
        **params, "panels": "cost_by_skill, total_cost,cost_by_skill,,cost_by_model"}).json()
    assert [p["id"] for p in few["panels"]] == ["cost_by_skill", "total_cost", "cost_by_model"]
    assert few["panels"][0] == next(p for p in body["panels"] if p["id"] == "cost_by_skill")


def test_the_dashboard_endpoint_gives_every_panel_without_a_list(client: TestClient) -> None:
    body = client.get("/api/v1/dashboard", params={"from": "now-6h"}).json()
    assert [p["id"] for p in body["panels"]] == [p.id for p in PANELS]
    for params, status, words in (({"panels": "total_cost,nope"}, 404, "no panel 'nope'"),
                                  ({"panels": " , ,"}, 400, "names no panel"),
                                  ({"panels": "x" * 5000}, 404, "no panel"),
                                  ({"panels": "total_cost", "from": "soon"}, 400, "")):
        resp = client.get("/api/v1/dashboard", params=params)
        assert resp.status_code == status, params
        message = resp.json()["error"]["message"]
        assert words in message and "\n" not in message and len(message) < 300


def test_errors_use_the_envelope(client: TestClient) -> None:
    for path, status in (("/api/v1/panels/nope", 404), ("/api/v1/panels/total_cost?from=soon", 400),
                         ("/api/v1/sessions/nope", 404), ("/api/v1/nope", 404),
                         ("/api/v1/logs?after=x", 400),
                         ("/api/v1/panels/total_cost?from=now&to=now-1h", 400)):
        resp = client.get(path)
        assert resp.status_code == status, path
        body = resp.json()
        assert set(body) == {"error"} and body["error"]["status"] == status
        assert body["error"]["message"]


# -- logs -------------------------------------------------------------------------------


def test_logs_newest_first_with_every_attribute(client: TestClient) -> None:
    body = client.get("/api/v1/logs", params={"from": "now-1h"}).json()
    names = [e["event"] for e in body["events"]]
    assert names == ["api_error", "tool_result", "api_request", "tool_result",
                     "tool_decision", "api_request", "user_prompt"]
    prompt = body["events"][-1]
    # Stored and returned as text, untouched: the page shows it with textContent.
    assert prompt["attributes"]["prompt"] == known.XSS_PROMPT
    assert prompt["summary"] == known.XSS_PROMPT
    assert prompt["attributes"]["user.email"] == known.ALICE
    assert prompt["resource"]["service.name"] == "claude-code"
    failed = body["events"][1]
    assert failed["attributes"]["success"] is False
    assert failed["attributes"]["error_type"] == "FileNotFoundError"
    assert body["cursor"] is not None


def test_logs_filter_by_event_text_and_dashboard_filters(client: TestClient) -> None:
    def names(**params: str) -> list[str]:
        return [e["event"] for e in client.get("/api/v1/logs", params=params).json()["events"]]

    assert names(**{"from": "now-7d", "event": "api_error"}) == ["api_error"]
    assert names(**{"from": "now-7d", "q": "overloaded"}) == ["api_error"]
    assert names(**{"from": "now-7d", "q": "FileNotFound"}) == ["tool_result"]
    assert len(names(**{"from": "now-7d", "var-user": known.BOB})) == 6
    # With a model filter, the model's requests and the tool calls of its sessions.
    assert names(**{"from": "now-7d", "var-model": known.HAIKU}) == ["tool_result",
                                                                     "api_request"]
    assert len(names(**{"from": "now-7d", "limit": "2"})) == 2


def test_live_tail_returns_only_what_arrived_after_the_cursor(tmp_path: Path) -> None:
    from ccotel.otlp.decode import decode_request
    from ccotel.store.writer import Writer

    known.write(tmp_path, NOW)
    con = schema.connect(tmp_path)
    try:
        c = TestClient(build_app(WebContext(con.cursor)))
        # The hour before NOW, fixed: NOW is taken when the module loads, minutes earlier
        # in a full run, so "now-1h" would drift past the late event below.
        since = str(int((NOW - timedelta(hours=1)).replace(tzinfo=UTC).timestamp() * 1000))
        first = c.get("/api/v1/logs", params={"from": since}).json()
        again = c.get("/api/v1/logs", params={"from": since, "after": first["cursor"]}).json()
        assert again["events"] == [] and again["cursor"] == first["cursor"]
        late = known.logs(known.BOB, [known.event(NOW - timedelta(minutes=50), known.BOB, "s9",
                                                  0, "user_prompt", prompt="late arrival")])
        Writer(con).write_now(decode_request("logs", json.dumps(late).encode(), "json"))
        tail = c.get("/api/v1/logs", params={"from": since, "after": first["cursor"]}).json()
        # Older than the newest shown, yet found: the cursor counts arrivals, not times.
        assert [e["summary"] for e in tail["events"]] == ["late arrival"]
        assert int(tail["cursor"]) > int(first["cursor"])
    finally:
        con.close()


# -- sessions and filters ---------------------------------------------------------------


def test_session_timeline(client: TestClient) -> None:
    s = client.get(f"/api/v1/sessions/{known.S1}").json()
    assert s["user"] == known.ALICE and s["models"] == [known.OPUS]
    assert [e["event"] for e in s["timeline"]] == ["user_prompt", "api_request",
                                                   "tool_decision", "tool_result",
                                                   "api_request", "tool_result", "api_error"]
    t = s["totals"]
    assert (t["prompts"], t["requests"], t["errors"], t["tool_calls"], t["tool_failures"]) == \
        (1, 2, 1, 2, 1)
    assert t["cost_usd"] == pytest.approx(0.03)
    assert t["tokens"] == {"input": 300, "output": 150, "cacheRead": 3000, "cacheCreation": 200}
    assert s["duration_s"] == 10
    assert s["metrics"]["commit.count"] == 1
    bash = s["timeline"][3]
    assert bash["attributes"]["tool_parameters"] == known.XSS_PARAMS
    assert s["spans"] == []
    metrics_only = client.get(f"/api/v1/sessions/{known.S4}").json()
    assert metrics_only["timeline"] == []
    assert metrics_only["totals"]["cost_usd"] == pytest.approx(0.5)
    assert metrics_only["totals"]["tokens"]["input"] == 1000


def test_session_waterfall_from_demo_spans(tmp_path: Path) -> None:
    from ccotel.demo.generate import Spec
    from ccotel.demo.load import fill_data_dir

    fill_data_dir(tmp_path, Spec(users=3, days=1, seed=7))
    con = schema.connect(tmp_path)
    try:
        sid = con.execute("SELECT session_id FROM spans GROUP BY 1 ORDER BY count(*) DESC "
                          "LIMIT 1").fetchone()[0]
        s = TestClient(build_app(WebContext(con.cursor))).get(f"/api/v1/sessions/{sid}").json()
    finally:
        con.close()
    names = {sp["name"] for sp in s["spans"]}
    assert {"claude_code.interaction", "claude_code.llm_request", "claude_code.tool"} <= names
    ids = {sp["span_id"] for sp in s["spans"]}
    roots = [sp for sp in s["spans"] if sp["parent_span_id"] is None]
    assert roots and all(sp["parent_span_id"] in ids for sp in s["spans"] if sp not in roots)


def test_filters_list_what_the_range_holds(client: TestClient) -> None:
    f = client.get("/api/v1/filters", params={"from": "now-7d"}).json()
    assert {u["value"] for u in f["users"]} == {known.ALICE, known.BOB}
    assert {m["value"] for m in f["models"]} == {known.OPUS, known.SONNET, known.HAIKU}
    assert {s["value"] for s in f["sessions"]} == {known.S1, known.S2, known.S3, known.S4}
    assert {t["value"] for t in f["terminals"]} == {"vscode", "iTerm.app"}
    assert {v["value"] for v in f["versions"]} == {"2.1.332", "2.1.331"}
    assert f["empty"] is False
    hour = client.get("/api/v1/filters", params={"from": "now-1h"}).json()
    assert {s["value"] for s in hour["sessions"]} == {known.S1, known.S4}


# -- pages ------------------------------------------------------------------------------


def test_dashboard_page(client: TestClient) -> None:
    resp = client.get("/", params={"from": "now-6h"})
    assert resp.status_code == 200
    html = resp.text
    for p in PANELS:
        assert f'id="panel-{p.id}"' in html
        assert f">{p.title}</h3>" in html.replace("&#39;", "'")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert '<section id="setup" class="setup" hidden>' in html
    assert "cdn" not in html.lower()
    config = html.split('<script type="application/json" id="ccotel-config">')[1].split("</script>")[0]
    assert [p["id"] for p in json.loads(config)["panels"]] == [p.id for p in PANELS]


def test_empty_store_shows_how_to_connect_claude_code(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    try:
        c = TestClient(build_app(WebContext(con.cursor)))
        html = c.get("/").text
        assert '<section id="setup" class="setup">' in html
        assert "export CLAUDE_CODE_ENABLE_TELEMETRY=1" in html
        assert "export OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317" in html
        assert c.get("/api/v1/filters").json()["empty"] is True
        # Every panel still answers, with zeros or nothing, never an error.
        for p in PANELS:
            assert c.get(p.endpoint).status_code == 200, p.id
    finally:
        con.close()


def test_static_assets_ship_in_the_package(client: TestClient) -> None:
    for path in ("/static/vendor/uplot/uPlot.iife.min.js", "/static/vendor/uplot/uPlot.min.css",
                 "/static/vendor/uplot/LICENSE", "/static/dashboard.js", "/static/render.js",
                 "/static/api.js", "/static/format.js", "/static/session.js",
                 "/static/dashboard.css"):
        assert client.get(path).status_code == 200, path
    assert "MIT License" in client.get("/static/vendor/uplot/LICENSE").text
    session = client.get(f"/sessions/{known.S1}")
    assert session.status_code == 200 and known.S1 in session.text


def test_page_scripts_never_parse_data_as_html() -> None:
    static = Path(__file__).resolve().parents[2] / "src" / "ccotel" / "web" / "static"
    for js in static.glob("*.js"):
        text = js.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{js.name} uses {sink}"


def test_the_servers_reads_take_the_writers_mark_of_the_rollups(
        store: Any, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the writer at hand (as `ccotel serve` runs), a panel's read takes the writer's
    mark of rolled_until instead of asking the store for it: a statement fewer per panel,
    the same numbers."""
    params = known.VIEWS["7d"]
    want = {p: panel(client, p, params)["data"] for p in ("total_cost", "cost_by_repo")}
    served = TestClient(build_app(WebContext(store.cursor, writer=Writer(store))))

    def asked(_con: Any) -> None:
        raise AssertionError("a read asked the store for rolled_until")

    monkeypatch.setattr(rollups, "rolled_until", asked)
    assert {p: panel(served, p, params)["data"] for p in want} == want
