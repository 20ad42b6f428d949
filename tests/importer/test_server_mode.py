"""With `ccotel serve` running, import and reports go through it (it holds DuckDB's lock)
and give the same answers as without it; offsets stay consistent between the two modes."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server
from tests.importer.corpus import build_test_corpus
from tests.importer.helpers import cli, import_json, report, serve_in_thread

REPORTS = ("daily", "weekly", "monthly", "session", "models", "tools", "projects", "users")


def test_import_and_reports_through_a_running_server(tmp_path: Path) -> None:
    corpus = build_test_corpus(tmp_path / "projects")
    data = tmp_path / "data"
    with serve_in_thread(data):
        first = import_json(data, corpus.root)
        assert first["via"] == "server" and first["inserted"] > 0
        again = import_json(data, corpus.root)
        assert again["inserted"] == 0 and again["bytesRead"] == 0
        served = {name: report(data, name, source="all") for name in REPORTS}
    # Server stopped: the store is read directly, and says the same.
    for name in REPORTS:
        assert report(data, name, source="all") == served[name], name
    # The offsets the server recorded are the ones a local import resumes from.
    local = import_json(data, corpus.root)
    assert local["via"] == "store" and local["bytesRead"] == 0 and local["inserted"] == 0


def test_half_imported_locally_then_finished_through_the_server(tmp_path: Path) -> None:
    corpus = build_test_corpus(tmp_path / "projects")
    files = sorted(corpus.root.rglob("*.jsonl"))
    half = tmp_path / "half"
    for f in files[: len(files) // 2]:
        dest = half / f.relative_to(corpus.root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    only = tmp_path / "only-local"
    import_json(only, corpus.root)
    expected = report(only)
    data = tmp_path / "data"
    import_json(data, corpus.root)  # all of it, locally
    with serve_in_thread(data):
        again = import_json(data, corpus.root)
        assert again["via"] == "server" and again["inserted"] == 0
        assert report(data) == expected


def test_the_endpoint_refuses_rows_that_are_not_transcript_rows(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with serve_in_thread(data) as info:
        url = f"http://127.0.0.1:{info['ui_port']}/api/v1/import/chunk"
        bad = {"rows": [{"event_key": "x", "event_name": "api_request", "source": "telemetry",
                         "time_unix_nano": 1}], "files": []}
        resp = httpx.post(url, json=bad, timeout=10)
        assert resp.status_code == 400
        assert "only transcript" in resp.json()["error"]["message"]
        json_type = {"content-type": "application/json"}
        assert httpx.post(url, content=b"{", headers=json_type, timeout=10).status_code == 400
        r = httpx.get(f"http://127.0.0.1:{info['ui_port']}/api/v1/report/nope", timeout=10)
        assert r.status_code == 404
        r = httpx.get(f"http://127.0.0.1:{info['ui_port']}/api/v1/report/daily",
                      params={"tz": "Mars/Olympus"}, timeout=10)
        assert r.status_code == 400


@pytest.mark.e2e
def test_with_the_real_ccotel_serve_process(tmp_path: Path) -> None:
    corpus = build_test_corpus(tmp_path / "projects", days=2)
    data = tmp_path / "data"
    srv = start_server(data)
    try:
        out = import_json(data, corpus.root)
        assert out["via"] == "server"
        served = report(data)
    finally:
        srv.stop()
    assert report(data) == served


def test_a_locked_store_is_a_clear_error(tmp_path: Path) -> None:
    # Another process holds the store without a server.json (e.g. a long report).
    import subprocess
    import sys

    data = tmp_path / "data"
    import_json(data, build_test_corpus(tmp_path / "projects", days=1).root)
    script = ("import duckdb,sys,time; c=duckdb.connect(sys.argv[1]); "
              "print('ok', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", script, str(data / "ccotel.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        result = cli("report", "daily", "--data-dir", str(data), ok=False)
        assert result.exit_code != 0 and "being written by another process" in result.output
        result = cli("import", str(tmp_path / "projects"), "--data-dir", str(data), ok=False)
        assert result.exit_code != 0 and "in use by another process" in result.output
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
