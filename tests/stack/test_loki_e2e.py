"""Every LogQL target of the generated dashboard, run by a real Loki 2.9.4 started with the
generated loki-config.yaml, on the recorded Claude Code runs pushed as the stack's
collector would push them, equals the values counted from the recordings themselves and
ccotel's own panels for the same data, range and variables."""

from __future__ import annotations

import json
import re
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from ccotel.panels import GRAFANA_PANELS
from ccotel.stack.dashboard import build_dashboard
from ccotel.stack.generate import StackOptions
from ccotel.stack.queries import QUERIES
from tests.conftest import start_server
from tests.stack import loki_exporter
from tests.stack.live import ALL, replayed, start_loki, stop, substitute, unpack_loki

pytestmark = pytest.mark.e2e

S = 1_000_000_000
MODEL = "claude-opus-5-5"


@pytest.fixture(scope="module")
def loki_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack_loki(tmp_path_factory.mktemp("loki-bin"))


@pytest.fixture(scope="module")
def loki(loki_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, base, _ = start_loki(loki_binary, tmp_path_factory.mktemp("loki"), StackOptions())
    try:
        yield base
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def ccotel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    srv = start_server(tmp_path_factory.mktemp("ccotel-data"))
    try:
        yield srv.ui, srv.http
    finally:
        srv.stop()


def push_loki(base: str, body: dict[str, Any]) -> None:
    resp = httpx.post(f"{base}/loki/api/v1/push", json=body, timeout=30)
    assert resp.status_code == 204, resp.text


def _records(requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The facts of each log record, read straight from the OTLP requests."""
    out = []
    for req in requests:
        if req["path"] != "/v1/logs":
            continue
        for rl in req["body"]["resourceLogs"]:
            for sl in rl["scopeLogs"]:
                for r in sl["logRecords"]:
                    a = {kv["key"]: loki_exporter._raw(kv["value"]) for kv in r["attributes"]}
                    out.append({"ts": int(r["timeUnixNano"]), "event": a.get("event.name"),
                                "session": a.get("session.id"), "user": a.get("user.id"),
                                "model": a.get("model"), "duration": a.get("duration_ms"),
                                "ttft": a.get("ttft_ms")})
    return out


def _quantile(q: float, values: list[float]) -> float:
    """PromQL's quantile (Loki's quantile_over_time): linear between order statistics."""
    v = sorted(values)
    rank = q * (len(v) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (rank - lo)


class Workload:
    """Seven recorded runs at known times: one before the range, five in it (two users),
    one after it."""

    def __init__(self, start_s: int) -> None:
        self.start_s = start_s
        self.t0 = start_s + 240
        self.t1 = start_s + 900
        self.sessions: dict[str, tuple[str, str]] = {}   # session -> (user, capture)
        self.requests: list[dict[str, Any]] = []
        plan = [("basic", "user-before", 0), ("edit", "alice", 300), ("bashfail", "alice", 360),
                ("api_error", "alice", 420), ("details", "bob", 480), ("denied", "bob", 540),
                ("basic", "user-after", 1200)]
        for capture, user, at in plan:
            session = str(uuid.uuid4())
            self.sessions[session] = (user, capture)
            self.requests += replayed(capture, session=session, user=user,
                                      start_ns=(start_s + at) * S + S // 2)
        self.records = _records(self.requests)

    def in_range(self, user: str = ALL, session: str = ALL, model: str = ALL
                 ) -> list[dict[str, Any]]:
        """The records of the range that the variables select (regexes, as in LogQL)."""
        def match(pattern: str, value: str | None) -> bool:
            return re.fullmatch(pattern, value or "") is not None

        return [r for r in self.records if self.t0 * S < r["ts"] <= self.t1 * S
                and match(user, r["user"]) and match(session, r["session"])
                and match(model, r["model"])]

    def session_of(self, user: str, capture: str) -> str:
        return next(s for s, v in self.sessions.items() if v == (user, capture))


def _loki(base: str, expr: str, at: int, *, instant: bool, start: int | None = None
          ) -> list[dict[str, Any]]:
    if instant:
        resp = httpx.get(f"{base}/loki/api/v1/query", params={"query": expr, "time": at * S},
                         timeout=60)
    else:
        resp = httpx.get(f"{base}/loki/api/v1/query_range", timeout=60, params={
            "query": expr, "start": (start if start is not None else at) * S, "end": at * S,
            "step": f"{at - (start or at) or 60}s", "limit": 5000, "direction": "forward"})
    body = resp.json() if resp.headers.get("content-type", "").startswith("application/json") \
        else {"status": resp.text}
    assert resp.status_code == 200 and body["status"] == "success", (expr, resp.text)
    return list(body["data"]["result"])


def _value(rows: list[dict[str, Any]]) -> float | None:
    if not rows:
        return None
    assert len(rows) == 1, rows
    r = rows[0]
    return float(r["value"][1] if "value" in r else r["values"][-1][1])


def _ccotel(ui: str, path: str, w: Workload, **filters: str) -> dict[str, Any]:
    params = {"from": str(w.t0 * 1000), "to": str(w.t1 * 1000),
              **{k: v for k, v in filters.items() if v != ALL}}
    resp = httpx.get(f"{ui}{path}", params=params, timeout=30)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def workload(loki: str, ccotel: tuple[str, str]) -> Workload:
    w = Workload(int(time.time()) // 60 * 60 - 3600)
    _, http = ccotel
    for req in w.requests:
        resp = httpx.post(http + req["path"], json=req["body"], timeout=30)
        assert resp.status_code == 200, resp.text
        if req["path"] == "/v1/logs":
            push_loki(loki, loki_exporter.push_body(req["body"]))
    assert all(w.start_s * S <= r["ts"] < (w.start_s + 1260) * S for r in w.records)
    return w


def _variants(w: Workload) -> list[dict[str, str]]:
    bob = w.session_of("bob", "details")
    # Grafana writes a multi-value selection as a regex alternation.
    return [{}, {"user": "alice"}, {"user": "bob"}, {"session": bob}, {"model": MODEL},
            {"user": "alice", "model": MODEL}, {"model": "no-such-model"},
            {"user": "(alice|user-before)"}]


def test_pushed_lines_carry_the_exporters_labels_and_layout(loki: str, workload: Workload
                                                            ) -> None:
    w = workload
    rows = _loki(loki, '{service_name="claude-code", event_name="api_request"}', w.t1,
                 instant=False, start=w.t0)
    labels = {tuple(sorted(r["stream"])) for r in rows}
    assert labels == {("event_name", "exporter", "job", "service_name")}
    assert {r["stream"]["exporter"] for r in rows} == {"OTLP"}
    assert {r["stream"]["job"] for r in rows} == {"claude-code"}
    line = rows[0]["values"][0][1]
    assert line.startswith('{"body":"claude_code.api_request","traceid":"'), line
    for key in ('"attributes":{', '"resources":{"host.arch":', '"instrumentation_scope":{'):
        assert key in line
    assert '"event.name"' not in line and '"service.name"' not in line  # promoted to labels


def test_every_logql_target_equals_the_recordings_and_ccotel(loki: str, ccotel: tuple[str, str],
                                                            workload: Workload) -> None:
    w = workload
    ui, _ = ccotel
    range_s = w.t1 - w.t0
    ran: set[str] = set()

    def run(panel_id: str, target: int = 0, **variables: str) -> list[dict[str, Any]]:
        q = QUERIES[panel_id]
        expr = substitute(q.exprs[target], range_s=range_s, **variables)
        ran.add(panel_id)
        return _loki(loki, expr, w.t1, instant=q.instant,
                     start=None if q.instant or panel_id != "logs" else w.t0)

    for v in _variants(w):
        # ccotel's filters take one value: a multi-value selection is checked against the
        # recordings only.
        single = not any("|" in x for x in v.values())
        requests = [r for r in w.in_range(**v) if r["event"] == "api_request"]
        durations = [float(r["duration"]) for r in requests if r["duration"] is not None]
        ttfts = [float(r["ttft"]) for r in requests if r["ttft"] is not None]
        # Average Response Time
        got = _value(run("avg_response_time", **v))
        embedded = _ccotel(ui, "/api/v1/panels/avg_response_time", w, **v)["data"]["value"]
        if durations:
            assert got == pytest.approx(statistics.fmean(durations), rel=1e-12), v
            assert not single or embedded == pytest.approx(got, abs=1e-3), v
        else:
            assert got is None and embedded is None, v
        # Time to First Token (p50 over the range)
        got = _value(run("time_to_first_token", **v))
        embedded = _ccotel(ui, "/api/v1/panels/time_to_first_token", w, **v)["data"]["value"]
        if ttfts:
            assert got == pytest.approx(_quantile(0.5, ttfts), rel=1e-12), v
            assert not single or embedded == pytest.approx(got, abs=1e-3), v
        else:
            assert got is None and embedded is None, v
        # API Latency: p50, p95, ttft p50, ttft p95 (one step as long as the range)
        for target, (values, q) in enumerate(((durations, 0.5), (durations, 0.95),
                                             (ttfts, 0.5), (ttfts, 0.95))):
            got = _value(run("api_latency", target, **v))
            want = _quantile(q, values) if values else None
            assert got == (pytest.approx(want, rel=1e-12) if want is not None else None), \
                (v, target)
        # ... and as Grafana draws it: one point per step, each equal to ccotel's bucket
        _latency_over_time(loki, ui, w, v, single)
        # Session Duration: last minus first line of each session, in seconds
        spans: dict[str, list[int]] = {}
        for r in w.in_range(user=v.get("user", ALL), session=v.get("session", ALL)):
            spans.setdefault(r["session"], []).append(r["ts"])
        want_spans = {s: (max(ts) - min(ts)) / S for s, ts in spans.items()}
        got_spans = {r["metric"]["attributes_session_id"]: float(r["value"][1])
                     for r in run("session_duration", **v)}
        embedded_items = _ccotel(ui, "/api/v1/panels/session_duration", w, **v)["data"]["items"]
        embedded_spans = {i["session_id"]: i["value"] for i in embedded_items}
        if v.get("model", ALL) != ALL:   # the sessions with a request of the model
            used = {r["session"] for r in requests}
            want_spans = {s: d for s, d in want_spans.items() if s in used}
        assert got_spans == pytest.approx(want_spans, abs=1e-9), v
        assert not single or embedded_spans == pytest.approx(want_spans, abs=1e-3), v
        # Claude Code Logs: every line of the range, filtered by user and session
        lines = [val for stream in run("logs", **v) for val in stream["values"]]
        want_lines = w.in_range(user=v.get("user", ALL), session=v.get("session", ALL))
        assert len(lines) == len(want_lines), v
        logs = _ccotel(ui, "/api/v1/logs", w, limit="1000",
                       **{k: x for k, x in v.items() if k != "model"})
        assert not logs["has_more"]
        assert not single or len(logs["events"]) == len(want_lines), v
    # The workload is what it claims: the range holds five sessions of two users.
    assert len({r["session"] for r in w.in_range()}) == 5
    assert ran == {p.id for p in GRAFANA_PANELS if QUERIES[p.id].datasource == "loki"}


LATENCY = (("p50", "duration", 0.5), ("p95", "duration", 0.95), ("ttft p50", "ttft", 0.5),
           ("ttft p95", "ttft", 0.95))


def _latency_over_time(loki: str, ui: str, w: Workload, v: dict[str, str], single: bool
                       ) -> None:
    """API Latency as a time series at ccotel's step: Loki's point at the end of each step
    equals ccotel's bucket and the percentile of the recorded values in that step."""
    embedded = _ccotel(ui, "/api/v1/panels/api_latency", w, **v)["data"]
    step = int(embedded["step_s"])
    series = {x["name"]: x["values"] for x in embedded["series"]}
    requests = [r for r in w.in_range(**v) if r["event"] == "api_request"]
    for target, (name, field, q) in enumerate(LATENCY):
        expr = substitute(QUERIES["api_latency"].exprs[target], range_s=step, **v)
        resp = httpx.get(f"{loki}/loki/api/v1/query_range", timeout=60, params={
            "query": expr, "start": (w.t0 + step) * S, "end": w.t1 * S, "step": f"{step}s"})
        assert resp.status_code == 200, (expr, resp.text)
        got = {int(float(t)) - step: float(x) for r in resp.json()["data"]["result"]
               for t, x in r["values"]}
        want = {}
        for b in embedded["times"]:
            values = [float(r[field]) for r in requests
                      if b * S <= r["ts"] < (b + step) * S and r[field] is not None]
            if values:
                want[b] = _quantile(q, values)
        assert bool(want) == (v.get("model") != "no-such-model"), (v, name)
        assert got == pytest.approx(want, rel=1e-12), (v, name)
        ours = {b: x for b, x in zip(embedded["times"], series[name], strict=True) if x is not None}
        # ccotel reads histogram cells, exact when a cell holds at most two distinct values
        # (so here), and rounds to 0.001 ms.
        assert not single or ours == pytest.approx(want, abs=1e-3), (v, name)


def test_top_sessions_link_finds_the_sessions_timeline(loki: str, workload: Workload) -> None:
    """The Top Sessions table links a session id to this query in Explore."""
    w = workload
    session = w.session_of("alice", "edit")
    link = build_dashboard()["panels"][[p.id for p in GRAFANA_PANELS].index("top_sessions")][
        "fieldConfig"]["overrides"][0]["properties"][0]["value"][0]["url"]
    expr = json.loads(parse_qs(link.partition("?")[2])["left"][0])["queries"][0]["expr"]
    rows = _loki(loki, expr.replace("${__value.raw}", session), w.t1, instant=False,
                 start=w.t0)
    lines = [json.loads(v[1]) for r in rows for v in r["values"]]
    assert len(lines) == len(w.in_range(session=session)) > 0
    assert {line["attributes"]["session.id"] for line in lines} == {session}


def test_loki_retention_deletes_old_chunks(loki_binary: Path, tmp_path: Path) -> None:
    """With the stack's shortest logs retention (24h, Loki's minimum), the compactor
    deletes the chunk files of older lines and keeps the recent ones."""
    options = StackOptions(logs_retention="24h")
    fast = {"compaction_interval": "1s", "retention_delete_delay": "0s"}
    proc, base, _ = start_loki(loki_binary, tmp_path, options, **fast)
    chunks = tmp_path / "data" / "chunks"

    def chunk_files() -> set[Path]:
        return {p for p in chunks.rglob("*") if p.is_file() and "index" not in p.parts
                and "delete_requests" not in p.parts}

    def push_and_flush(name: str, first_ns: int) -> set[Path]:
        before = chunk_files()
        push_loki(base, {"streams": [{
            "stream": {"service_name": "claude-code", "event_name": name},
            "values": [[str(first_ns + i * S), f'{{"n":{i}}}'] for i in range(20)]}]})
        assert httpx.post(f"{base}/flush", timeout=30).status_code == 204
        return _wait_for(lambda: chunk_files() - before, 30) or set()

    now = time.time_ns()
    try:
        old = push_and_flush("old", now - 30 * 3600 * S)
        recent = push_and_flush("recent", now - 60 * S)
        assert old and recent, "the flush wrote no chunk"
    finally:
        stop(proc)  # a clean stop ships the index the compactor reads
    proc, base, _ = start_loki(loki_binary, tmp_path, options, **fast)
    try:
        # The compactor's first pass starts about a minute after Loki does.
        assert _wait_for(lambda: not old & chunk_files(), 180), "old chunks still there"
        assert recent <= chunk_files()
    finally:
        stop(proc)


def _wait_for(check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    return None
