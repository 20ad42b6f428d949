"""The real Claude Code CLI, set up by `ccotel setup claude`, run in two git repos with
remotes, on two branches, and in a folder outside git, against the stub API and a real
`ccotel serve`: `ccotel report repos --json` gives each repo exactly the `total_cost_usd`
Claude printed for the runs made there, and `branches` each branch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import start_server
from tests.e2e.anthropic_stub import AnthropicStub
from tests.e2e.claude_cli import ToolNotInstalled, claude_binary, run_claude

pytestmark = pytest.mark.e2e
CCOTEL = Path(sys.executable).parent / "ccotel"


def _git(path: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(path), "-c", "user.name=t", "-c", "user.email=t@e",
                    *args], check=True, capture_output=True)


def _repo(path: Path, remote: str, branch: str) -> Path:
    path.mkdir()
    _git(path, "init", "-q", "-b", branch)
    _git(path, "remote", "add", "origin", remote)
    return path


def _report(data: Path, name: str) -> dict[str, Decimal]:
    out = subprocess.run([str(CCOTEL), "report", name, "--json", "--data-dir", str(data)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    key = {"repos": "repo", "branches": "branch"}[name]
    return {e[key]: Decimal(e["totalCostExact"]) for e in json.loads(out)[name]}


def test_repos_report_equals_what_claude_printed_per_repo(tmp_path: Path) -> None:
    try:
        claude_binary()
    except ToolNotInstalled as exc:
        pytest.skip(str(exc))
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    a = _repo(tmp_path / "a", "git@github.com:acme/alpha.git", "main")
    b = _repo(tmp_path / "b", "https://gitlab.example.com/acme/beta.git", "dev")
    plain = tmp_path / "plain"
    plain.mkdir()
    (home / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True, "customApiKeyResponses": {"approved": ["test"]},
        "projects": {str(p): {"hasTrustDialogAccepted": True} for p in (a, b, plain)}}))
    server = start_server(data)
    try:
        setup = subprocess.run(
            [str(CCOTEL), "setup", "claude", "--data-dir", str(data),
             "--grpc-port", str(server.info["grpc_port"])],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "HOME": str(home)})
        assert setup.returncode == 0, setup.stderr
        printed: dict[str, Decimal] = {}
        branches: dict[str, Decimal] = {}
        env = {"PYTHONPATH": os.environ.get("PYTHONPATH", ""),
               "OTEL_LOGS_EXPORT_INTERVAL": "500"}
        with AnthropicStub("text") as stub:
            for cwd, repo, branch in ((a, "github.com/acme/alpha", "main"),
                                      (b, "gitlab.example.com/acme/beta", "dev"),
                                      (a, "github.com/acme/alpha", "feature/x"),
                                      (plain, "(unknown)", "(unknown)")):
                if branch == "feature/x":
                    _git(a, "checkout", "-q", "-b", branch)
                result = run_claude("say hello", stub_url=stub.url, home=home, cwd=cwd,
                                    allowed_tools=(), extra_env=env)
                cost = Decimal(str(result["total_cost_usd"]))
                assert cost > 0, result
                printed[repo] = printed.get(repo, Decimal(0)) + cost
                branches[branch] = branches.get(branch, Decimal(0)) + cost
        deadline = time.monotonic() + 60
        while True:
            repos = _report(data, "repos")
            if repos.keys() == printed.keys() and all(
                    abs(repos[k] - v) < Decimal("1e-9") for k, v in printed.items()):
                break
            assert time.monotonic() < deadline, (repos, printed)
            time.sleep(0.5)
        got = _report(data, "branches")
        assert got.keys() == branches.keys()
        assert all(abs(got[k] - v) < Decimal("1e-9") for k, v in branches.items()), (
            got, branches)
    finally:
        server.stop()
