"""`ccotel report waste`: where the money went, per day, user and repo."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from ccotel.cli import main
from tests.attribution.helpers import Req, store
from tests.attribution.test_breakdowns import report


def test_waste_names_compactions_subagents_cache_rewrites_and_failures(tmp_path: Path) -> None:
    store(tmp_path, [
        Req("s1", Decimal("0.5"), cache_creation=1000, attrs={"query_source": "main"}),
        Req("s1", Decimal("0.25"), cache_creation=300, attrs={"query_source": "main"}),
        Req("s1", Decimal("0.125"), attrs={"query_source": "compact"}),
        Req("s1", Decimal("0.0625"), attrs={"query_source": "subagent"}),
        Req("s1", Decimal(0), event="api_error", attrs={"error": "overloaded"}),
        Req("s1", Decimal(0), event="api_refusal"),
        Req("s2", Decimal(1), cache_creation=50, resource={"team": "web"}),
    ])
    rep = report(tmp_path, "waste")
    assert [(e["user"], e["repo"]) for e in rep["waste"]] == [("u1", "(unknown)")]
    t = rep["totals"]
    assert t["totalCostExact"] == "1.9375" and t["requests"] == 5
    assert (t["compactions"], t["compactionCost"]) == (1, 0.125)
    assert (t["subagentRequests"], t["subagentCost"]) == (1, 0.0625)
    # The first request of a session writes its cache; what later ones write is paid again.
    assert t["cacheRewriteTokens"] == 300
    assert (t["apiErrors"], t["refusals"]) == (1, 1)
    # Filters apply to waste too.
    assert report(tmp_path, "waste", **{"var-team": "web"})["totals"]["requests"] == 1

    run = CliRunner().invoke(main, ["report", "waste", "--data-dir", str(tmp_path), "--tz",
                                    "UTC"])
    assert run.exit_code == 0, run.output
    assert "Where the money went" in run.output and "$0.12" in run.output
