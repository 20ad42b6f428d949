"""Every attribution dimension is a breakdown and a filter, and the parts of every
breakdown add up exactly to its total."""

from __future__ import annotations

import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ccotel.cli import main
from ccotel.query import BadQuery
from ccotel.report import data
from ccotel.report.query import ReportQuery
from ccotel.store import schema
from tests.attribution.helpers import Req, store

REQS = [
    Req("s1", Decimal("0.10"), attrs={"skill.name": "pdf", "query_source": "main",
                                      "effort": "high"}, resource={"team": "core"}),
    Req("s1", Decimal("0.20"), attrs={"agent.name": "explorer", "query_source": "subagent"},
        resource={"team": "core"}),
    Req("s2", Decimal("0.30"), attrs={"mcp_server.name": "github", "mcp_tool.name": "search",
                                      "plugin.name": "gh", "speed": "fast"},
        resource={"team": "web", "cost_center": "cc-7"}),
    Req("s3", Decimal("0.000000000007")),  # no attribution at all: "(unknown)", counted
]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("attrib")
    store(d, REQS)
    return d


def report(data_dir: Path, name: str, **params: str) -> dict[str, Any]:
    con = schema.connect(data_dir, read_only=True)
    try:
        return data.build(con, name, ReportQuery.parse({"tz": "UTC", **params}))
    finally:
        con.close()


def costs(rep: dict[str, Any], name: str, dim: str) -> dict[str, str]:
    return {e[dim]: e["totalCostExact"] for e in rep[name]}


@pytest.mark.parametrize(("name", "dim", "expected"), [
    ("skills", "skill", {"pdf": "0.1", "(unknown)": "0.500000000007"}),
    ("agents", "agent", {"explorer": "0.2", "(unknown)": "0.400000000007"}),
    ("mcp", "mcp", {"github": "0.3", "(unknown)": "0.300000000007"}),
])
def test_reports_per_skill_agent_and_mcp_server(data_dir: Path, name: str, dim: str,
                                                expected: dict[str, str]) -> None:
    rep = report(data_dir, name)
    assert costs(rep, name, dim) == expected
    assert rep["totals"]["totalCostExact"] == "0.600000000007"
    assert rep["totals"]["requests"] == 4


@pytest.mark.parametrize(("dim", "expected"), [
    ("query_source", {"main": "0.1", "subagent": "0.2", "(unknown)": "0.300000000007"}),
    ("effort", {"high": "0.1", "(unknown)": "0.500000000007"}),
    ("speed", {"fast": "0.3", "(unknown)": "0.300000000007"}),
    ("plugin", {"gh": "0.3", "(unknown)": "0.300000000007"}),
    ("mcp_tool.name", {"search": "0.3", "(unknown)": "0.300000000007"}),
    ("team", {"core": "0.3", "web": "0.3", "(unknown)": "0.000000000007"}),
    ("cost_center", {"cc-7": "0.3", "(unknown)": "0.300000000007"}),
    ("version", {"2.1.332": "0.600000000007"}),
])
def test_any_dimension_is_a_breakdown(data_dir: Path, dim: str,
                                      expected: dict[str, str]) -> None:
    rep = report(data_dir, "mcp", breakdown=dim)
    parts: dict[str, Decimal] = {}
    for e in rep["mcp"]:
        assert e["breakdownBy"] == (dim if dim != "mcp_tool.name" else "mcp_tool")
        for b in e["breakdowns"]:
            value = b[e["breakdownBy"]]
            parts[value] = parts.get(value, Decimal(0)) + Decimal(b["totalCostExact"])
    assert {k: format(v.normalize(), "f") for k, v in parts.items()} == expected


def test_filters_select_requests_on_any_report(data_dir: Path) -> None:
    rep = report(data_dir, "daily", **{"var-team": "core"})
    assert rep["totals"]["totalCostExact"] == "0.3"
    assert rep["filters"] == {"team": "core"}
    rep = report(data_dir, "skills", **{"var-team": "core", "var-query_source": "subagent"})
    assert costs(rep, "skills", "skill") == {"(unknown)": "0.2"}
    rep = report(data_dir, "users", **{"var-skill": "(unknown)"})
    assert rep["totals"]["requests"] == 3
    rep = report(data_dir, "repos", **{"var-agent.name": "nobody"})
    assert rep["repos"] == [] and rep["totals"]["requests"] == 0
    # "All" is Grafana's no-filter.
    assert report(data_dir, "mcp", **{"var-team": "All"})["totals"]["requests"] == 4


@pytest.mark.parametrize("params", [{"breakdown": "a b"}, {"var-x'y": "1"},
                                    {"breakdown": "x" * 100}])
def test_bad_dimensions_are_bad_queries(params: dict[str, str]) -> None:
    with pytest.raises(BadQuery, match="is not a dimension"):
        ReportQuery.parse({"tz": "UTC", **params})


def test_cli_breakdown_and_filter(data_dir: Path) -> None:
    run = CliRunner().invoke(main, ["report", "repos", "--data-dir", str(data_dir), "--tz",
                                    "UTC", "--json", "-b", "team", "-f", "query_source=main"])
    assert run.exit_code == 0, run.output
    rep = json.loads(run.output)
    assert rep["totals"]["totalCostExact"] == "0.1"
    assert rep["repos"][0]["breakdowns"][0]["team"] == "core"
    run = CliRunner().invoke(main, ["report", "mcp", "--data-dir", str(data_dir), "-f", "x"])
    assert run.exit_code == 2 and run.output.count("\n") == 1 and "DIM=VALUE" in run.output
    run = CliRunner().invoke(main, ["report", "skills", "--data-dir", str(data_dir), "-b"])
    assert run.exit_code == 0 and "Total" in run.output


# -- property: parts add up exactly ---------------------------------------------------------

_VALUES = st.sampled_from(["a", "b", "c"])
_REQ = st.builds(
    lambda s, cost, skill, qs, team: Req(
        s, cost, attrs={k: v for k, v in {"skill.name": skill, "query_source": qs}.items()
                        if v is not None},
        resource={"team": team} if team else {}),
    st.sampled_from(["s1", "s2", "s3"]),
    st.decimals(min_value=0, max_value=50, places=12, allow_nan=False, allow_infinity=False),
    st.none() | _VALUES, st.none() | _VALUES, st.none() | _VALUES)
_DIMS = st.sampled_from(["skill", "query_source", "team", "repo", "model", "user", "day"])


@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.lists(_REQ, min_size=1, max_size=12), _DIMS)
def test_parts_sum_exactly_to_the_total(reqs: list[Req], sub: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        store(d, reqs)
        expected = sum((r.cost for r in reqs), Decimal(0))
        # daily split per model is ccusage's report; by any other dimension, attribution's.
        for name in ("skills", "repos", "mcp") + (("daily",) if sub != "model" else ()):
            rep = report(d, name, breakdown=sub)
            total = Decimal(rep["totals"]["totalCostExact"])
            assert total == expected
            assert sum(Decimal(e["totalCostExact"]) for e in rep[name]) == total
            assert sum(e["requests"] for e in rep[name]) == len(reqs)
            for e in rep[name]:
                assert sum(Decimal(b["totalCostExact"]) for b in e["breakdowns"]) == Decimal(
                    e["totalCostExact"])
                assert sum(b["totalTokens"] for b in e["breakdowns"]) == e["totalTokens"]
