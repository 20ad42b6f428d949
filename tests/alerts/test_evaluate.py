"""Evaluation against a real store: exact spend per calendar period, spikes, silence, and
the state machine (pending -> firing -> resolved, `for:`, `repeat`) kept in the store."""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ccotel.alerts.evaluate import (
    findings,
    history_rows,
    period_start,
    prompt_check,
    state_rows,
    step,
)
from ccotel.alerts.rules import parse
from ccotel.store import rollups, schema
from ccotel.store.writer import Writer

NOW = datetime(2026, 3, 11, 15, 30)  # a Wednesday
_n = itertools.count()


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = schema.connect(tmp_path)
    yield c
    c.close()


def _event(con: duckdb.DuckDBPyConnection, ts: datetime, name: str, *, user: str = "u1",
           cost: str | None = None, model: str = "m", resource: dict[str, Any] | None = None
           ) -> None:
    i = next(_n)
    con.execute("INSERT INTO events (event_key, ts, time_unix_nano, event_name, user_id, "
                "model, cost_usd, resource) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [f"k{i}", ts, i, name, user, model, Decimal(cost) if cost else None,
                 json.dumps(resource or {})])
    # As the writer keeps them: whole hours are read from the rollups, the edges raw.
    rollups.run_script(con, "rollup_rebuild_all")


def test_period_starts_are_utc_calendar_periods() -> None:
    assert period_start("day", NOW) == datetime(2026, 3, 11)
    assert period_start("week", NOW) == datetime(2026, 3, 9)   # Monday
    assert period_start("month", NOW) == datetime(2026, 3, 1)


def test_spend_is_exact_per_user_and_counts_only_this_period(con) -> None:  # type: ignore[no-untyped-def]
    rules = parse("rules:\n  - name: d\n    spend: {over: 0.3, per: day, by: user}\n")
    # 0.1 + 0.2 + 0.0000000001: a float sum would say 0.30000000000000004 (> 0.3) for bob.
    for cost in ("0.1", "0.2"):
        _event(con, NOW - timedelta(hours=1), "api_request", user="bob", cost=cost)
    for cost in ("0.1", "0.2", "0.000000000001"):
        _event(con, NOW - timedelta(hours=2), "api_request", user="alice", cost=cost)
    _event(con, NOW - timedelta(days=1), "api_request", user="carol", cost="5")  # yesterday
    found = findings(con, rules.rules[0], rules, NOW)
    assert [(f.key, f.value) for f in found] == [("alice", 0.300000000001)]
    assert found[0].message == ("Claude Code spend of user alice this day (UTC) is "
                                "$0.300000000001, over the $0.3 budget")


def test_spend_by_team_reads_the_resource_attribute(con) -> None:  # type: ignore[no-untyped-def]
    rules = parse("attributes: {team: department}\n"
                  "rules:\n  - name: t\n    spend: {over: 1, per: month, by: team}\n")
    _event(con, NOW - timedelta(days=3), "api_request", cost="0.7",
           resource={"department": "eng"})
    _event(con, NOW - timedelta(days=2), "api_request", cost="0.7",
           resource={"department": "eng"})
    _event(con, NOW, "api_request", cost="0.7", resource={"department": "ops"})
    assert [(f.key, f.value) for f in findings(con, rules.rules[0], rules, NOW
                                               + timedelta(seconds=1))] == [("eng", 1.4)]


def test_spikes_and_silence(con) -> None:  # type: ignore[no-untyped-def]
    rules = parse("""\
rules:
  - name: err
    spike: {of: error_rate, over: 0.2, window: 15m, by: user}
  - name: ref
    spike: {of: refusals, over: 1, window: 1h}
  - name: quiet
    silence: {by: user, after: 6h}
""")
    for _ in range(10):
        _event(con, NOW - timedelta(minutes=5), "api_request", user="alice")
    for _ in range(3):
        _event(con, NOW - timedelta(minutes=5), "api_error", user="alice")
    _event(con, NOW - timedelta(minutes=40), "api_error", user="alice")  # outside 15m
    for _ in range(2):
        _event(con, NOW - timedelta(minutes=30), "api_refusal", user="bob")
    _event(con, NOW - timedelta(hours=8), "user_prompt", user="dora")
    err, ref, quiet = rules.rules
    assert [(f.key, f.value) for f in findings(con, err, rules, NOW)] == [("alice", 0.3)]
    assert [(f.key, f.value) for f in findings(con, ref, rules, NOW)] == [("", 2.0)]
    (silent,) = findings(con, quiet, rules, NOW)
    assert silent.key == "dora" and round(silent.value) == 8


def test_state_pending_firing_repeat_resolved_is_kept_in_the_store(tmp_path: Path) -> None:
    rules = parse("rules:\n  - name: err\n    spike: {of: refusals, over: 0, window: 2h}\n"
                  "    for: 5m\n    repeat: 1h\n")
    con = schema.connect(tmp_path)
    _event(con, NOW, "api_refusal")
    t = NOW + timedelta(seconds=1)
    assert step(Writer(con), rules, t) == []
    assert [(r["state"], r["key"]) for r in state_rows(con)] == [("pending", "")]
    assert step(Writer(con), rules, t + timedelta(minutes=4)) == []
    (fired,) = step(Writer(con), rules, t + timedelta(minutes=5))
    assert (fired.status, fired.since) == ("firing", t)
    con.close()
    # A restart: the state is read back, nothing is sent again before the repeat interval.
    con = schema.connect(tmp_path)
    assert step(Writer(con), rules, t + timedelta(minutes=30)) == []
    (again,) = step(Writer(con), rules, t + timedelta(minutes=65))
    assert again.status == "firing"
    assert step(Writer(con), rules, t + timedelta(minutes=90)) == []
    (resolved,) = step(Writer(con), rules, t + timedelta(minutes=125))   # the refusal is > 2h old
    assert resolved.status == "resolved"
    assert state_rows(con) == []
    assert [h["state"] for h in history_rows(con)] == ["resolved", "firing", "pending"]
    con.close()


def test_a_condition_that_stops_while_pending_never_fires(con) -> None:  # type: ignore[no-untyped-def]
    rules = parse("rules:\n  - name: r\n    spike: {of: refusals, over: 0, window: 10m}\n"
                  "    for: 15m\n")
    _event(con, NOW, "api_refusal")
    assert step(Writer(con), rules, NOW + timedelta(minutes=1)) == []
    assert step(Writer(con), rules, NOW + timedelta(minutes=11)) == []
    assert step(Writer(con), rules, NOW + timedelta(minutes=20)) == []
    assert state_rows(con) == [] and [h["state"] for h in history_rows(con)] == ["pending"]


def test_prompt_check_blocks_the_user_over_a_blocking_budget(con) -> None:  # type: ignore[no-untyped-def]
    rules = parse("""\
rules:
  - name: daily
    spend: {over: 0.01, per: day, by: user}
    block: true
  - name: team-total
    spend: {over: 0.015, per: day}
  - name: err
    spike: {of: refusals, over: 0, window: 1h}
""")
    _event(con, NOW - timedelta(minutes=5), "api_request", user="alice", cost="0.02")
    con.execute("UPDATE events SET session_id = 's1' WHERE user_id = 'alice'")
    _event(con, NOW - timedelta(minutes=5), "api_request", user="bob", cost="0.001")
    _event(con, NOW - timedelta(minutes=5), "api_refusal", user="bob")
    step(Writer(con), rules, NOW)
    alice = prompt_check(con, rules, user=None, session="s1", now=NOW)
    assert alice["user"] == "alice"
    assert [b["rule"] for b in alice["block"]] == ["daily"]
    assert alice["block"][0]["lift"] == ("raise or remove the rule 'daily' in the alerts "
                                         "file, or wait until 2026-03-12 00:00 UTC")
    assert [w["rule"] for w in alice["warn"]] == ["team-total"]
    bob = prompt_check(con, rules, user="bob", session=None, now=NOW)
    assert bob["block"] == [] and [w["rule"] for w in bob["warn"]] == ["team-total"]
    assert prompt_check(con, rules, user=None, session="unknown", now=NOW)["block"] == []
