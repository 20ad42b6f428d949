"""`ccotel serve --watch-transcripts`: lines appended to a transcript while the server runs
show up in its totals within seconds, deduplicated against telemetry as `ccotel import`
does, and stay after Claude Code deletes the file."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import Server, start_server
from tests.importer.corpus import Corpus
from tests.importer.helpers import telemetry_body


def _wait_for(server: Server, requests: int, timeout: float = 20.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        summary = server.summary()
        if summary["requests"] == requests or time.monotonic() > deadline:
            return summary
        time.sleep(0.2)


def test_appended_lines_are_imported_live_and_survive_deletion(tmp_path: Path) -> None:
    config = tmp_path / "claude"
    corpus = Corpus(config / "projects", seed=11)
    start = datetime.now(UTC) - timedelta(hours=2)
    _, first_path, first = corpus.session(start, 5, duplicate_line_rate=0.3)
    corpus.write(first_path, first)
    before = len(corpus.truth.requests)
    env = {"CLAUDE_CONFIG_DIR": str(config), "HOME": str(tmp_path / "home")}
    data = tmp_path / "data"
    server = start_server(data, "--watch-transcripts", env=env)
    try:
        # What was there at start is caught up.
        assert _wait_for(server, before)["requests"] == before
        # A second session, part of which telemetry reports too (same request ids).
        _, path, lines = corpus.session(start + timedelta(minutes=30), 8,
                                        partial_copy_rate=0.5)
        mine = corpus.truth.requests[before:]
        resp = httpx.post(f"{server.http}/v1/logs", content=telemetry_body(mine[:3]),
                          headers={"Content-Type": "application/json"}, timeout=30)
        assert resp.status_code == 200
        total = len(corpus.truth.requests)
        # Claude Code appends a turn at a time; the last line may arrive in two writes.
        half = len(lines) // 2
        corpus.write(path, lines[:half])
        corpus.write(path, [], partial_tail=lines[half][:40])
        time.sleep(0.5)
        with path.open("a", encoding="utf-8") as f:
            f.write(lines[half][40:] + "\n")
        corpus.write(path, lines[half + 1:])
        t0 = time.monotonic()
        summary = _wait_for(server, total)
        assert summary["requests"] == total, "each request once: telemetry or transcript"
        assert time.monotonic() - t0 < 10
        tokens = corpus.truth.totals()
        assert summary["tokens"]["output"] == tokens["outputTokens"]
        assert summary["tokens"]["cacheRead"] == tokens["cacheReadTokens"]
        # Claude Code's cleanup deletes the transcripts: the history stays.
        path.unlink()
        first_path.unlink()
        time.sleep(1.0)
        after = server.summary()
        assert {**after, "to": None} == {**summary, "to": None}
    finally:
        server.stop()
    again = start_server(data, "--watch-transcripts", env=env)
    try:
        assert again.summary()["requests"] == total
        assert again.summary()["tokens"] == summary["tokens"]
    finally:
        again.stop()


def test_a_line_appended_while_catching_up_is_imported(tmp_path: Path) -> None:
    """Claude Code may append while the watcher catches up at start: the folders are
    watched before the catch-up reads them, so the append is seen then, not at the file's
    next change (which may never come)."""
    from ccotel.importer.watch import TranscriptWatcher
    from ccotel.store import reader, schema
    from ccotel.store.writer import Writer

    projects = tmp_path / "projects"
    corpus = Corpus(projects, seed=7)
    _, path, lines = corpus.session(datetime.now(UTC) - timedelta(hours=2), 6)
    half = len(lines) // 2
    corpus.write(path, lines[:half])
    writer = Writer(schema.connect(tmp_path / "data"))
    writer.start()

    class Appending(TranscriptWatcher):
        def import_paths(self, paths: list[Path]) -> None:
            super().import_paths(paths)
            if paths == self.roots:  # the catch-up: Claude Code writes the rest now
                corpus.write(path, lines[half:])

    watcher = Appending(writer, [projects], debounce_ms=50)
    watcher.start()
    try:
        total = len(corpus.truth.requests)
        deadline = time.monotonic() + 10
        while True:
            cur = writer.cursors()
            try:
                stored = reader.summary(cur, _everything())["requests"]
            finally:
                cur.close()
            if stored == total or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert stored == total
    finally:
        watcher.stop()
        writer.close()


def _everything() -> Any:
    from ccotel.query import Query

    return Query.parse({"from": "now-30d", "to": "now"})
