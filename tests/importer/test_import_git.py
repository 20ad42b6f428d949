"""`ccotel import` names each session's repo as the SessionStart hook does: its folder's
git remote (`host/owner/name`) when the folder still exists, else the folder's name; the
transcript's `gitBranch` names the branch, whatever the checkout is on now. Real git repos,
transcripts made from a real session's lines; locally, in DuckDB (bulk) and through a
running server."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import start_server
from tests.importer.corpus import Corpus
from tests.importer.helpers import cli, cli_json


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _checkouts(tmp: Path) -> dict[str, str]:
    """Folders Claude Code ran in -> the repo reports must name."""
    app = tmp / "work" / "app"
    svc = tmp / "work" / "svc" / "src"  # a subfolder of the checkout
    plain = tmp / "work" / "notes"
    for d in (app, svc, plain):
        d.mkdir(parents=True)
    _git(app, "init", "-q", "-b", "main")
    _git(app, "remote", "add", "origin", "git@github.com:acme/app.git")
    _git(svc.parent, "init", "-q", "-b", "main")
    _git(svc.parent, "remote", "add", "origin", "https://ci@gitlab.example.com/team/svc.git")
    gone = tmp / "work" / "deleted-project"  # Claude Code ran there; it is gone now
    return {str(app): "github.com/acme/app", str(svc): "gitlab.example.com/team/svc",
            str(plain): "notes", str(gone): "deleted-project"}


def _transcripts(tmp: Path, places: dict[str, str]) -> Corpus:
    corpus = Corpus(tmp / "claude" / "projects", seed=3)
    start = datetime.now(UTC) - timedelta(hours=6)
    for i, cwd in enumerate(places):
        for j, branch in enumerate(("feature-x", "main")):
            _, path, lines = corpus.session(start + timedelta(minutes=10 * (2 * i + j)), 3,
                                            project=cwd, branch=branch)
            corpus.write(path, lines)
    return corpus


def _expected(corpus: Corpus, places: dict[str, str]) -> tuple[Counter[str], Counter[str]]:
    repos: Counter[str] = Counter()
    branches: Counter[str] = Counter()
    for w in corpus.written:
        repos[places[w["project"]]] += 1
        branches[w["branch"]] += 1
    return repos, branches


def _got(data: Path) -> tuple[dict[str, int], dict[str, int], dict[str, Any]]:
    args = ("--data-dir", str(data), "--since", "2000-01-01")
    repos = cli_json("report", "repos", *args)
    branches = cli_json("report", "branches", *args)
    return ({r["repo"]: r["requests"] for r in repos["repos"]},
            {b["branch"]: b["requests"] for b in branches["branches"]}, repos)


@pytest.mark.parametrize("mode", ["python", "duckdb", "server"])
def test_imported_sessions_get_their_repo_and_branch(tmp_path: Path, mode: str) -> None:
    places = _checkouts(tmp_path)
    corpus = _transcripts(tmp_path, places)
    repos, branches = _expected(corpus, places)
    assert len(repos) == 4 and set(branches) == {"feature-x", "main"}
    data = tmp_path / "data"
    root = str(corpus.root)
    server = start_server(data) if mode == "server" else None
    try:
        engine = [] if mode == "server" else ["--engine", mode]
        out = cli_json("import", root, "--data-dir", str(data), *engine)
        # A session per git folder and branch: 2 checkouts x 2 branches.
        assert out["gitSessions"] == 4
        assert out["via"] == ("server" if server else "store")
        if server is not None:
            server.stop()
        got_repos, got_branches, report = _got(data)
        assert got_repos == dict(repos)
        # The transcript's branch, though both checkouts are on main now.
        assert got_branches == dict(branches)
        assert report["totals"]["requests"] == len(corpus.truth.requests)
        # Again: nothing new to read, nothing recorded twice, the same totals.
        server = start_server(data) if mode == "server" else None
        again = cli_json("import", root, "--data-dir", str(data), *engine)
        assert again["inserted"] == 0
        if server is not None:
            server.stop()
            server = None
        assert _got(data)[:2] == (dict(repos), dict(branches))
    finally:
        if server is not None:
            server.stop()


def test_the_import_says_how_many_sessions_got_a_repo(tmp_path: Path) -> None:
    places = _checkouts(tmp_path)
    corpus = _transcripts(tmp_path, places)
    out = cli("import", str(corpus.root), "--data-dir", str(tmp_path / "data"))
    assert "4 sessions' repo and branch recorded" in out.stdout


def test_watched_transcripts_get_their_repo_too(tmp_path: Path) -> None:
    """`serve --watch-transcripts` imports through the same code, and records the same."""
    import time

    places = _checkouts(tmp_path)
    corpus = _transcripts(tmp_path, places)
    repos, branches = _expected(corpus, places)
    data = tmp_path / "data"
    env = {"CLAUDE_CONFIG_DIR": str(tmp_path / "claude"), "HOME": str(tmp_path / "home")}
    server = start_server(data, "--watch-transcripts", env=env)
    try:
        deadline = time.monotonic() + 20
        while (server.summary()["requests"] != len(corpus.truth.requests)
               and time.monotonic() < deadline):
            time.sleep(0.2)
    finally:
        server.stop()
    assert _got(data)[:2] == (dict(repos), dict(branches))


def test_retention_keeps_the_repo_of_imported_history(tmp_path: Path) -> None:
    """Imported history outlives retention, and so does what names its repo; the git
    record of a telemetry session goes with its telemetry."""
    from ccotel.store import schema
    from ccotel.store.writer import Writer
    from tests.importer.gitrecord_helpers import telemetry_session_with_git

    places = _checkouts(tmp_path)
    corpus = _transcripts(tmp_path, places)
    repos, branches = _expected(corpus, places)
    data = tmp_path / "data"
    cli_json("import", str(corpus.root), "--data-dir", str(data))
    telemetry_session_with_git(data, "s-telemetry")
    con = schema.connect(data)
    try:
        w = Writer(con, retention=timedelta(days=30))
        removed = w.apply_retention(now=datetime.now(UTC) + timedelta(days=90))
        left = con.execute("SELECT count(*) FROM events WHERE session_id = 's-telemetry'"
                           ).fetchone()
    finally:
        con.close()
    assert removed == 2 and left == (0,)  # its request and its git record
    assert _got(data)[:2] == (dict(repos), dict(branches))
