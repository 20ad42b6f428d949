"""`ccotel serve --watch-transcripts`: import transcript lines as Claude Code writes them.

Claude Code deletes transcripts after `cleanupPeriodDays` (30 by default); a server that
imports each line as it is appended keeps that history for good. The watcher watches the
folders with watchfiles, catches up once they are watched (as `ccotel import` would), then
imports the files that change. It goes through exactly what the import API does
(`apply_chunk` on the server's writer, one chunk at a time under `CHUNK_LOCK`), so rows
are deduplicated against telemetry and against `ccotel import` runs the same way.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from ccotel.importer.files import FileState
from ccotel.importer.store import CHUNK_LOCK, ChunkResult, apply_chunk, read_file_states
from ccotel.store.writer import Writer

log = logging.getLogger("ccotel.watch")
# Wait this long after a change for more: Claude Code writes a turn as several lines.
DEBOUNCE_MS = 300
# How long the watcher waits for a change before it looks up (at start: the catch-up).
TICK_MS = 500


class WriterSink:
    """The importer's sink for the server itself: its writer, as the import API uses it."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer

    def file_states(self) -> dict[str, FileState]:
        cur = self.writer.cursors()
        try:
            return read_file_states(cur)
        finally:
            cur.close()

    def apply(self, rows: list[dict[str, Any]], files: list[FileState]) -> ChunkResult:
        with CHUNK_LOCK:
            return apply_chunk(self.writer, rows, files)

    def record_git(self, session_id: str, facts: dict[str, str]) -> None:
        from ccotel.importer.gitrecord import git_batch

        self.writer.write_now(git_batch(session_id, facts))


def _jsonl(change: Any, path: str) -> bool:
    return path.endswith(".jsonl")


class TranscriptWatcher:
    """A thread that imports new transcript lines under `roots` until `stop()`."""

    def __init__(self, writer: Writer, roots: list[Path], *,
                 debounce_ms: int = DEBOUNCE_MS) -> None:
        self.sink = WriterSink(writer)
        self.roots = roots
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ccotel-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def import_paths(self, paths: list[Path]) -> None:
        """Import what is new in `paths` (folders or files); log, never raise."""
        from ccotel.importer.run import plan_files, run_import

        try:
            _, plans = plan_files(paths, self.sink.file_states())
            if plans:
                report = run_import(plans, self.sink, engine="python")
                if report.stored.inserted or report.malformed_count:
                    log.info("imported %d transcript rows from %d files (%d malformed lines)",
                             report.stored.inserted, report.files_read,
                             report.malformed_count)
        except Exception:  # a bad file must not stop the watching
            log.exception("transcript import failed; retried on the next change")

    def _run(self) -> None:
        import watchfiles

        while not self._stop.is_set():
            caught_up = False
            try:
                # The catch-up runs once the folders are watched (the first yield, after
                # at most TICK_MS), never before: a line appended between the two would
                # otherwise wait for the file's next change.
                for changes in watchfiles.watch(
                        *self.roots, watch_filter=_jsonl, debounce=self.debounce_ms,
                        stop_event=self._stop, raise_interrupt=False,
                        yield_on_timeout=True, rust_timeout=TICK_MS):
                    if not caught_up:
                        self.import_paths(self.roots)
                        caught_up = True
                        continue
                    changed = sorted({Path(p) for _, p in changes if Path(p).is_file()})
                    if changed:
                        self.import_paths(changed)
            except Exception:  # e.g. a watched folder was removed
                log.exception("watching %s failed; retrying", ", ".join(map(str, self.roots)))
                self._stop.wait(5)
