"""Reports: date ranges in a time zone, 5-hour windows, source filters, table layout."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from ccotel.query import BadQuery
from ccotel.report import data
from ccotel.report.blocks import block_json, build_blocks
from ccotel.report.query import ReportQuery
from ccotel.report.render import render, short_model
from ccotel.store import schema
from tests.importer.corpus import build_test_corpus
from tests.importer.helpers import cli, import_json, report, telemetry_body, write_telemetry

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 10, 5, 3, 0)  # naive UTC, inside the corpus' last window


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    corpus = build_test_corpus(root / "projects", days=3, sessions_per_day=2, turns=6)
    d = tmp_path_factory.mktemp("data")
    import_json(d, corpus.root)
    # Some telemetry of other work, with users and tool results.
    write_telemetry(d, telemetry_body(
        [(datetime(2026, 10, 2, 12, i, tzinfo=UTC), "claude-sonnet-4-5-20250929",
          corpus.truth.requests[0][2], f"req_tel_{i}") for i in range(3)]))
    return d


# -- dates and zones ----------------------------------------------------------------------


def test_dates_are_whole_days_in_the_zone() -> None:
    q = ReportQuery.parse({"since": "20261002", "until": "2026-10-03", "tz": "Asia/Tokyo"})
    assert q.utc_range() == (datetime(2026, 10, 1, 15), datetime(2026, 10, 3, 15))


def test_a_dst_day_has_its_real_length() -> None:
    q = ReportQuery.parse({"since": "2026-03-29", "until": "2026-03-29", "tz": "Europe/Paris"})
    start, end = q.utc_range()
    assert start is not None and end is not None and end - start == timedelta(hours=23)


@pytest.mark.parametrize("params,message", [
    ({"since": "2026/10/01"}, "is not a date"),
    ({"since": "2026-02-30"}, "day is out of range"),
    ({"since": "2026-10-02", "until": "2026-10-01"}, "must not be after"),
    ({"tz": "Mars/Olympus"}, "is not a time zone"),
    ({"source": "otlp"}, "--source"),
])
def test_bad_parameters_say_what_to_write(params: dict[str, str], message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        ReportQuery.parse({"tz": "UTC", **params})


def test_the_system_zone_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/Chicago")
    assert ReportQuery.parse({}).tz == "America/Chicago"


def test_the_zone_moves_requests_between_days(store: Path) -> None:
    utc = {d["period"]: d["requests"] for d in report(store, "daily", source="all")["daily"]}
    tokyo = {d["period"]: d["requests"]
             for d in report(store, "daily", source="all", tz="Asia/Tokyo")["daily"]}
    assert sum(utc.values()) == sum(tokyo.values())
    assert utc != tokyo


# -- what every report counts ------------------------------------------------------------


@pytest.mark.parametrize("source", ["all", "telemetry", "transcript"])
def test_every_report_counts_the_same_requests(store: Path, source: str) -> None:
    total = report(store, "daily", source=source)["totals"]
    for name in ("weekly", "monthly", "session", "models", "projects", "users"):
        t = report(store, name, source=source)["totals"]
        assert {k: t[k] for k in total} == total, name
    blocks = report(store, "blocks", source=source)["blocks"]
    assert sum(b["entries"] for b in blocks) == total["requests"]
    assert sum(b["totalTokens"] for b in blocks) == total["totalTokens"]


def test_sources_partition_the_requests(store: Path) -> None:
    parts = [report(store, "daily", source=s)["totals"] for s in ("telemetry", "transcript")]
    whole = report(store, "daily", source="all")["totals"]
    assert parts[0]["requests"] == 3
    for k in ("requests", "inputTokens", "totalTokens"):
        assert parts[0][k] + parts[1][k] == whole[k]


def test_json_uses_ccusages_field_names(store: Path) -> None:
    daily = report(store, "daily", source="all")
    day = daily["daily"][0]
    for k in ("period", "date", "inputTokens", "outputTokens", "cacheCreationTokens",
              "cacheReadTokens", "totalTokens", "totalCost", "modelsUsed", "modelBreakdowns"):
        assert k in day
    assert set(day["modelBreakdowns"][0]) >= {"modelName", "inputTokens", "outputTokens",
                                              "cacheCreationTokens", "cacheReadTokens", "cost"}
    assert {"inputTokens", "totalCost", "totalTokens"} <= set(daily["totals"])
    session = report(store, "session", source="all")["session"][0]
    assert {"period", "sessionId", "projectPath", "firstActivity", "lastActivity"} <= set(session)
    block = report(store, "blocks", source="all")["blocks"][0]
    assert {"id", "startTime", "endTime", "actualEndTime", "isActive", "isGap", "entries",
            "tokenCounts", "totalTokens", "costUSD", "models", "burnRate",
            "projection"} <= set(block)


def test_projects_and_users(store: Path) -> None:
    projects = {p["project"]: p for p in report(store, "projects", source="all")["projects"]}
    assert {"/home/dev/app", "/home/dev/lib", "/srv/tools"} <= set(projects)
    users = {u["user"] for u in report(store, "users", source="all")["users"]}
    assert users == {"(local transcripts)", "dev@example.com"}


def test_tools_from_transcripts(store: Path) -> None:
    tools = report(store, "tools", source="transcript")["tools"]
    assert [t["toolName"] for t in tools] == ["Bash"]
    assert tools[0]["calls"] > 0 and tools[0]["successRate"] is None


def test_every_report_works_on_an_empty_store(tmp_path: Path) -> None:
    schema.connect(tmp_path).close()
    con = schema.connect(tmp_path, read_only=True)
    try:
        for name in data.REPORTS:
            out = data.build(con, name, ReportQuery(tz="UTC"))
            assert out[next(iter(out))] == [], name
    finally:
        con.close()


def test_no_store_yet_says_how_to_make_one(tmp_path: Path) -> None:
    result = cli("report", "daily", "--data-dir", str(tmp_path / "none"), ok=False)
    assert result.exit_code != 0 and "ccotel import" in result.output


# -- 5-hour windows -----------------------------------------------------------------------


def _row(ts: datetime, tokens: int = 100, cost: float | None = 1.0) -> tuple[Any, ...]:
    return (ts, "claude-sonnet-4-5", tokens, 0, 0, 0, cost)


def test_windows_start_on_the_hour_and_last_five_hours() -> None:
    t0 = datetime(2026, 1, 1, 9, 40)
    blocks = build_blocks([_row(t0), _row(t0 + timedelta(hours=3)),
                           _row(t0 + timedelta(hours=5, minutes=30)),  # past 14:00: new window
                           _row(t0 + timedelta(hours=12))])            # idle > 5 h: a gap first
    assert [(b.start, b.gap, b.entries) for b in blocks] == [
        (datetime(2026, 1, 1, 9), False, 2),
        (datetime(2026, 1, 1, 15), False, 1),
        (datetime(2026, 1, 1, 20, 10), True, 0),
        (datetime(2026, 1, 1, 21), False, 1),
    ]
    assert blocks[2].end == t0 + timedelta(hours=12)


def test_the_active_window_has_a_burn_rate_and_a_projection() -> None:
    t0 = datetime(2026, 1, 1, 9, 0)
    [b] = build_blocks([_row(t0, 600, 0.5), _row(t0 + timedelta(minutes=30), 600, 0.5)])
    j = block_json(b, now=t0 + timedelta(hours=1))
    assert j["isActive"] and j["id"] == "2026-01-01T09:00:00.000Z"
    assert j["burnRate"] == {"tokensPerMinute": 40.0, "tokensPerMinuteForIndicator": 40.0,
                             "costPerHour": 2.0}
    assert j["projection"] == {"totalTokens": 1200 + 40 * 240, "totalCost": 9.0,
                               "remainingMinutes": 240}
    done = block_json(b, now=t0 + timedelta(hours=6))
    assert not done["isActive"] and done["burnRate"] is None and done["projection"] is None


def test_unpriced_requests_are_flagged_in_windows() -> None:
    [b] = build_blocks([_row(datetime(2026, 1, 1, 9), cost=None)])
    assert block_json(b, datetime(2027, 1, 1))["modelBreakdowns"][0]["missingPricing"] is True


# -- tables -------------------------------------------------------------------------------


def test_model_names_are_shortened_for_tables() -> None:
    assert short_model("claude-sonnet-4-5-20250929") == "sonnet-4-5"
    assert short_model("claude-opus-5-5") == "opus-5-5"
    assert short_model("gpt-4o") == "gpt-4o"


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("name", ["daily", "session", "blocks", "models", "tools"])
def test_tables_fit_the_terminal(store: Path, name: str, width: int) -> None:
    con = schema.connect(store, read_only=True)
    try:
        report_obj = data.build(con, name, ReportQuery(tz="UTC", now=NOW))
    finally:
        con.close()
    console = Console(width=width, record=True, color_system=None, force_terminal=False,
                      file=open(os.devnull, "w"))  # noqa: SIM115 - closed below
    try:
        render(name, report_obj, console, breakdown=name == "daily")
    finally:
        console.file.close()
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= width
    if width < 100 and name != "tools":  # cache columns left out, and said so
        assert "Cache Read" in text.split("Left out to fit", 1)[1]
    golden = GOLDEN / f"{name}-{width}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(text)
    assert text == golden.read_text(), f"{golden} differs; UPDATE_GOLDEN=1 to accept"
