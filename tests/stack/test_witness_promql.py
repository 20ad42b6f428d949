"""The dashboard's PromQL, run by a real Prometheus over a real `ccotel serve`, against
Claude Code's own totals — not against ccotel's summary, so a mistake the exposition and
the summary share still shows.

Witness: `tests/data/captures/*.claude-result.json`, what the Claude Code CLI itself
printed for each recorded run (cost, tokens), and the session and user counts of the
replay.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest

from ccotel.stack.queries import QUERIES
from tests.conftest import claude_result
from tests.stack.test_prometheus_e2e import (  # noqa: F401 - fixtures
    _by,
    _one,
    _promql,
    _replay,
    _scraped,
    _substitute,
    _wait,
    ccotel,
    prometheus,
)

pytestmark = pytest.mark.e2e

RUNS = {"alice": ["edit", "bashfail", "api_error"], "bob": ["details", "denied"]}
TWELVE = Decimal("1e-12")


def claude_cost(names: list[str]) -> Decimal:
    return sum((Decimal(repr(claude_result(n)["total_cost_usd"])) for n in names), Decimal(0))


def claude_tokens(names: list[str]) -> dict[str, int]:
    keys = {"input": "input_tokens", "output": "output_tokens",
            "cacheRead": "cache_read_input_tokens",
            "cacheCreation": "cache_creation_input_tokens"}
    return {k: sum(int(claude_result(n)["usage"][v]) for n in names) for k, v in keys.items()}


def exact(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(TWELVE)


def test_promql_totals_equal_claude_codes_own(ccotel: dict[str, Any], prometheus: str) -> None:  # noqa: F811
    t0 = time.time()
    time.sleep(1.5)
    for user, names in RUNS.items():
        for name in names:
            _replay(ccotel, name, user=user)
    everything = [n for names in RUNS.values() for n in names]
    want_cost = claude_cost(everything)
    _wait(lambda: _scraped(prometheus, "sum(claude_code_cost_usage_USD_total)",
                           float(want_cost) - 1e-9), "the runs scraped")
    time.sleep(3)  # a few more scrapes: every series at its final value
    t1 = time.time()
    range_s = round(t1 - t0)

    def run(panel_id: str) -> list[dict[str, Any]]:
        q = QUERIES[panel_id]
        return _promql(prometheus, _substitute(q.expr, range_s=range_s), t1, instant=q.instant)

    assert exact(_one(run("total_cost"))) == want_cost.quantize(TWELVE)
    by_user = {u: exact(v) for u, v in _by(run("cost_by_user"), "user").items()}
    assert by_user == {u: claude_cost(n).quantize(TWELVE) for u, n in RUNS.items()}
    tokens = {k: round(v) for k, v in _by(run("tokens_by_type"), "type").items()}
    assert tokens == claude_tokens(everything)
    assert _one(run("sessions")) == len(everything)
    assert _one(run("active_users")) == len(RUNS)
