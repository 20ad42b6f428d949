"""Against the real ccusage 20.0.24, offline, on the same transcript corpus.

For the models ccusage prices, `ccotel report daily --json --source transcript` must have
exactly ccusage's token totals per day and a cost within 0.5 %. Tokens are compared for
every model (counting does not depend on prices); the model ccusage cannot price yet is
priced by ccotel (genai-prices) and listed by ccusage as unpriced.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.claude_cli import ToolNotInstalled, ccusage_binary
from tests.importer.corpus import NEW_MODEL, PRICED_MODELS, build_test_corpus
from tests.importer.helpers import cli_json, report

pytestmark = pytest.mark.e2e

TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens",
          "totalTokens")


def ccusage(home: Path, *args: str) -> dict[str, Any]:
    try:
        binary = ccusage_binary()
    except ToolNotInstalled as exc:
        pytest.fail(str(exc))
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", ""), "NO_COLOR": "1",
           "TZ": "UTC"}
    out = subprocess.run([str(binary), *args, "--json", "--offline"], env=env, cwd=home,
                         capture_output=True, text=True, timeout=120, check=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def corpus_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    build_test_corpus(home / ".claude" / "projects", days=5, sessions_per_day=3)
    return home


@pytest.fixture(scope="module", params=["duckdb", "python"])
def data_dir(request: pytest.FixtureRequest, corpus_home: Path,
             tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus imported by each path: whole files in DuckDB, or line by line."""
    data = tmp_path_factory.mktemp(f"data-{request.param}")
    cli_json("import", str(corpus_home / ".claude" / "projects"), "--data-dir", str(data),
             "--engine", request.param)
    return data


@pytest.mark.parametrize("tz", ["UTC", "Asia/Tokyo", "America/Los_Angeles"])
def test_daily_equals_ccusage(corpus_home: Path, data_dir: Path, tz: str) -> None:
    theirs = ccusage(corpus_home, "daily", "-z", tz)
    ours = report(data_dir, "daily", tz=tz)
    compare(theirs, ours, "daily")


@pytest.mark.parametrize("name", ["weekly", "monthly"])
def test_weekly_and_monthly_equal_ccusage(corpus_home: Path, data_dir: Path, name: str) -> None:
    compare(ccusage(corpus_home, name, "-z", "UTC"), report(data_dir, name), name)


def test_since_until_select_the_same_days(corpus_home: Path, data_dir: Path) -> None:
    theirs = ccusage(corpus_home, "daily", "-z", "UTC", "--since", "20261002",
                     "--until", "2026-10-03")
    ours = report(data_dir, "daily", "--since", "20261002", "--until", "2026-10-03")
    assert [d["period"] for d in ours["daily"]] == ["2026-10-02", "2026-10-03"]
    compare(theirs, ours, "daily")


def compare(theirs: dict[str, Any], ours: dict[str, Any], key: str) -> None:
    mine = {d["period"]: d for d in ours[key]}
    assert sorted(mine) == sorted(d["period"] for d in theirs[key])
    for day in theirs[key]:
        ccu = mine[day["period"]]
        assert {k: ccu[k] for k in TOKENS} == {k: day[k] for k in TOKENS}, day["period"]
        assert set(ccu["modelsUsed"]) == set(day["modelsUsed"])
        ours_by_model = {b["modelName"]: b for b in ccu["modelBreakdowns"]}
        priced = 0.0
        for b in day["modelBreakdowns"]:
            o = ours_by_model[b["modelName"]]
            assert {k: o[k] for k in TOKENS[:4]} == {k: b[k] for k in TOKENS[:4]}
            if b["modelName"] in PRICED_MODELS:
                assert not b.get("missingPricing")
                assert o["cost"] == pytest.approx(b["cost"], rel=0.005), b["modelName"]
                priced += o["cost"]
            else:
                assert b["modelName"] == NEW_MODEL and b.get("missingPricing")
                assert o["cost"] > 0 and not o.get("missingPricing")
        # ccusage's day cost is the cost of the models it prices.
        assert priced == pytest.approx(day["totalCost"], rel=0.005)
    assert {k: ours["totals"][k] for k in TOKENS} == {k: theirs["totals"][k] for k in TOKENS}
    assert theirs["totals"].get("unpricedModels") == [NEW_MODEL]
    assert "unpricedModels" not in ours["totals"]
