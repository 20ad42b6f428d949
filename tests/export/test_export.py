"""Exports: every kind in every format sums to /api/v1/summary, with typed Parquet, a CSV
header row, the same bytes through a running server's API, and bounded memory."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ccotel.demo.generate import Spec, spec_for_events
from ccotel.demo.load import write_bulk
from ccotel.store import export, reader, schema
from ccotel.store.writer import Writer
from tests.conftest import start_server

READ = {"csv": "read_csv", "parquet": "read_parquet", "jsonl": "read_json"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("export") / "data"
    con = schema.connect(data_dir)
    write_bulk(Writer(con), Spec(users=4, days=3, seed=5))
    con.close()
    return data_dir


def _totals(path: Path, fmt: str, kind: str) -> dict[str, Any]:
    """Sums over an exported file, read back by DuckDB."""
    con = duckdb.connect()
    rel = f"{READ[fmt]}('{path}')"
    cols = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()}
    where = "WHERE event_name = 'api_request'" if kind == "events" else ""
    sums = [c for c in ("requests", "errors", "tool_calls", "tool_failures", "input_tokens",
                        "output_tokens", "cache_read_tokens", "cache_creation_tokens",
                        "cost_usd", "calls", "failures", "lines_added") if c in cols]
    exprs = [f"sum({c})::DOUBLE AS {c}" for c in sums]
    if kind in ("events", "requests"):
        exprs.append("count(*) AS requests")
    cur = con.execute(f"SELECT {', '.join(exprs)} FROM {rel} {where}")
    return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))


def _check(kind: str, got: dict[str, Any], summary: dict[str, Any]) -> None:
    tokens = summary["tokens"]
    expected = {"requests": summary["requests"], "errors": summary["errors"],
                "tool_calls": summary["tool_calls"], "tool_failures": summary["tool_failures"],
                "input_tokens": tokens["input"], "output_tokens": tokens["output"],
                "cache_read_tokens": tokens["cacheRead"],
                "cache_creation_tokens": tokens["cacheCreation"],
                "calls": summary["tool_calls"], "failures": summary["tool_failures"],
                "lines_added": summary["lines_added"]}
    for key, value in got.items():
        if key == "cost_usd":
            assert value == pytest.approx(summary["cost_usd"], abs=1e-9), (kind, key)
        else:
            assert value == expected[key], (kind, key)
    assert got, kind


@pytest.mark.parametrize("fmt", export.FORMATS)
def test_every_kind_sums_to_the_summary(store: Path, tmp_path: Path, fmt: str) -> None:
    con = schema.connect(store, read_only=True)
    q = export.parse_query({})
    summary = reader.summary(con, q)
    assert summary["requests"] > 100 and summary["cost_usd"] > 0
    for kind in export.KINDS:
        path = tmp_path / f"{kind}.{fmt}"
        export.write(con, kind, fmt, q, path)
        _check(kind, _totals(path, fmt, kind), summary)
    # A filter narrows every kind the way it narrows the summary.
    user = con.execute("SELECT any_value(user_id) FROM events").fetchone()[0]
    fq = export.parse_query({"user": user, "since": "now-2d"})
    fsummary = reader.summary(con, fq)
    assert 0 < fsummary["requests"] < summary["requests"]
    path = tmp_path / f"filtered.{fmt}"
    export.write(con, "sessions", fmt, fq, path)
    _check("sessions", _totals(path, fmt, "sessions"), fsummary)
    con.close()


def test_parquet_columns_are_typed(store: Path, tmp_path: Path) -> None:
    con = schema.connect(store, read_only=True)
    for kind in ("events", "requests", "sessions", "daily"):
        export.write(con, kind, "parquet", export.parse_query({}), tmp_path / f"{kind}.parquet")
    con.close()
    ev = pq.read_schema(tmp_path / "events.parquet")
    assert ev.field("ts").type == pa.timestamp("us")
    assert pa.types.is_decimal(ev.field("cost_usd").type)
    assert ev.field("input_tokens").type == pa.int64()
    sessions = pq.read_table(tmp_path / "sessions.parquet")
    assert sessions.schema.field("first_ts").type == pa.timestamp("us")
    assert isinstance(sessions.column("cost_usd")[0].as_py(), Decimal)
    assert pq.read_schema(tmp_path / "daily.parquet").field("day").type == pa.date32()


def test_csv_has_a_header_row(store: Path, tmp_path: Path) -> None:
    con = schema.connect(store, read_only=True)
    path = tmp_path / "requests.csv"
    export.write(con, "requests", "csv", export.parse_query({}), path)
    con.close()
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert {"ts", "session_id", "model", "cost_usd", "input_tokens"} <= set(rows[0])
    assert all(r["ts"][:2] == "20" for r in rows)


def _ccotel(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "ccotel", *args], capture_output=True,
                          timeout=300, check=False)


def test_cli_writes_a_file_and_refuses_bad_input(store: Path, tmp_path: Path) -> None:
    out = tmp_path / "daily.parquet"
    done = _ccotel("export", "daily", "--format", "parquet", "--data-dir", str(store),
                   "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert pq.read_table(out).num_rows >= 3
    bad = _ccotel("export", "daily", "--since", "yesterday-ish", "--data-dir", str(store))
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr
    assert b"not a time" in bad.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Any]:
    srv = start_server(tmp_path / "data")
    done = _ccotel("demo", "--url", srv.http, "--users", "3", "--days", "2", "--json")
    assert done.returncode == 0, done.stderr
    yield srv
    srv.stop()


def test_api_streams_each_format_with_the_summary_totals(served: Any, tmp_path: Path) -> None:
    summary = served.summary()
    assert summary["requests"] > 0
    for fmt in export.FORMATS:
        for kind in ("requests", "daily", "repos"):
            path = tmp_path / f"{kind}.{fmt}"
            with httpx.stream("GET", f"{served.ui}/api/v1/export/{kind}",
                              params={"format": fmt}, timeout=60) as resp:
                assert resp.status_code == 200
                assert resp.headers["content-type"].startswith(
                    export.MEDIA_TYPES[fmt].split(";")[0])
                with path.open("wb") as f:
                    for chunk in resp.iter_bytes():
                        f.write(chunk)
            _check(kind, _totals(path, fmt, kind), summary)
    # The temporary files are gone once streamed, and a restart clears any left behind.
    assert not list(served.data_dir.glob("*.export"))

    # `ccotel export` goes through the running server (it holds the store's lock).
    out = tmp_path / "cli.csv"
    done = _ccotel("export", "requests", "--data-dir", str(served.data_dir), "-o", str(out))
    assert done.returncode == 0, done.stderr
    _check("requests", _totals(out, "csv", "requests"), summary)
    (served.data_dir / "ccotel-left.export").mkdir()
    served.stop()
    again = start_server(served.data_dir)
    try:
        assert not list(again.data_dir.glob("*.export"))
    finally:
        again.stop()


@pytest.mark.parametrize("path, params", [
    ("/api/v1/export/nothing", {}),
    ("/api/v1/export/events", {"format": "xlsx"}),
    ("/api/v1/export/events", {"since": "garbage"}),
    ("/api/v1/export/events", {"since": "now", "until": "now-1d"}),
])
def test_api_answers_bad_requests_with_400(server: Any, path: str,
                                           params: dict[str, str]) -> None:
    resp = httpx.get(f"{server.ui}{path}", params=params, timeout=30)
    assert resp.status_code == 400
    assert resp.json()["error"]["message"]


def test_memory_stays_bounded(tmp_path: Path) -> None:
    """A 100 k-event export's peak RSS: the 10 M figure is bench/export.py's."""
    data_dir = tmp_path / "data"
    con = schema.connect(data_dir)
    write_bulk(Writer(con), spec_for_events(100_000, users=10, days=3))
    con.close()
    for fmt in export.FORMATS:
        code = (
            "import re, sys\n"
            "from ccotel.export_cli import export_command\n"
            f"try:\n    export_command(['events', '--format', '{fmt}', '--data-dir', "
            f"'{data_dir}', '-o', '{tmp_path / ('events.' + fmt)}'])\n"
            "except SystemExit as e:\n    assert not e.code\n"
            # VmHWM: this process's peak RSS (ru_maxrss would include the parent's).
            "status = open('/proc/self/status').read()\n"
            "print(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=300, env=os.environ, check=False)
        assert done.returncode == 0, done.stderr
        rss_mb = int(done.stdout.split()[-1]) / 1024
        assert rss_mb < 300, (fmt, rss_mb)
        assert (tmp_path / f"events.{fmt}").stat().st_size > 1_000_000
