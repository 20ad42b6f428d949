"""A session's repo and branch, recorded on a running server, name its costs."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ccotel.claude import gitinfo
from tests.attribution.helpers import Req, store
from tests.attribution.test_breakdowns import report
from tests.importer.helpers import serve_in_thread


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


def test_hooks_record_the_git_facts_of_their_directory(tmp_path: Path) -> None:
    repo = tmp_path / "checkout"
    repo.mkdir()
    for args in (["init", "-q", "-b", "topic"],
                 ["remote", "add", "origin", "git@github.com:acme/widgets.git"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True)
    data = tmp_path / "data"
    data.mkdir()
    recent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    store(data, [Req("s1", Decimal("0.5"))], start=recent)
    # No server: nothing recorded, nothing raised.
    assert gitinfo.record(data, "s1", repo) is False
    with serve_in_thread(data):
        assert gitinfo.record(data, "s1", repo) is True
        assert gitinfo.record(data, "s1", tmp_path / "plain") is False  # outside git
    rep = report(data, "repos", breakdown="branch")
    assert [(e["repo"], e["breakdowns"][0]["branch"]) for e in rep["repos"]] == [
        ("github.com/acme/widgets", "topic")]


def test_transcripts_name_the_repo_by_their_folder(tmp_path: Path) -> None:
    from tests.importer.corpus import build_test_corpus
    from tests.importer.helpers import import_json

    corpus = build_test_corpus(tmp_path / "projects", days=1, sessions_per_day=1, turns=2)
    data = tmp_path / "data"
    import_json(data, corpus.root)
    repos = report(data, "repos")
    assert repos["totals"]["requests"] > 0
    assert all(e["repo"] != "(unknown)" for e in repos["repos"])
