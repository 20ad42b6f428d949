"""Every PromQL expression of the generated dashboard, run by a real Prometheus scraping a
real `ccotel serve` after a known Claude Code workload, equals the embedded numbers."""

from __future__ import annotations

import json
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from ccotel.panels import GRAFANA_PANELS
from ccotel.stack.queries import QUERIES
from tests.conftest import capture_requests, start_server
from tests.stack.live import free_port as _free_port
from tests.stack.live import rewrite_ids as _rewrite_ids
from tests.stack.live import substitute as _substitute
from tests.stack.live import wait as _wait

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def ccotel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data = tmp_path_factory.mktemp("ccotel-data")
    srv = start_server(data)
    try:
        info = srv.info
        yield {"info": info, "ui": srv.ui, "http": srv.http,
               "metrics": f"127.0.0.1:{info['metrics_port']}"}
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def prometheus(ccotel: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[str]:
    d = tmp_path_factory.mktemp("prometheus")
    # The scrape config the stack README documents for `ccotel serve`.
    (d / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: ccotel\n    honor_labels: true\n"
        "    metrics_path: /metrics/claude-code\n"
        f"    static_configs:\n      - targets: ['{ccotel['metrics']}']\n")
    port = _free_port()
    proc = subprocess.Popen(
        ["prometheus", f"--config.file={d / 'prometheus.yml'}",
         f"--storage.tsdb.path={d / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: httpx.get(f"{base}/-/ready").status_code == 200, "prometheus ready")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _replay(ccotel: dict[str, Any], capture: str, *, user: str) -> str:
    """Send a recorded Claude Code run over OTLP/HTTP JSON as a new session of `user`,
    with timestamps moved to now. Returns the session id."""
    session = str(uuid.uuid4())
    lines = capture_requests(capture)
    first = min(int(m) for line in lines for m in re.findall(r'"timeUnixNano": "(\d+)"',
                                                             json.dumps(line["body"])))
    shift = time.time_ns() - first
    for line in lines:
        text = json.dumps(line["body"])
        text = re.sub(r'"(timeUnixNano|observedTimeUnixNano|startTimeUnixNano)": "(\d+)"',
                      lambda m: f'"{m.group(1)}": "{int(m.group(2)) + shift}"', text)
        body = json.loads(text)
        _rewrite_ids(body, session, user)
        resp = httpx.post(ccotel["http"] + line["path"], content=json.dumps(body),
                          headers={"Content-Type": "application/json"}, timeout=30)
        assert resp.status_code == 200, resp.text
    return session


def _promql(base: str, expr: str, at: float, *, instant: bool) -> list[dict[str, Any]]:
    if instant:
        resp = httpx.get(f"{base}/api/v1/query", params={"query": expr, "time": at}, timeout=30)
    else:
        # One step as long as the range: the buckets of a time series add up to one.
        resp = httpx.get(f"{base}/api/v1/query_range",
                         params={"query": expr, "start": at, "end": at, "step": 60}, timeout=30)
    body = resp.json()
    assert body["status"] == "success", (expr, body)
    out = []
    for r in body["data"]["result"]:
        value = r["value"][1] if instant else r["values"][-1][1]
        out.append({"labels": r["metric"], "value": float(value)})
    return out


def _one(rows: list[dict[str, Any]]) -> float:
    assert len(rows) == 1, rows
    return float(rows[0]["value"])


def _by(rows: list[dict[str, Any]], label: str) -> dict[str, float]:
    return {r["labels"].get(label, ""): r["value"] for r in rows}


def _summary(ccotel: dict[str, Any], start: float, end: float, **filters: str) -> dict[str, Any]:
    params = {"from": str(int(start * 1000)), "to": str(int(end * 1000)), **filters}
    resp = httpx.get(ccotel["ui"] + "/api/v1/summary", params=params, timeout=30)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _scraped(prom: str, expr: str, want: float) -> bool:
    rows = httpx.get(f"{prom}/api/v1/query", params={"query": expr}).json()["data"]["result"]
    return bool(rows) and float(rows[0]["value"][1]) >= want


def test_every_promql_panel_equals_the_embedded_numbers(ccotel: dict[str, Any],
                                                        prometheus: str) -> None:
    # Before the range: one run, scraped, so the range must subtract it.
    _replay(ccotel, "basic", user="user-before")
    _wait(lambda: _scraped(prometheus, "sum(claude_code_api_request_count_total)", 2),
          "the first run scraped")
    time.sleep(2)
    t0 = time.time()
    time.sleep(1.5)
    # In the range: two users, five runs (tools, a failed tool, an API error, an edit).
    alice = [_replay(ccotel, c, user="alice") for c in ("edit", "bashfail", "api_error")]
    bob = [_replay(ccotel, c, user="bob") for c in ("details", "denied")]
    want_requests = 2 + 8
    _wait(lambda: _scraped(prometheus, "sum(claude_code_api_request_count_total)",
                           want_requests), "the range's runs scraped")
    time.sleep(3)  # a few more scrapes: every series at its final value
    t1 = time.time()
    range_s = round(t1 - t0)
    t0 = t1 - range_s  # the range Prometheus sees, exactly
    embedded = _summary(ccotel, t0, t1)
    assert embedded["requests"] == 8 and embedded["errors"] == 1  # the workload is known
    tokens = embedded["tokens"]

    def run(panel_id: str, **variables: str) -> list[dict[str, Any]]:
        q = QUERIES[panel_id]
        return _promql(prometheus, _substitute(q.expr, range_s=range_s, **variables), t1,
                       instant=q.instant)

    ran = set()
    checks = {
        "total_requests": lambda: _one(run("total_requests")) == embedded["requests"],
        "total_errors": lambda: _one(run("total_errors")) == embedded["errors"],
        "total_tool_calls": lambda: _one(run("total_tool_calls")) == embedded["tool_calls"],
        "total_cost": lambda: abs(_one(run("total_cost")) - embedded["cost_usd"]) < 1e-9,
        "sessions": lambda: _one(run("sessions")) == embedded["sessions"] == 5,
        "active_users": lambda: _one(run("active_users")) == embedded["users"] == 2,
        "cache_hit_ratio": lambda: abs(_one(run("cache_hit_ratio")) - tokens["cacheRead"] / (
            tokens["input"] + tokens["cacheRead"] + tokens["cacheCreation"])) < 1e-12,
        "commits": lambda: _one(run("commits")) == embedded["commits"],
        "pull_requests": lambda: _one(run("pull_requests")) == embedded["pull_requests"],
        "token_usage_rate": lambda: {k: v * range_s / 60 for k, v in
                                     _by(run("token_usage_rate"), "type").items()}
        == pytest.approx(tokens),
        "tool_call_rate": lambda: sum(_by(run("tool_call_rate"), "tool_name").values())
        * range_s / 60 == pytest.approx(embedded["tool_calls"]),
        "error_rate": lambda: _one(run("error_rate")) == pytest.approx(
            embedded["errors"] / (embedded["requests"] + embedded["errors"])),
        "tool_usage_distribution": lambda: _by(run("tool_usage_distribution"), "tool_name")
        == {"Write": 1, "Bash": 3},
        "tokens_by_type": lambda: _by(run("tokens_by_type"), "type") == pytest.approx(tokens),
        "cost_by_model": lambda: _by(run("cost_by_model"), "model")
        == pytest.approx({"claude-opus-5-5": embedded["cost_usd"]}),
        "cost_by_user": lambda: _by(run("cost_by_user"), "user")
        == pytest.approx({"alice": _summary(ccotel, t0, t1, user="alice")["cost_usd"],
                          "bob": _summary(ccotel, t0, t1, user="bob")["cost_usd"]}),
        "active_time": lambda: sum(_by(run("active_time"), "type").values()) > 0,
        "lines_of_code": lambda: _by(run("lines_of_code"), "type").get("added", 0)
        == embedded["lines_added"],
        "edit_decisions": lambda: sum(r["value"] for r in run("edit_decisions")) == 1,
        "top_sessions": lambda: {r["labels"]["session_id"] for r in run("top_sessions")}
        == {s for s in alice + bob if s != alice[2]},
    }
    last_hour = {"total_tokens_last_hour": None}
    for panel in GRAFANA_PANELS:
        q = QUERIES[panel.id]
        if q.datasource != "prometheus":
            continue
        ran.add(panel.id)
        if panel.id in last_hour:
            continue
        assert panel.id in checks, f"no check for PromQL panel {panel.id}: add one here"
        assert checks[panel.id](), (panel.id, run(panel.id), embedded)
    # Total Tokens (Last Hour): its own fixed range, the whole workload included.
    rows = _promql(prometheus, _substitute(QUERIES["total_tokens_last_hour"].expr, range_s=3600),
                   t1, instant=True)
    hour = _summary(ccotel, t1 - 3600, t1)["tokens"]
    assert _one(rows) == sum(hour.values())
    # Template variables narrow the same way as the embedded filters.
    for user in ("alice", "bob"):
        s = _summary(ccotel, t0, t1, user=user)
        assert _one(run("total_requests", user=user)) == s["requests"]
        assert abs(_one(run("total_cost", user=user)) - s["cost_usd"]) < 1e-9
        assert _one(run("total_tool_calls", user=user)) == s["tool_calls"]
    s = _summary(ccotel, t0, t1, session=bob[0])
    assert _one(run("total_requests", session=bob[0])) == s["requests"] == 2
    assert _one(run("total_requests", model="no-such-model")) == 0
    assert _one(run("total_tool_calls", model="claude-opus-5-5")) == embedded["tool_calls"]
    assert ran == {p.id for p in GRAFANA_PANELS if QUERIES[p.id].datasource == "prometheus"}
