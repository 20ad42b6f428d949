"""Costs are exact: stored with 12 decimals and summed as DECIMAL, end to end.

Witnesses that no ccotel code computed: Python's `Decimal` sum of the costs this test
sends, and Claude Code's own `total_cost_usd` for each capture. A store that keeps 6
decimals loses the micro-dollar costs; one that sums as DOUBLE drifts in the last digits
(the costs are chosen so that a float sum, in the orders a database adds them, misses the
exact total by more than 1e-12).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.conftest import SCENARIOS, Server, capture_requests, claude_result, start_server
from tests.importer.helpers import report
from tests.witness import PAST_HOUR_NS, exact_summary, log_record, logs_export, post

TWELVE = Decimal("1e-12")
SESSION = "witness-cost"
MODEL = "claude-opus-5-5"


def costs() -> list[Decimal]:
    """2000 costs of 12 decimals (some with 12 significant decimals) whose exact total,
    997.614071597081, has 15 significant digits: a double holds it exactly, so the
    summary's JSON can show it, while a float sum of the parts does not reach it."""
    rnd = random.Random(12)
    out = [Decimal(rnd.randrange(1, 10**12)) / 10**12 for _ in range(2000)]
    out[:3] = [Decimal("0.000000123456"), Decimal("0.000000000001"),
               Decimal("0.000001234567")]
    return out


def test_the_witness_is_sharp() -> None:
    """The chosen costs do tell DECIMAL from DOUBLE (and 12 decimals from 6)."""
    exact = sum(costs())
    assert exact == Decimal("997.614071597081")
    assert Decimal(repr(float(exact))) == exact
    running = 0.0
    for c in costs():
        running += float(c)
    assert Decimal(repr(round(running, 12))) != exact
    assert sum(c.quantize(Decimal("1e-6")) for c in costs()) != exact


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("cost") / "data")
    try:
        records = [log_record(PAST_HOUR_NS + i * 10**9, "api_request", **{
            "session.id": SESSION, "event.sequence": i, "model": MODEL,
            "cost_usd": float(c), "input_tokens": 1, "output_tokens": 1})
            for i, c in enumerate(costs())]
        post(s, "logs", logs_export(records))
        for name in SCENARIOS:
            for req in capture_requests(name):
                post(s, req["path"].split("/")[-1], req["body"])
        yield s
    finally:
        s.stop()


def test_summary_cost_is_the_exact_decimal_sum(srv: Server) -> None:
    got = exact_summary(srv, session=SESSION)
    assert got["requests"] == 2000
    assert got["cost_usd"] == sum(costs())


def test_micro_dollar_costs_keep_their_twelve_decimals(srv: Server) -> None:
    """One request's cost, alone in its second: 0.000000123456 USD, not 0 or 1.23e-7
    rounded to 6 places."""
    t = PAST_HOUR_NS
    got = exact_summary(srv, session=SESSION, **{"from": str(t // 10**6),
                                                  "to": str(t // 10**6 + 1)})
    assert got["requests"] == 1
    assert got["cost_usd"] == Decimal("0.000000123456")


@pytest.mark.parametrize("name", SCENARIOS)
def test_summary_cost_is_claude_codes_own_total(srv: Server, name: str) -> None:
    """Claude Code printed its run's cost (`total_cost_usd`): ccotel's sum of the costs it
    sent equals it to the last stored decimal."""
    result = claude_result(name)
    got = exact_summary(srv, session=result["session_id"])
    assert got["cost_usd"] == Decimal(repr(result["total_cost_usd"])).quantize(TWELVE)


def test_reports_show_the_exact_sum(srv: Server) -> None:
    """`ccotel report` (through the running server) totals the same costs; its JSON rounds
    costs to 10 decimals, as ccusage's does, so the exact sum is compared at that
    precision."""
    daily = report(srv.data_dir, "daily", "--since", "20000101", source="telemetry")
    exact = sum(costs())
    ten = Decimal("1e-10")
    by_model = {b["modelName"]: b["cost"] for d in daily["daily"] for b in d["modelBreakdowns"]}
    captured = sum((Decimal(repr(claude_result(n)["total_cost_usd"])).quantize(TWELVE)
                    for n in SCENARIOS), Decimal(0))
    assert Decimal(repr(daily["totals"]["totalCost"])) == (exact + captured).quantize(ten)
    assert MODEL in by_model
