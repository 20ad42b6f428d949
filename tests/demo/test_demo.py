"""`ccotel demo`: the generator is deterministic, internally consistent (events and metrics
agree, costs follow the prices), and reaches a store through every path."""

from __future__ import annotations

import json
import time
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from ccotel import panel_data
from ccotel.cli import main
from ccotel.demo import population as popn
from ccotel.demo.generate import Spec, chunks, spec_for_events
from ccotel.demo.load import fill_data_dir, send, write_bulk
from ccotel.query import Query
from ccotel.store import attribution, reader, schema
from ccotel.store.attribution import OTHER, UNKNOWN, breakdown_panel
from ccotel.store.writer import Writer

END = datetime(2026, 11, 20, 12, 0, 0)  # in the past: every event is in "from 0 to now"
SPEC = Spec(users=5, days=3, seed=3, end=END)


def test_same_seed_same_telemetry() -> None:
    a, b = list(chunks(SPEC)), list(chunks(SPEC))
    assert [c.events.to_pylist() for c in a] == [c.events.to_pylist() for c in b]
    assert [c.points.to_pylist() for c in a] == [c.points.to_pylist() for c in b]
    assert [c.git_facts for c in a] == [c.git_facts for c in b]
    other = list(chunks(Spec(users=5, days=3, seed=4, end=END)))
    assert other[0].events["session_id"].to_pylist() != a[0].events["session_id"].to_pylist()


def test_events_look_like_claude_code() -> None:
    events = [r for c in chunks(SPEC) for r in c.events.to_pylist()]
    names = Counter(r["event_name"] for r in events)
    assert set(names) == {"user_prompt", "api_request", "api_error", "tool_decision",
                          "tool_result", "assistant_response"}
    assert names["api_request"] > names["user_prompt"] > 0
    assert len({r["event_key"] for r in events}) == len(events)
    assert all(r["ts"] <= END for r in events)
    models = {r["model"] for r in events if r["event_name"] == "api_request"}
    assert len(models) >= 3 and models <= set(popn.PRICES)
    assert {r["user_email"] for r in events} <= {f"{n}@example.com" for n in popn.NAMES}
    results = [r for r in events if r["event_name"] == "tool_result"]
    assert {r["tool_name"] for r in results} >= {"Bash", "Read", "Edit", "Grep"}
    assert any(r["success"] is False and r["error_type"] for r in results)
    for r in events:
        if r["event_name"] == "api_request":
            p_in, p_out = popn.PRICES[r["model"]]
            cost = (r["input_tokens"] * p_in + r["output_tokens"] * p_out + p_in * (
                0.1 * r["cache_read_tokens"] + 1.25 * r["cache_creation_5m_tokens"]
                + 2 * r["cache_creation_1h_tokens"])) / 1e6
            assert r["cost_usd"] == pytest.approx(cost, abs=1e-8)
            assert r["cache_creation_tokens"] == (r["cache_creation_5m_tokens"]
                                                  + r["cache_creation_1h_tokens"])
            assert 0 < r["ttft_ms"] < r["duration_ms"]
    # Within a session, sequence numbers follow time.
    by_session: dict[str, list[tuple[datetime, int]]] = {}
    for r in events:
        by_session.setdefault(r["session_id"], []).append((r["ts"], r["event_sequence"]))
    for rows in by_session.values():
        seqs = [s for _, s in sorted(rows)]
        assert seqs == sorted(seqs)


def test_metrics_are_the_delta_exports_of_the_events() -> None:
    spec = Spec(users=4, days=2, seed=5, end=datetime(2026, 11, 19, 23, 59))
    for chunk in chunks(spec):
        ev, pt = chunk.events, chunk.points
        req = ev.filter(pc.equal(ev["event_name"], "api_request"))
        cost = pt.filter(pc.equal(pt["metric_name"], "claude_code.cost.usage"))
        assert pc.sum(cost["value"]).as_py() == pytest.approx(pc.sum(req["cost_usd"]).as_py())
        tokens = pt.filter(pc.equal(pt["metric_name"], "claude_code.token.usage"))
        assert pc.sum(tokens["value"]).as_py() == sum(
            pc.sum(req[c]).as_py() for c in ("input_tokens", "output_tokens",
                                             "cache_read_tokens", "cache_creation_tokens"))
        sessions = pt.filter(pc.equal(pt["metric_name"], "claude_code.session.count"))
        assert len(sessions) == len(pc.unique(ev["session_id"]))
        assert set(pt["temporality"].to_pylist()) == {1}


def test_fill_data_dir_goes_through_the_decoder(tmp_path: Path) -> None:
    counts = fill_data_dir(tmp_path, SPEC)
    # Claude Code's events and, at each session's start, the hook's git record.
    expected = sum(len(c.events) + len(c.git_facts) for c in chunks(SPEC))
    assert counts.events == expected and counts.points > 0 and counts.spans > 0
    con = schema.connect(tmp_path, read_only=True)
    try:
        q = Query.parse({"from": "0", "to": "now"})
        s = reader.summary(con, q)
        assert s["requests"] == sum(
            pc.sum(pc.equal(c.events["event_name"], "api_request")).as_py() for c in chunks(SPEC))
        assert s["cost_usd"] == pytest.approx(panel_data.total_cost(con, q)["value"])
        # Tool results arrive as the CLI sends them (strings) and are typed on the way in.
        assert con.execute("SELECT count(*) FROM events WHERE event_name = 'tool_result' "
                           "AND success IS NULL").fetchone()[0] == 0
    finally:
        con.close()


def test_bulk_is_the_same_telemetry(tmp_path: Path) -> None:
    fill_data_dir(tmp_path / "decoded", SPEC)
    con = schema.connect(tmp_path / "bulk")
    try:
        counts = write_bulk(Writer(con), SPEC)
        q = Query.parse({"from": "0", "to": "now"})
        assert counts.events == con.execute("SELECT count(*) FROM events").fetchone()[0]
        assert panel_data.total_requests(con, q)["value"] == sum(
            pc.sum(pc.equal(c.events["event_name"], "api_request")).as_py() for c in chunks(SPEC))
        # Row for row what the decoder stores, git records and attribution attributes
        # included (the bulk rows do not link events to the traces beta's spans), and so
        # the same sessions' repos and branches and the same breakdowns.
        con.execute(f"ATTACH '{tmp_path / 'decoded' / 'ccotel.duckdb'}' AS d (READ_ONLY)")
        for table, unlike in (("events", "EXCLUDE (trace_id, span_id)"), ("session_git", "")):
            for a, b in (("main", "d"), ("d", "main")):
                assert con.execute(f"SELECT count(*) FROM (SELECT * {unlike} FROM {a}.{table} "
                                   f"EXCEPT ALL SELECT * {unlike} FROM {b}.{table})"
                                   ).fetchone()[0] == 0, table
        assert con.execute("SELECT count(*) FROM session_git").fetchone()[0] == sum(
            len(c.git_facts) for c in chunks(SPEC))
        bulk = {dim: breakdown_panel(con, q, dim) for dim in ATTRIBUTION}
        con.execute("USE d")
        assert {dim: breakdown_panel(con, q, dim) for dim in ATTRIBUTION} == bulk
        con.execute("USE main")
    finally:
        con.close()


def test_git_records_are_what_the_hook_records() -> None:
    from ccotel.otlp.decode import decode_request
    from ccotel.store.attribution import git_record

    chunk = next(iter(chunks(SPEC)))
    assert chunk.git is not None and len(chunk.git) == len(chunk.git_facts) > 0
    for (sid, found, t_ns), row in zip(chunk.git_facts, chunk.git.to_pylist(), strict=True):
        (decoded,) = decode_request("logs", git_record(sid, found, now_ns=t_ns), "json").events
        assert {k: v for k, v in row.items() if k != "ts"} == decoded
        assert row["ts"] == datetime.fromtimestamp(t_ns / 1e9, UTC).replace(tzinfo=None)
    assert len({f["repo"] for _, f, _ in chunk.git_facts}) >= 3


ATTRIBUTION = ("repo", "branch", "skill", "agent", "mcp", "query_source", "effort", "team")


def test_attribution_panels_break_the_cost_down(tmp_path: Path) -> None:
    spec = Spec(users=10, days=3, seed=7, end=END)
    con = schema.connect(tmp_path)
    try:
        write_bulk(Writer(con), spec)
        q = Query.parse({"from": "0", "to": "now"})
        total = Decimal(str(con.execute("SELECT sum(cost_usd::DECIMAL(38, 12)) FROM events "
                                        "WHERE event_name = 'api_request'").fetchone()[0]))
        for dim in ATTRIBUTION:
            panel = panel_data.panel_data(con, f"cost_by_{dim}", q)["data"]
            names = {i["name"] for i in panel["items"]} - {UNKNOWN, OTHER}
            assert len(names) >= 3, (dim, names)
            assert sum(Decimal(i["cost_exact"]) for i in panel["items"]) == Decimal(
                panel["total"]["cost_exact"]) == total, dim
            for measure in ("tokens", "requests"):
                assert sum(i[measure] for i in panel["items"]) == panel["total"][measure]
        # A folder without a remote is named by its folder, as the hook names it.
        assert "scratch" in {i["name"] for i in breakdown_panel(con, q, "repo")["items"]}
        assert {"main", "subagent", "auxiliary", "compact"} <= {
            i["name"] for i in breakdown_panel(con, q, "query_source")["items"]}
        waste = panel_data.panel_data(con, "waste", q)["data"]["total"]
        assert waste["compaction_cost"] > 0 and waste["subagent_cost"] > 0
        page = attribution.repo_page(con, q, "github.com/acme/api")
        assert len(page["branches"]) >= 2 and len(page["people"]) >= 2
    finally:
        con.close()


def test_a_spec_without_an_end_generates_the_same_events_each_time() -> None:
    # The spec takes "now" once: sending it and then counting it must see one data set,
    # even when the clock passes the time of the next event in between.
    spec = Spec(users=1, days=1, seed=9)
    first = spec.end_time()
    time.sleep(0.01)
    assert spec.end_time() == first
    assert [len(c.events) for c in chunks(spec)] == [len(c.events) for c in chunks(spec)]


def test_spec_for_events_hits_the_target() -> None:
    spec = spec_for_events(20_000, users=10, days=5, end=END)
    got = sum(len(c.events) for c in chunks(spec))
    assert 15_000 < got < 25_000


def test_cli_fills_a_data_dir(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--users", "2", "--days", "1", "--json",
                                       "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output.strip().splitlines()[-1])
    assert out["events"] > 0 and out["target"] == str(tmp_path)


@pytest.mark.e2e
def test_send_to_a_running_server(tmp_path: Path) -> None:
    from tests.conftest import start_server

    srv = start_server(tmp_path / "data")
    try:
        spec = Spec(users=2, days=1, seed=9)
        from ccotel.client import Client

        with Client.for_otlp_url(srv.http) as client:
            counts = send(client, spec)
        assert counts.events > 0
        assert srv.summary(**{"from": "now-2d"})["requests"] == sum(
            pc.sum(pc.equal(c.events["event_name"], "api_request")).as_py()
            for c in chunks(spec))
        # With a server on the data dir, `ccotel demo` goes through its OTLP port.
        result = CliRunner().invoke(main, ["demo", "--users", "1", "--days", "1", "--json",
                                           "--data-dir", str(tmp_path / "data"), "--seed", "11"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output.strip().splitlines()[-1])["target"] == srv.http
    finally:
        srv.stop()
