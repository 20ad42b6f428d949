"""`ccotel import` on a corpus with known truth: exact counts, re-runs, appends, partial
and malformed lines, and requests that telemetry already (or later) reported."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.importer.corpus import Corpus, Truth, build_test_corpus, dumps
from tests.importer.helpers import (
    cli,
    import_json,
    report,
    telemetry_body,
    write_telemetry,
)

START = datetime(2026, 5, 1, 9, tzinfo=UTC)
TOKENS = ("inputTokens", "outputTokens", "cacheCreationTokens", "cacheReadTokens")


def by_day(truth: Truth) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (day, _model), d in truth.days.items():
        for k, v in d.items():
            out[day][k] += v
    return {k: dict(v) for k, v in out.items()}


def assert_matches_truth(daily: dict[str, Any], truth: Truth) -> None:
    expected = by_day(truth)
    assert [d["period"] for d in daily["daily"]] == sorted(expected)
    for d in daily["daily"]:
        want = expected[d["period"]]
        assert {k: d[k] for k in (*TOKENS, "requests")} == {k: want[k] for k in
                                                          (*TOKENS, "requests")}, d["period"]
        for b in d["modelBreakdowns"]:
            per_model = truth.days[(d["period"], b["modelName"])]
            assert {k: b[k] for k in TOKENS} == {k: per_model[k] for k in TOKENS}
    totals = truth.totals()
    assert {k: daily["totals"][k] for k in TOKENS} == {k: totals[k] for k in TOKENS}


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return build_test_corpus(tmp_path / "home" / ".claude" / "projects")


def test_import_counts_exactly_the_ground_truth(tmp_path: Path, corpus: Corpus) -> None:
    data = tmp_path / "data"
    out = import_json(data, corpus.root)
    assert out["malformedLines"] == corpus.stats["malformed"] == 2
    assert out["partialLines"] == 1
    assert out["sidechainReplays"] == corpus.stats["sidechain_replays"]
    assert out["synthetic"] == corpus.stats["synthetic"]
    assert out["unpricedModels"] == []
    assert_matches_truth(report(data), corpus.truth)


def test_importing_twice_changes_nothing(tmp_path: Path, corpus: Corpus) -> None:
    data = tmp_path / "data"
    import_json(data, corpus.root)
    first = report(data)
    again = import_json(data, corpus.root)
    assert (again["filesRead"], again["bytesRead"], again["inserted"]) == (1, 0, 0)  # the
    # file ending in an unfinished line is looked at again, and still left alone
    assert report(data) == first


def test_a_full_rescan_of_the_same_files_still_counts_once(tmp_path: Path,
                                                           corpus: Corpus) -> None:
    data = tmp_path / "data"
    import_json(data, corpus.root)
    first = report(data)
    # Forget the offsets: every byte is read again, and dedupe keeps the counts.
    import duckdb

    con = duckdb.connect(str(data / "ccotel.duckdb"))
    con.execute("DELETE FROM import_files")
    con.close()
    out = import_json(data, corpus.root)
    assert out["inserted"] == 0 and out["bytesRead"] > 0
    assert report(data) == first


def test_a_rerun_reads_only_appended_bytes(tmp_path: Path) -> None:
    c = Corpus(tmp_path / "projects")
    start = START
    sid, path, lines = c.session(start, turns=5)
    c.write(path, lines)
    data = tmp_path / "data"
    import_json(data, c.root)
    _, _, more = c.session(start + timedelta(hours=1), turns=4, session_id=sid)
    appended = "".join(line + "\n" for line in more)
    with path.open("a") as f:
        f.write(appended)
    out = import_json(data, c.root)
    assert out["bytesRead"] == len(appended.encode())
    assert_matches_truth(report(data), c.truth)


def test_an_unfinished_line_is_counted_once_finished(tmp_path: Path) -> None:
    c = Corpus(tmp_path / "projects")
    start = START
    _, path, lines = c.session(start, turns=3)
    done = c.truth
    c.truth = Truth()
    _, _, late = c.session(start + timedelta(hours=1), turns=1)
    last = next(x for x in late if '"usage"' in x)
    cut = len(last) // 2
    c.write(path, lines, partial_tail=last[:cut])
    data = tmp_path / "data"
    out = import_json(data, c.root)
    assert out["partialLines"] == 1
    assert_matches_truth(report(data), done)
    with path.open("a") as f:
        f.write(last[cut:] + "\n")
    import_json(data, c.root)
    assert report(data)["totals"]["requests"] == done.totals()["requests"] + 1


def test_a_more_complete_copy_in_a_later_run_replaces_the_first(tmp_path: Path) -> None:
    c = Corpus(tmp_path / "projects")
    start = START
    _, path, lines = c.session(start, turns=1, partial_copy_rate=0)
    entries = [json.loads(x) for x in lines if '"usage"' in x]
    early = json.loads(json.dumps(entries[0]))
    early["message"]["usage"]["output_tokens"] = 1
    path.parent.mkdir(parents=True)
    path.write_text(dumps(early) + "\n")
    data = tmp_path / "data"
    import_json(data, c.root)
    assert report(data)["totals"]["outputTokens"] == 1
    with path.open("a") as f:
        f.write("".join(x + "\n" for x in lines))
    out = import_json(data, c.root)
    assert out["replaced"] == 1
    assert_matches_truth(report(data), c.truth)


def test_a_truncated_file_is_read_again_without_double_counting(tmp_path: Path) -> None:
    c = Corpus(tmp_path / "projects")
    start = START
    _, path, lines = c.session(start, turns=6)
    c.write(path, lines)
    data = tmp_path / "data"
    import_json(data, c.root)
    # Rewritten shorter (a compaction, or a restore from backup): same first lines.
    path.write_text("".join(x + "\n" for x in lines[: len(lines) // 2]))
    out = import_json(data, c.root)
    assert out["filesRestarted"] == 1 and out["inserted"] == 0
    assert_matches_truth(report(data), c.truth)


def test_telemetry_first_then_import_counts_each_request_once(tmp_path: Path) -> None:
    # Every line carries the 5m/1h split, so transcript and telemetry agree on cost too.
    corpus = build_test_corpus(tmp_path / "projects", no_split_rate=0)
    data = tmp_path / "data"
    known = corpus.truth.requests[::3]
    write_telemetry(data, telemetry_body(known))
    out = import_json(data, corpus.root)
    assert out["alreadyFromTelemetry"] == len(known)
    everything = report(data, source="all")
    assert_matches_truth(everything, corpus.truth)
    tel, tx = report(data, source="telemetry"), report(data, source="transcript")
    for k in TOKENS:
        assert tel["totals"][k] + tx["totals"][k] == everything["totals"][k]
    assert tel["totals"]["requests"] == len(known)


def test_import_first_then_telemetry_still_counts_each_request_once(tmp_path: Path) -> None:
    corpus = build_test_corpus(tmp_path / "projects", no_split_rate=0)
    data = tmp_path / "data"
    import_json(data, corpus.root)
    before = report(data, source="all")
    known = corpus.truth.requests[1::2]
    write_telemetry(data, telemetry_body(known))
    after = report(data, source="all")
    assert {k: after["totals"][k] for k in (*TOKENS, "requests")} == {
        k: before["totals"][k] for k in (*TOKENS, "requests")}
    assert after["totals"]["totalCost"] == pytest.approx(before["totals"]["totalCost"],
                                                         rel=1e-9)
    assert report(data, source="telemetry")["totals"]["requests"] == len(known)
    # Every report counts by the same rule.
    for name in ("weekly", "monthly", "session", "models", "projects", "users"):
        r = report(data, name, source="all")
        assert r["totals"]["requests"] == before["totals"]["requests"], name
    blocks = report(data, "blocks", source="all")["blocks"]
    assert sum(b["entries"] for b in blocks) == before["totals"]["requests"]
    # ... and so do the summary and the dashboard, which read the hourly rollups.
    from ccotel.query import Query
    from ccotel.store import reader, schema

    con = schema.connect(data, read_only=True)
    try:
        s = reader.summary(con, Query(start=datetime(2000, 1, 1), end=datetime(2100, 1, 1)))
    finally:
        con.close()
    assert s["requests"] == before["totals"]["requests"]
    assert s["cost_usd"] == pytest.approx(before["totals"]["totalCost"], rel=1e-9)
    assert s["tokens"]["input"] == before["totals"]["inputTokens"]


def test_the_human_summary_reports_what_was_skipped(tmp_path: Path, corpus: Corpus) -> None:
    result = cli("import", str(corpus.root), "--data-dir", str(tmp_path / "data"))
    assert "Imported" in result.stdout and "sidechain replays" in result.stdout
    assert "2 malformed lines skipped" in result.output
    assert "unfinished line" in result.stdout


def test_no_transcripts_anywhere_is_a_clear_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    result = cli("import", "--data-dir", str(tmp_path / "data"), ok=False)
    assert result.exit_code != 0 and "pass the folder" in result.output


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_the_progress_bar_can_be_forced(tmp_path: Path, corpus: Corpus, engine: str) -> None:
    result = cli("import", str(corpus.root), "--data-dir", str(tmp_path / engine),
                 "--progress", "--engine", engine)
    assert "Imported" in result.stdout
