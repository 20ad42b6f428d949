"""`ccotel setup claude --watch-transcripts`: it turns the watcher on through the config
file, so the next `ccotel serve` (no option given) keeps transcripts as they are written;
`--undo` turns it off again."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ccotel.settings import read_config
from tests.claude.test_setup import CCOTEL
from tests.conftest import start_server
from tests.importer.corpus import Corpus


def test_setup_turns_on_watching_for_the_next_serve(tmp_path: Path) -> None:
    claude = tmp_path / "claude"
    env = {"CLAUDE_CONFIG_DIR": str(claude), "HOME": str(tmp_path / "home"),
           "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    config = tmp_path / "xdg" / "ccotel" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("# kept\nretention = \"90d\"\n")

    def setup(*args: str) -> subprocess.CompletedProcess[str]:
        out = subprocess.run([str(CCOTEL), "setup", "claude", *args], capture_output=True,
                             text=True, timeout=60, check=False, env={**os.environ, **env})
        assert out.returncode == 0, out.stderr
        return out

    assert "would write watch-transcripts" in setup("--watch-transcripts", "--dry-run").stdout
    assert read_config(config) == {"retention": "90d"}
    out = setup("--watch-transcripts")
    assert f"wrote watch-transcripts = true into {config}" in out.stdout
    assert config.read_text() == "# kept\nretention = \"90d\"\nwatch-transcripts = true\n"
    assert "already" in setup("--watch-transcripts").stdout

    corpus = Corpus(claude / "projects", seed=5)
    start = datetime.now(UTC) - timedelta(hours=3)  # every turn in the past
    _, path, lines = corpus.session(start, 6)
    half = len(lines) // 2
    corpus.write(path, lines[:half])
    server = start_server(tmp_path / "data", env=env)  # no --watch-transcripts given
    try:
        def wait(requests: int) -> dict[str, Any]:
            deadline = time.monotonic() + 15
            while server.summary()["requests"] != requests and time.monotonic() < deadline:
                time.sleep(0.2)
            return server.summary()

        before = len({json.loads(x).get("requestId") for x in lines[:half]} - {None})
        assert wait(before)["requests"] == before, "what was there at start is imported"
        corpus.write(path, lines[half:])
        total = len(corpus.truth.requests)
        summary = wait(total)
        assert summary["requests"] == total, "the appended lines are imported"
        assert summary["tokens"]["output"] == corpus.truth.totals()["outputTokens"]
    finally:
        server.stop()

    out = setup("--undo")
    assert f"removed watch-transcripts from {config}" in out.stdout
    assert config.read_text() == "# kept\nretention = \"90d\"\n"
