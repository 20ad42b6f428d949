"""The DuckDB path (whole files) and the Python path (line by line) store the same rows."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ccotel.importer.bulk import complete_end
from tests.importer.corpus import Corpus, build_test_corpus, dumps
from tests.importer.helpers import cli_json, report, telemetry_body, write_telemetry

COLUMNS = ("event_key", "event_name", "ts", "time_unix_nano", "session_id", "model",
           "request_id", "input_tokens", "output_tokens", "cache_read_tokens",
           "cache_creation_tokens", "cache_creation_5m_tokens", "cache_creation_1h_tokens",
           "cost_usd", "speed", "app_version", "source", "project", "git_branch", "attributes",
           "tool_name", "tool_use_id")


def imported(data: Path, root: Path, engine: str) -> dict[str, Any]:
    return cli_json("import", str(root), "--data-dir", str(data), "--engine", engine)  # type: ignore[no-any-return]


def rows(data: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(data / "ccotel.duckdb"), read_only=True)
    try:
        return con.execute(f"SELECT {', '.join(COLUMNS)} FROM events "
                           "WHERE source = 'transcript' ORDER BY event_key").fetchall()
    finally:
        con.close()


def offsets(data: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(data / "ccotel.duckdb"), read_only=True)
    try:
        return con.execute("SELECT path, offset_bytes, head_hash FROM import_files "
                           "ORDER BY path").fetchall()
    finally:
        con.close()


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return build_test_corpus(tmp_path / "projects")


def test_both_paths_store_the_same_rows_and_offsets(tmp_path: Path, corpus: Corpus) -> None:
    py = imported(tmp_path / "py", corpus.root, "python")
    db = imported(tmp_path / "db", corpus.root, "duckdb")
    assert rows(tmp_path / "py") == rows(tmp_path / "db")
    assert offsets(tmp_path / "py") == offsets(tmp_path / "db")
    for k in ("inserted", "requestLines", "toolUses", "synthetic", "invalid", "partialLines",
              "malformedLines", "sidechainReplays", "bytesRead", "filesRead"):
        assert py[k] == db[k], k


def test_the_paths_continue_each_other(tmp_path: Path, corpus: Corpus) -> None:
    files = sorted(corpus.root.rglob("*.jsonl"))
    first = tmp_path / "first"
    for f in files[::2]:
        dest = first / f.relative_to(corpus.root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    # Half through Python (rows stored), then everything through DuckDB: the stored rows
    # take part in dedupe as read first.
    imported(tmp_path / "mixed", first, "python")
    imported(tmp_path / "mixed", corpus.root, "duckdb")
    imported(tmp_path / "py", corpus.root, "python")
    assert report(tmp_path / "mixed") == report(tmp_path / "py")


def test_requests_known_from_telemetry_become_copies_in_both(tmp_path: Path) -> None:
    corpus = build_test_corpus(tmp_path / "projects", no_split_rate=0)
    body = telemetry_body(corpus.truth.requests[::4])
    for engine in ("python", "duckdb"):
        write_telemetry(tmp_path / engine, body)
        out = imported(tmp_path / engine, corpus.root, engine)
        assert out["alreadyFromTelemetry"] == len(corpus.truth.requests[::4])
    assert rows(tmp_path / "python") == rows(tmp_path / "duckdb")


def test_lines_duckdb_cannot_read_go_to_the_python_parser(tmp_path: Path) -> None:
    c = Corpus(tmp_path / "projects")
    _, path, lines = c.session(datetime(2026, 3, 1, tzinfo=UTC), turns=4)
    entries = [json.loads(x) for x in lines if '"usage"' in x]
    huge = json.loads(json.dumps(entries[-1]))
    huge["message"]["id"] = "msg_huge"
    huge["requestId"] = "req_huge"
    huge["message"]["content"] = [{"type": "text", "text": "x" * (9 << 20)}]  # > 8 MB
    c.write(path, lines[:5])
    bad_at = path.stat().st_size
    with path.open("ab") as f:
        f.write(b'{"message":{"usage":{"note":"\xff\xfe"}}}\n')  # not UTF-8
        f.write(b'{"text":"\xff no usage here"}\n')  # not UTF-8, but nothing to count
        f.write((dumps(huge) + "\n").encode())
        f.write(b'{"cut":"\xc3')  # an unfinished line, cut inside a character
    for engine in ("python", "duckdb"):
        out = imported(tmp_path / engine, c.root, engine)
        assert out["partialLines"] == 1, engine
        assert [(m["offset"], m["reason"]) for m in out["malformed"]] == [
            (bad_at, "not JSON")], engine
    assert rows(tmp_path / "python") == rows(tmp_path / "duckdb")
    assert any(r[0] == "tx:msg_huge:req_huge" for r in rows(tmp_path / "duckdb"))


def test_a_line_without_a_message_id_gets_the_same_key_both_ways(tmp_path: Path) -> None:
    c = Corpus(tmp_path / "projects")
    _, path, lines = c.session(datetime(2026, 3, 1, tzinfo=UTC), turns=2)
    entries = [json.loads(x) for x in lines if '"usage"' in x]
    anon = entries[0]
    del anon["message"]["id"]
    c.write(path, [*lines, dumps(anon)])
    imported(tmp_path / "py", c.root, "python")
    imported(tmp_path / "db", c.root, "duckdb")
    assert rows(tmp_path / "py") == rows(tmp_path / "db")
    assert any(r[0].startswith("tx::") for r in rows(tmp_path / "db"))


# Leaf values a transcript should not hold, but might: each path must read them alike
# (a token count is a JSON integer >= 0; anything else does not count).
ODD_LEAVES: list[tuple[str, Any]] = [
    ("input_tokens", "12"), ("input_tokens", 12.0), ("input_tokens", -3),
    ("input_tokens", 1e3), ("input_tokens", True), ("input_tokens", None),
    ("output_tokens", 2**64), ("output_tokens", [5]),
    ("cache_read_input_tokens", "7"), ("cache_read_input_tokens", 7.5),
    ("cache_creation_input_tokens", {"n": 1}), ("cache_creation", 5),
    ("cache_creation", [1, 2]), ("cache_creation", "x"), ("cache_creation", {}),
    ("cache_creation", {"ephemeral_5m_input_tokens": "9", "ephemeral_1h_input_tokens": 4}),
    ("cache_creation", {"ephemeral_5m_input_tokens": 2.0, "ephemeral_1h_input_tokens": -1}),
    ("cache_creation", {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 10**6}),
]


def test_odd_leaf_values_are_read_alike(tmp_path: Path) -> None:
    c = Corpus(tmp_path / "projects")
    _, path, lines = c.session(datetime(2026, 3, 1, tzinfo=UTC), turns=2, no_split_rate=0)
    template = next(json.loads(x) for x in lines if '"usage"' in x)
    odd = []
    for i, (leaf, value) in enumerate(ODD_LEAVES):
        entry = json.loads(json.dumps(template))
        entry["message"]["id"] = f"msg_odd{i}"
        entry["requestId"] = f"req_odd{i}"
        entry["message"]["usage"][leaf] = value
        odd.append(dumps(entry))
    c.write(path, lines + odd)
    out = {engine: imported(tmp_path / engine, c.root, engine) for engine in ("python", "duckdb")}
    assert out["python"]["requestLines"] == out["duckdb"]["requestLines"]
    assert rows(tmp_path / "python") == rows(tmp_path / "duckdb")
    keys = {r[0] for r in rows(tmp_path / "duckdb")}
    # Counted: the odd values in fields that only add to a request (read as 0 or, for
    # an integer, as themselves); not counted: a request without integer in/out tokens.
    assert "tx:msg_odd0:req_odd0" not in keys and "tx:msg_odd2:req_odd2" not in keys
    assert "tx:msg_odd8:req_odd8" in keys and "tx:msg_odd17:req_odd17" in keys


def test_complete_end(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"a\nb\nc")
    assert complete_end(f, 5) == 4
    f.write_bytes(b"x" * 200_000)
    assert complete_end(f, 200_000) == 0
    f.write_bytes(b"\n" + b"x" * 200_000)
    assert complete_end(f, 200_001) == 1


def test_price_tables_that_are_not_linear_are_priced_row_by_row(
        tmp_path: Path, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    from ccotel.claude import pricing

    imported(tmp_path / "py", corpus.root, "python")
    monkeypatch.setattr(pricing._Table, "pico_rates", lambda self: "library")
    imported(tmp_path / "db", corpus.root, "duckdb")
    assert rows(tmp_path / "py") == rows(tmp_path / "db")
