"""The reports' command line: one range option under two names in every report, the range
each report covered, tables that never drop a column without saying so, and `--json`
errors that leave stdout empty."""

from __future__ import annotations

import io
import json
import re
from itertools import takewhile
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from rich.console import Console

from ccotel.cli import main
from ccotel.report.cli import HELP
from ccotel.report.render import render

REPORTS = sorted(HELP)
WIDTHS = (80, 100, 120, 200)
# Every column each report can show (render.py's full layout).
TOKENS = ["Input", "Output", "Cache Create", "Cache Read", "Total Tokens", "Cost (USD)"]
COLUMNS = {
    "daily": ["Date", "Models", *TOKENS], "weekly": ["Week of", "Models", *TOKENS],
    "monthly": ["Month", "Models", *TOKENS], "session": ["Session", "Models", *TOKENS],
    "projects": ["Project", "Models", *TOKENS], "users": ["User", "Models", *TOKENS],
    "blocks": ["Window start", "Status", "Models", *TOKENS],
    "models": ["Model", "Requests", *TOKENS, "Avg ms", "From"],
    "tools": ["Tool", "Calls", "Failed", "Success", "Rejected", "Avg ms", "Sessions"],
    "waste": ["Day", "User", "Repo", "Cost", "Compactions", "Compaction $", "Subagents",
              "Subagent $", "Cache rewrites", "Errors", "Refusals"],
}
# The attribution reports: one row per value of their dimension.
COLUMNS.update({name: [label, "Requests", "Sessions", *TOKENS] for name, label in (
    ("repos", "Repo"), ("branches", "Branch"), ("skills", "Skill"), ("agents", "Agent"),
    ("mcp", "Mcp"))})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    res = CliRunner().invoke(main, ["demo", "--users", "3", "--days", "3", "--data-dir", str(d)])
    assert res.exit_code == 0, res.output
    return d


def _json(store: Path, *args: str) -> dict[str, Any]:
    res = CliRunner().invoke(main, [*args, "--json", "--data-dir", str(store)])
    assert res.exit_code == 0, res.output + res.stderr
    return json.loads(res.stdout)  # type: ignore[no-any-return]


def _command(*path: str) -> click.Command:
    cmd: Any = main
    ctx = click.Context(main)
    for name in path:
        cmd = cmd.get_command(ctx, name)
    return cmd  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", [*REPORTS, "summary"])
def test_every_report_takes_since_and_from_as_one_option(name: str) -> None:
    params = {p.name: p.opts for p in _command("report", name).params}
    assert {"--since", "--from"} <= set(params["since"])
    assert {"--until", "--to"} <= set(params["until"])


def test_both_names_give_the_same_report(store: Path) -> None:
    a = _json(store, "report", "daily", "--since", "now-1d", "--until", "now")
    b = _json(store, "report", "daily", "--from", "now-1d", "--to", "now")
    assert a == b and a["daily"]
    s1 = _json(store, "report", "summary", "--from", "now-2d", "--to", "now-1h")
    s2 = _json(store, "report", "summary", "--since", "now-2d", "--until", "now-1h")
    assert s1["requests"] == s2["requests"] > 0


def test_every_report_says_the_range_it_covered(store: Path) -> None:
    out = _json(store, "report", "daily", "--since", "2026-10-01", "--until", "20261003",
                "--tz", "Asia/Tokyo")
    assert out["range"] == {"since": "2026-10-01", "until": "2026-10-03",
                            "timezone": "Asia/Tokyo", "from": "2026-09-30T15:00:00Z",
                            "to": "2026-10-03T15:00:00Z"}
    assert _json(store, "report", "tools")["range"]["since"] is None
    res = CliRunner().invoke(main, ["report", "monthly", "--since", "2026-10-01", "--tz", "UTC",
                                    "--data-dir", str(store)], terminal_width=120)
    assert "2026-10-01 → today (UTC)" in res.output
    res = CliRunner().invoke(main, ["report", "models", "--tz", "UTC",
                                    "--data-dir", str(store)], terminal_width=120)
    assert "all dates (UTC)" in res.output
    summary = CliRunner().invoke(main, ["report", "summary", "--from", "2026-10-01T00:00:00Z",
                                        "--to", "2026-10-02T00:00:00Z", "--data-dir",
                                        str(store)], terminal_width=120)
    assert "2026-10-01 00:00:00 → 2026-10-02 00:00:00 UTC" in summary.output


def _shown(name: str, report: dict[str, Any], width: int, wide: bool = False) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False,
                      file=io.StringIO())
    render(name, report, console, breakdown=name == "daily", wide=wide)
    return console.export_text()


def _header(text: str) -> list[str]:
    """The table's column names, each as shown: a name wrapped over several header lines
    at its spaces is read whole ("Window" over "start": "Window start"); one broken inside a
    word is not ("Tot" over "al": "Tot al")."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("┃"))
    head = list(takewhile(lambda line: line.startswith("┃"), lines[first:]))
    cells = [[c.strip() for c in line.strip("┃").split("┃")] for line in head]
    return [" ".join(part for part in column if part) for column in zip(*cells, strict=True)]


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", REPORTS)
def test_no_column_is_dropped_without_a_note(store: Path, name: str, width: int) -> None:
    report = _json(store, "report", name)
    text = _shown(name, report, width)
    assert max(len(line) for line in text.splitlines()) <= width
    shown = _header(text)
    note = " ".join(text.split("Left out to fit", 1)[1:]).replace("\n", " ")
    for column in COLUMNS[name]:
        assert column in shown or re.search(rf"\b{re.escape(column)}\b", note), \
            f"{column} is missing at {width} columns and no note names it:\n{text}"
    assert [c for c in shown if c not in COLUMNS[name]] == []  # no header was cut
    if set(shown) != set(COLUMNS[name]):
        assert "--wide" in note


def test_wide_shows_every_column_with_exact_numbers(store: Path) -> None:
    report = _json(store, "report", "daily")
    text = _shown("daily", report, 80, wide=True)
    for column in COLUMNS["daily"]:
        assert column in text
    assert f"{report['totals']['cacheReadTokens']:,}" in text
    assert "Left out" not in text


def test_compact_numbers_say_so(store: Path) -> None:
    report = _json(store, "report", "daily")
    text = _shown("daily", report, 80)
    total = report["totals"]["totalTokens"]
    if "Total Tokens" in text and f"{total:,}" not in text:
        assert "Numbers rounded" in text
        assert f"{total / 1e6:.1f}M" in text


@pytest.mark.parametrize("args", [
    ["import", "--json"],
    ["report", "daily", "--json", "--since", "yesterday-ish"],
    ["report", "summary", "--json", "--from", "soon"],
    ["demo", "--json", "--users", "0"],
    ["stack", "init", "--json", "--grafana-port", "0"],
])
def test_a_json_command_that_fails_prints_nothing_on_stdout(tmp_path: Path,
                                                            args: list[str]) -> None:
    """One rule for every --json command: an error is one `Error:` line on stderr, stdout
    stays empty (a script reading stdout sees no JSON, and the exit code says why)."""
    (tmp_path / "home").mkdir()
    env = {"HOME": str(tmp_path / "home"), "CLAUDE_CONFIG_DIR": str(tmp_path / "none")}
    res = CliRunner().invoke(main, [*args, "--data-dir", str(tmp_path / "d")]
                                             if args[0] not in ("stack",) else args, env=env)
    assert res.exit_code != 0
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
