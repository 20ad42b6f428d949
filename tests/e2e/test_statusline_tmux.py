"""The real Claude Code CLI, set up by `ccotel setup claude`, in a real terminal (tmux)
against the stub API and a real `ccotel serve`: the SessionStart hook and the statusline
both run, the line shows under the prompt, and the server's limits ledger gets the
session. The statusline runs only in the interactive UI, so the CLI is driven by keys.

With CCOTEL_DOCS_SHOTS=<dir> the test also writes the screenshots the READMEs show
(statusline.png, live.png) from the captured panes.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import start_server
from tests.e2e.anthropic_stub import PLAIN_TEXT, AnthropicStub
from tests.e2e.claude_cli import ToolNotInstalled, claude_binary, claude_env, run_claude

pytestmark = pytest.mark.e2e
CCOTEL = Path(sys.executable).parent / "ccotel"


class Tmux:
    """One tmux server of our own (-L), so nothing else on the machine is touched."""

    def __init__(self, name: str) -> None:
        self.sock = name

    def __call__(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True,
                              text=True, timeout=30, check=True).stdout

    def screen(self, target: str, ansi: bool = False) -> str:
        return self("capture-pane", "-p", *(["-e"] if ansi else []), "-t", target)

    def wait(self, target: str, pred: Callable[[str], bool], timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen(target)
            if pred(text):
                return text
            time.sleep(0.3)
        raise AssertionError(f"the screen never matched:\n{text}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.sock, "kill-server"], capture_output=True,
                       check=False)


def _git_repo(path: Path) -> None:
    path.mkdir()
    for args in (["init", "-q", "-b", "feature/x"],
                 ["remote", "add", "origin", "git@github.com:acme/widgets.git"]):
        subprocess.run(["git", "-C", str(path), *args], check=True)


def _trusted(home: Path, work: Path) -> None:
    """What a first interactive start would ask once: onboarding, the API key, trust."""
    (home / ".claude.json").write_text(json.dumps({
        "hasCompletedOnboarding": True, "theme": "dark", "numStartups": 5,
        "customApiKeyResponses": {"approved": ["test"], "rejected": []},
        "projects": {str(work): {"hasTrustDialogAccepted": True,
                                 "hasCompletedProjectOnboarding": True}}}))


def _shot(ansi: str, path: Path, width: int) -> None:
    """A terminal capture as PNG: Rich's SVG export, screenshotted by Chromium."""
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=width, file=io.StringIO())
    console.print(Text.from_ansi(ansi.rstrip("\n")))
    svg = console.export_svg(title=path.stem)
    width = float(svg.split('viewBox="', 1)[1].split()[2])  # "0 0 <width> <height>"
    html = path.with_suffix(".html")
    html.write_text(f"<!doctype html><body style='margin:0'><div style='width:{width}px'>"
                    f"{svg}</div></body>")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(html.as_uri())
        page.locator("svg").screenshot(path=str(path))
        browser.close()
    html.unlink()


def test_hook_and_statusline_in_the_real_cli(tmp_path: Path) -> None:
    if shutil.which("tmux") is None:
        pytest.skip("needs tmux")
    try:
        claude = claude_binary()
    except ToolNotInstalled as exc:
        pytest.skip(str(exc))
    home, work, data = tmp_path / "home", tmp_path / "work", tmp_path / "data"
    home.mkdir()
    _git_repo(work)
    _trusted(home, work)
    server = start_server(data)
    tmux = Tmux(f"ccotel-e2e-{os.getpid()}")
    try:
        setup = subprocess.run(
            [str(CCOTEL), "setup", "claude", "--data-dir", str(data),
             "--grpc-port", str(server.info["grpc_port"])],
            capture_output=True, text=True, timeout=60, check=False,
            env={**os.environ, "HOME": str(home)})
        assert setup.returncode == 0, setup.stderr
        with AnthropicStub("text") as stub:
            env = claude_env(stub_url=stub.url, home=home, extra_env={
                "TERM": "xterm-256color", "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
                "OTEL_METRIC_EXPORT_INTERVAL": "1000", "OTEL_LOGS_EXPORT_INTERVAL": "500"})
            # Not on PATH: the settings name ccotel by absolute path.
            assert str(CCOTEL.parent) not in env["PATH"].split(":")
            exports = " ".join(f"{k}={v!r}" for k, v in env.items())
            tmux("new-session", "-d", "-s", "cc", "-x", "150", "-y", "24", "-c", str(work),
                 f"env -i {exports} {claude}")
            # The statusline comes up under the prompt with the repo and branch.
            tmux.wait("cc", lambda s: "acme/widgets ⎇ feature/x" in s)
            tmux("send-keys", "-t", "cc", "say hello", "Enter")
            # After the answer it runs again: the server's answer to the earlier snapshots
            # (the hook's, the first line's) gives today's total.
            screen = tmux.wait("cc", lambda s: PLAIN_TEXT in s and "ctx " in s
                               and "today" in s)
            line = next(row for row in screen.splitlines() if "acme/widgets" in row)
            assert "Opus 5.5" in line and "session" in line and "today" in line
            if os.environ.get("CCOTEL_DOCS_SHOTS"):
                _shot(tmux.screen("cc", ansi=True),
                      Path(os.environ["CCOTEL_DOCS_SHOTS"]) / "statusline.png", 150)
            tmux("send-keys", "-t", "cc", "C-c")
            tmux("send-keys", "-t", "cc", "C-c")

            deadline = time.monotonic() + 30
            entry: dict[str, object] = {}
            while time.monotonic() < deadline:
                users = httpx.get(f"{server.ui}/api/v1/limits", timeout=10).json()["users"]
                entry = users[0] if users else {}
                block = entry.get("block") or {}
                if isinstance(block, dict) and block.get("entries"):
                    break
                time.sleep(0.5)
            assert entry["hosts"] == [socket.gethostname()]
            assert entry["sessions"] == 1
            assert entry["block"]["entries"] == 1 and entry["block"]["costUSD"] > 0
            assert entry["five_hour"]["source"] == "block"  # an API key: ccotel's block

            # `claude -p` runs no statusline, but the SessionStart hook still reports.
            run_claude("say hello", stub_url=stub.url, home=home, cwd=work, allowed_tools=(),
                       extra_env={"PYTHONPATH": os.environ.get("PYTHONPATH", "")})
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                users = httpx.get(f"{server.ui}/api/v1/limits", timeout=10).json()["users"]
                if users and users[0]["sessions"] == 2:
                    break
                time.sleep(0.5)
            else:
                raise AssertionError(f"the -p session's hook snapshot never came: {users}")

        if os.environ.get("CCOTEL_DOCS_SHOTS"):
            tmux("new-session", "-d", "-s", "live", "-x", "110", "-y", "16",
                 f"env PYTHONPATH={os.environ.get('PYTHONPATH', '')} TERM=xterm-256color "
                 f"{CCOTEL} live --data-dir {data}")
            tmux.wait("live", lambda s: "Block" in s and "Models" in s)
            _shot(tmux.screen("live", ansi=True),
                  Path(os.environ["CCOTEL_DOCS_SHOTS"]) / "live.png", 110)
    finally:
        tmux.kill()
        server.stop()
