"""A session's repo and branch, recorded on a running server, name its costs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from tests.attribution.helpers import Req, store
from tests.attribution.test_breakdowns import report
from tests.conftest import Server
from tests.importer.helpers import serve_in_thread
from tests.limits.helpers import send_requests, utcnow


def post(info: dict[str, Any], session: str, body: bytes) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(
        f"http://127.0.0.1:{info['ui_port']}/api/v1/sessions/{session}/git", data=body,
        headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_recorded_repo_and_branch_attribute_the_session(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    # Recent: the server's retention keeps it.
    recent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    store(data, [Req("s1", Decimal("0.5")), Req("s2", Decimal("0.25")),
                 Req("s3", Decimal("0.125"))], start=recent)
    with serve_in_thread(data) as info:
        assert post(info, "s1", json.dumps({"repo": "github.com/acme/a", "branch": "main",
                                            "head": "0" * 40}).encode()) == (
            200, {"recorded": 1})
        assert post(info, "s2", b'{"repo": "github.com/acme/b", "branch": "dev"}')[0] == 200
        # The branch changed mid-session: the newest record wins.
        assert post(info, "s2", b'{"repo": "github.com/acme/b", "branch": "fix"}')[0] == 200
        for bad in (b"[1]", b"{", b'{"repo": 5}', b'{"branch": "x"}', b'{"x": "y"}',
                    b'{"repo": "' + b"r" * 2000 + b'"}'):
            status, answer = post(info, "s3", bad)
            assert status == 400 and answer["error"]["message"], bad
    repos = report(data, "repos")
    assert {e["repo"]: e["totalCostExact"] for e in repos["repos"]} == {
        "github.com/acme/a": "0.5", "github.com/acme/b": "0.25", "(unknown)": "0.125"}
    branches = report(data, "branches")
    assert {e["branch"]: e["totalCostExact"] for e in branches["branches"]} == {
        "main": "0.5", "fix": "0.25", "(unknown)": "0.125"}


def test_the_session_start_hook_records_repo_and_branch(server: Server,
                                                       tmp_path: Path) -> None:
    """`ccotel hook` as Claude Code runs it (SessionStart JSON on stdin) in a git checkout;
    a session outside git stays "(unknown)"."""
    repo = tmp_path / "checkout"
    repo.mkdir()
    for args in (["init", "-q", "-b", "topic"],
                 ["remote", "add", "origin", "git@github.com:acme/widgets.git"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    plain = tmp_path / "plain"
    plain.mkdir()
    now = utcnow()
    send_requests(server.http, "dana@example.com", "s-git", [(now, 0.5)])
    send_requests(server.http, "dana@example.com", "s-plain", [(now, 0.25)])
    for session, cwd in (("s-git", repo), ("s-plain", plain)):
        hook = {"session_id": session, "cwd": str(cwd), "hook_event_name": "SessionStart",
                "source": "startup"}
        proc = subprocess.run([sys.executable, "-m", "ccotel", "hook", "--data-dir",
                               str(server.data_dir)], input=json.dumps(hook).encode(),
                              capture_output=True, timeout=30, check=False,
                              env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "c")})
        assert proc.returncode == 0 and proc.stdout == b""
    expected = {"github.com/acme/widgets": "0.5", "(unknown)": "0.25"}
    deadline = time.monotonic() + 30
    while True:
        rep = httpx.get(f"{server.ui}/api/v1/report/repos", params={"breakdown": "branch"},
                        timeout=30).json()
        got = {e["repo"]: e["totalCostExact"] for e in rep["repos"]}
        if got == expected or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert got == expected
    [git_repo] = [e for e in rep["repos"] if e["repo"] != "(unknown)"]
    assert [b["branch"] for b in git_repo["breakdowns"]] == ["topic"]


def test_transcripts_name_the_repo_by_their_folder(tmp_path: Path) -> None:
    from tests.importer.corpus import build_test_corpus
    from tests.importer.helpers import import_json

    corpus = build_test_corpus(tmp_path / "projects", days=1, sessions_per_day=1, turns=2)
    data = tmp_path / "data"
    import_json(data, corpus.root)
    repos = report(data, "repos")
    assert repos["totals"]["requests"] > 0
    assert all(e["repo"] != "(unknown)" for e in repos["repos"])
