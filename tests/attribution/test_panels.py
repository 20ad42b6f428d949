"""The dashboard side of attribution: the "Cost by ..." panels, "Where the money went", the
`var-` filters and their values, and a repo's page, over the JSON API the pages draw."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from ccotel import panel_data as panel_store
from ccotel.otlp.decode import decode_request
from ccotel.panels import GRAFANA_PANELS, PANELS, PANELS_BY_ID, page_batches
from ccotel.query import Query
from ccotel.store import attribution, rollups, schema
from ccotel.store.schema import SchemaError
from ccotel.store.writer import Writer
from ccotel.web.app import WebContext, build_app
from tests.attribution.helpers import T0, Req, store
from tests.attribution.test_breakdowns import _REQ, REQS, report
from tests.web import known

RANGE = {"from": (T0 - timedelta(hours=1)).isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}


def record_git(data_dir: Path, session: str, repo: str, branch: str) -> None:
    """A session's git record, as `POST /api/v1/sessions/{id}/git` stores it."""
    # Recorded after the session's requests: its own resource (ccotel's) must not hide
    # theirs (team, ...).
    body = attribution.git_record(session, {"repo": repo, "branch": branch},
                                  now_ns=int((T0 + timedelta(hours=2)).timestamp() * 1e9))
    con = schema.connect(data_dir)
    try:
        Writer(con).write_now(decode_request("logs", body, "json"))
    finally:
        con.close()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    d = tmp_path_factory.mktemp("attribpanels")
    store(d, REQS)
    record_git(d, "s1", "github.com/acme/api", "main")
    record_git(d, "s2", "github.com/acme/web", "feature/x")
    con = schema.connect(d, read_only=True)
    yield TestClient(build_app(WebContext(con.cursor)))
    con.close()


def get(client: TestClient, path: str, **params: str) -> dict[str, Any]:
    resp = client.get(path, params={**RANGE, **params})
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def costs(data: dict[str, Any]) -> dict[str, str]:
    return {i["name"]: i["cost_exact"] for i in data["items"]}


@pytest.mark.parametrize(("panel", "expected"), [
    ("cost_by_repo", {"github.com/acme/api": "0.3", "github.com/acme/web": "0.3",
                      "(unknown)": "0.000000000007"}),
    ("cost_by_branch", {"main": "0.3", "feature/x": "0.3", "(unknown)": "0.000000000007"}),
    ("cost_by_skill", {"pdf": "0.1", "(unknown)": "0.500000000007"}),
    ("cost_by_agent", {"explorer": "0.2", "(unknown)": "0.400000000007"}),
    ("cost_by_mcp", {"github": "0.3", "(unknown)": "0.300000000007"}),
    ("cost_by_query_source", {"main": "0.1", "subagent": "0.2", "(unknown)": "0.300000000007"}),
    ("cost_by_effort", {"high": "0.1", "(unknown)": "0.500000000007"}),
    ("cost_by_team", {"core": "0.3", "web": "0.3", "(unknown)": "0.000000000007"}),
])
def test_cost_and_tokens_by_dimension(client: TestClient, panel: str,
                                      expected: dict[str, str]) -> None:
    data = get(client, f"/api/v1/panels/{panel}")["data"]
    assert costs(data) == expected
    total = data["total"]
    assert total["cost_exact"] == "0.600000000007" and total["requests"] == 4
    assert sum(Decimal(i["cost_exact"]) for i in data["items"]) == Decimal(total["cost_exact"])
    assert sum(i["tokens"] for i in data["items"]) == total["tokens"] == 4 * 150
    # The same total as the Total Cost panel and the repos report.
    assert get(client, "/api/v1/panels/total_cost")["data"]["value"] == total["value"]


def test_filters_narrow_the_attribution_panels(client: TestClient) -> None:
    data = get(client, "/api/v1/panels/cost_by_skill", **{"var-team": "core"})["data"]
    assert costs(data) == {"pdf": "0.1", "(unknown)": "0.2"}
    data = get(client, "/api/v1/panels/cost_by_team",
               **{"var-repo": "github.com/acme/web"})["data"]
    assert costs(data) == {"web": "0.3"}
    data = get(client, "/api/v1/panels/cost_by_repo",
               **{"var-query_source": "subagent", "var-mcp_server.name": "All"})["data"]
    assert costs(data) == {"github.com/acme/api": "0.2"}
    # The dashboard's own filters apply too (the model filter without -fast).
    data = get(client, "/api/v1/panels/cost_by_repo", model="claude-sonnet-4-5",
               session="s2")["data"]
    assert costs(data) == {"github.com/acme/web": "0.3"}
    assert get(client, "/api/v1/panels/cost_by_repo", **{"var-skill": "none"})["data"] == {
        "dimension": "repo", "items": [],
        "total": {"name": "Total", "value": 0.0, "cost_exact": "0", "tokens": 0,
                  "requests": 0, "sessions": 0}}


@pytest.mark.parametrize("params", [{"var-a b": "x"}, {"var-" + "k" * 80: "x"},
                                    {f"var-k{i}": "x" for i in range(17)}])
def test_bad_filters_are_a_400(client: TestClient, params: dict[str, str]) -> None:
    for path in ("/api/v1/panels/cost_by_repo", "/api/v1/panels/total_cost", "/api/v1/filters",
                 "/api/v1/repo"):
        resp = client.get(path, params={**RANGE, "var-repo": "r", **params})
        assert resp.status_code == 400, (path, resp.text)
        assert resp.json()["error"]["message"]


def test_filter_values_offer_what_the_range_holds(client: TestClient) -> None:
    dims = get(client, "/api/v1/filters")["dimensions"]
    # Named dimensions first, then resource keys found in the data; SDK keys left out.
    assert list(dims) == ["repo", "branch", "query_source", "effort", "speed", "skill",
                          "agent", "plugin", "mcp", "mcp_tool", "cost_center", "team"]
    assert dims["team"] == [{"value": "core", "count": 2}, {"value": "(unknown)", "count": 1},
                            {"value": "web", "count": 1}]
    assert {v["value"] for v in dims["repo"]} == {"github.com/acme/api", "github.com/acme/web",
                                                  "(unknown)"}
    assert get(client, "/api/v1/filters", **{"from": "2020-01-01T00:00:00Z",
                                             "to": "2020-01-02T00:00:00Z"})["dimensions"] == {}


def test_the_rest_is_one_item_and_the_parts_still_add_up(tmp_path: Path) -> None:
    reqs = [Req(f"s{i}", Decimal(i) / 1000, resource={"team": f"t{i:02}"}) for i in range(1, 15)]
    store(tmp_path, reqs)
    con = schema.connect(tmp_path, read_only=True)
    try:
        data = get(TestClient(build_app(WebContext(con.cursor))),
                   "/api/v1/panels/cost_by_team")["data"]
    finally:
        con.close()
    names = [i["name"] for i in data["items"]]
    assert names == [f"t{i:02}" for i in range(14, 4, -1)] + ["(other)"]
    assert data["items"][-1]["cost_exact"] == "0.01"  # t01..t04
    assert sum(Decimal(i["cost_exact"]) for i in data["items"]) == Decimal("0.105")
    assert data["total"]["cost_exact"] == "0.105"


def test_where_the_money_went(client: TestClient, tmp_path: Path) -> None:
    store(tmp_path, [
        Req("s1", Decimal("0.5"), cache_creation=1000, attrs={"query_source": "main"}),
        Req("s1", Decimal("0.25"), cache_creation=300, attrs={"query_source": "main"}),
        Req("s1", Decimal("0.125"), attrs={"query_source": "compact"}),
        Req("s1", Decimal("0.0625"), attrs={"query_source": "subagent"}),
        Req("s1", Decimal(0), event="api_error", attrs={"error": "overloaded"}),
        Req("s2", Decimal(1), cache_creation=50, resource={"team": "web"}),
    ])
    record_git(tmp_path, "s2", "github.com/acme/web", "main")
    con = schema.connect(tmp_path, read_only=True)
    try:
        data = get(TestClient(build_app(WebContext(con.cursor))), "/api/v1/panels/waste")["data"]
    finally:
        con.close()
    rows = {(r["user"], r["repo"]): r for r in data["rows"]}
    assert list(rows) == [("u1", "(unknown)"), ("u1", "github.com/acme/web")]
    first = rows[("u1", "(unknown)")]
    assert (first["compaction_cost"], first["subagent_cost"]) == (0.125, 0.0625)
    assert (first["cache_rewrite_tokens"], first["api_errors"]) == (300, 1)
    assert data["total"]["cost_usd"] == 1.9375
    rep = report(tmp_path, "waste")["totals"]
    assert data["total"]["requests"] == rep["requests"] == 5
    assert data["total"]["cache_rewrite_tokens"] == rep["cacheRewriteTokens"]


def test_a_subagent_request_is_known_by_its_agent_name(tmp_path: Path) -> None:
    """On events Claude Code's query source is a subsystem name; a subagent's requests name
    their agent (agent.name): Where the Money Went counts them as subagents, in the panel
    and in the report alike."""
    store(tmp_path, [
        Req("s1", Decimal("0.5"), attrs={"query_source": "repl_main_thread"}),
        Req("s1", Decimal("0.25"), attrs={"query_source": "agent:builtin:Explore",
                                          "agent.name": "Explore"}),
        Req("s1", Decimal("0.125"), attrs={"query_source": "subagent"}),
        Req("s1", Decimal("0.0625"), attrs={"query_source": "compact",
                                            "agent.name": "Explore"}),
    ])
    con = schema.connect(tmp_path, read_only=True)
    try:
        data = get(TestClient(build_app(WebContext(con.cursor))), "/api/v1/panels/waste")["data"]
        with rollups.raw_only():  # the same from raw rows as from the hourly rollup
            raw = attribution.waste_panel(con.cursor(), Query.parse(RANGE))
    finally:
        con.close()
    assert raw["total"] == data["total"]
    assert data["total"]["subagent_cost"] == 0.375
    assert data["total"]["compaction_cost"] == 0.0625  # a compaction first
    totals = report(tmp_path, "waste")["totals"]
    assert totals["subagentCost"] == 0.375 and totals["compactionCost"] == 0.0625


def test_repo_page_and_its_data(client: TestClient) -> None:
    data = get(client, "/api/v1/repo", **{"var-repo": "github.com/acme/api"})
    assert data["total"]["cost_exact"] == "0.3" and data["total"]["sessions"] == 1
    for part in ("people", "models", "branches", "sessions"):
        assert sum(Decimal(i["cost_exact"]) for i in data[part]) == Decimal("0.3"), part
    assert [i["name"] for i in data["branches"]] == ["main"]
    assert [i["name"] for i in data["sessions"]] == ["s1"]
    assert data["over_time"]["step"] == "hour"
    assert costs(data["over_time"]) == {"2026-11-02 09:00": "0.3"}
    week = get(client, "/api/v1/repo", **{"var-repo": "github.com/acme/api",
                                          "to": (T0 + timedelta(days=7)).isoformat()})
    assert week["over_time"]["step"] == "day"
    assert costs(week["over_time"]) == {"2026-11-02": "0.3"}
    # The page names the repo; its data is the API's.
    page = client.get("/repo", params={"var-repo": "github.com/acme/api", "lang": "ja"})
    assert page.status_code == 200 and "github.com/acme/api" in page.text
    assert "リポジトリ" in page.text and "/static/repo.js" in page.text
    resp = client.get("/api/v1/repo", params=RANGE)
    assert resp.status_code == 400 and "var-repo" in resp.json()["error"]["message"]
    assert client.get("/repo").status_code == 400


def test_attribution_panels_are_serve_only() -> None:
    ids = {p.id for p in GRAFANA_PANELS}
    for pid in [*attribution.PANEL_DIMENSIONS, "waste"]:
        assert PANELS_BY_ID[pid].serve_only and pid not in ids


# -- property: the panels' parts add up exactly, to the reports' totals too -------------------

_PANEL_DIMS = st.sampled_from(sorted(attribution.PANEL_DIMENSIONS))


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.lists(_REQ, min_size=1, max_size=14), _PANEL_DIMS)
def test_panel_parts_sum_exactly_to_the_total(reqs: list[Req], panel: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        store(d, reqs)
        expected = sum((r.cost for r in reqs), Decimal(0))
        con = schema.connect(d, read_only=True)
        try:
            data = get(TestClient(build_app(WebContext(con.cursor))),
                       f"/api/v1/panels/{panel}")["data"]
        finally:
            con.close()
        total = Decimal(data["total"]["cost_exact"])
        assert total == expected
        assert sum(Decimal(i["cost_exact"]) for i in data["items"]) == total
        assert sum(i["requests"] for i in data["items"]) == len(reqs)
        dim = attribution.PANEL_DIMENSIONS[panel]
        rep = report(d, "repos", breakdown=dim)
        assert Decimal(rep["totals"]["totalCostExact"]) == total


# -- every panel under the attribution filters -------------------------------------------------


def _without_range(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("from", "to")}


@pytest.mark.parametrize("panel", [p for p in PANELS_BY_ID if p not in attribution.PANEL_FUNCTIONS
                                   and p != "total_tokens_last_hour"])
def test_session_level_filters_apply_to_every_panel(client: TestClient, panel: str) -> None:
    """Repo github.com/acme/api and team web are one session each (s1, s2): under their
    filter every panel shows what it shows for that session."""
    for params, session in (({"var-repo": "github.com/acme/api"}, "s1"),
                            ({"var-team": "web"}, "s2")):
        got = get(client, f"/api/v1/panels/{panel}", **params)
        assert "unfiltered" not in got
        assert _without_range(got) == _without_range(
            get(client, f"/api/v1/panels/{panel}", session=session)), (panel, params)
    assert get(client, "/api/v1/summary", **{"var-team": "web"})["cost_usd"] == 0.3


def test_request_level_filters_are_named_where_they_do_not_apply(client: TestClient) -> None:
    params = {"var-skill": "pdf", "var-effort": "high", "var-repo": "github.com/acme/api"}
    body = get(client, "/api/v1/panels/total_requests", **params)
    assert body["unfiltered"] == ["effort", "skill"]
    assert body["data"]["value"] == 2  # filtered by its repo only
    body = get(client, "/api/v1/panels/cost_by_model", **params)
    assert body["unfiltered"] == ["effort", "skill"]
    body = get(client, "/api/v1/panels/cost_by_repo", **params)
    assert "unfiltered" not in body
    assert costs(body["data"]) == {"github.com/acme/api": "0.1"}


@pytest.fixture(scope="module")
def known_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """tests/web/known.py's telemetry (tools, errors, metrics, edits) with a repo recorded
    for two of its sessions."""
    d = tmp_path_factory.mktemp("known-attrib")
    known.write(d, datetime.now(UTC).replace(tzinfo=None))
    record_git(d, known.S1, "github.com/acme/api", "main")
    record_git(d, known.S2, "github.com/acme/web", "dev")
    con = schema.connect(d, read_only=True)
    yield TestClient(build_app(WebContext(con.cursor)))
    con.close()


@pytest.mark.parametrize("panel", [p for p in PANELS_BY_ID if p not in attribution.PANEL_FUNCTIONS
                                   and p not in ("total_tokens_last_hour", "logs")])
def test_a_repo_filter_is_its_sessions_on_every_panel(known_client: TestClient,
                                                      panel: str) -> None:
    for repo, session in (("github.com/acme/api", known.S1), ("github.com/acme/web", known.S2)):
        week = {"from": "now-7d", "to": "now"}
        got = known_client.get(f"/api/v1/panels/{panel}", params={**week, "var-repo": repo})
        want = known_client.get(f"/api/v1/panels/{panel}", params={**week, "session": session})
        assert got.status_code == want.status_code == 200
        assert got.json()["data"] == want.json()["data"], (panel, repo)


# -- the rollup --------------------------------------------------------------------------------


def _panels(con: Any, q: Any) -> dict[str, Any]:
    return {pid: panel_store.panel_data(con, pid, q)["data"]
            for pid in attribution.PANEL_FUNCTIONS}


def test_the_rollup_changes_no_number(tmp_path: Path) -> None:
    """attrib_hourly holds the whole hours: every attribution panel, with and without
    filters, and the filter values, are what the raw rows give."""
    store(tmp_path, REQS)
    store(tmp_path, [Req("s4", Decimal("0.5"), attrs={"skill.name": "pdf"},
                         resource={"team": "core"})], start=T0 + timedelta(minutes=90))
    record_git(tmp_path, "s1", "github.com/acme/api", "main")
    con = schema.connect(tmp_path, read_only=True)
    try:
        assert con.execute("SELECT sum(requests) FROM attrib_hourly").fetchone() == (5,)
        # Whole hours from the rollup, the half hours at both ends raw.
        for params in ({}, {"var-team": "core"}, {"var-skill": "pdf", "var-repo": "(unknown)"}):
            q = Query.parse({"from": (T0 - timedelta(minutes=30)).isoformat(),
                             "to": (T0 + timedelta(minutes=150)).isoformat(), **params})
            with rollups.raw_only():
                raw = _panels(con, q), attribution.filter_values(con, q)
            assert (_panels(con, q), attribution.filter_values(con, q)) == raw, params
        assert raw[0]["cost_by_skill"]["total"]["cost_exact"] == "0.5"
    finally:
        con.close()


def test_a_version_5_store_gets_the_rollup_on_upgrade(tmp_path: Path) -> None:
    store(tmp_path, REQS)
    record_git(tmp_path, "s2", "github.com/acme/web", "feature/x")
    con = schema.connect(tmp_path)
    con.execute("DROP TABLE attrib_hourly")
    con.execute("DROP TABLE session_git")
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(SchemaError, match="schema version 5"):
        schema.connect(tmp_path, read_only=True)
    schema.connect(tmp_path).close()  # what `ccotel serve` does on open
    con = schema.connect(tmp_path, read_only=True)
    try:
        assert schema.stored_version(con) == schema.SCHEMA_VERSION == 9
        assert con.execute("SELECT sum(requests), sum(cost_usd) FROM attrib_hourly"
                           ).fetchone() == (4, Decimal("0.600000000007"))
        q = Query.parse(RANGE)
        with rollups.raw_only():
            raw = _panels(con, q)
        assert _panels(con, q) == raw
        assert costs(raw["cost_by_repo"])["github.com/acme/web"] == "0.3"
    finally:
        con.close()


def test_the_panels_of_named_dimensions_are_asked_for_together() -> None:
    """The page asks for the breakdowns one statement reads together
    (`attribution.named_breakdowns`) in one request."""
    named = {pid for pid, dim in attribution.PANEL_DIMENSIONS.items()
             if dim in attribution.NAMED_DIMENSIONS}
    assert {p.id for p in PANELS if p.together == "named"} == named
    assert named in [set(b) for b in page_batches()]
