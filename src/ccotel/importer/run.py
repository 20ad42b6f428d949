"""`ccotel import`: read new transcript bytes, parse, price, and hand chunks to a sink.

The sink is the store itself (`LocalSink`, no server running) or the running server's
import endpoint (`RemoteSink`): DuckDB lets one process open the file, so while
`ccotel serve` runs, it is the one that writes. Parsing and pricing happen here either
way; dedupe and offsets happen where the store is (`store.apply_chunk`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ccotel.claude.pricing import Pricer
from ccotel.importer import files as tfiles
from ccotel.importer import gitrecord
from ccotel.importer.files import FileState, Plan
from ccotel.importer.store import ChunkResult
from ccotel.importer.transcript import (
    USAGE_MARKER,
    MalformedLine,
    looks_like_json_object,
    parse_line,
)

if TYPE_CHECKING:
    from ccotel.client import Client

CHUNK_ROWS = 10_000
MAX_MALFORMED_SHOWN = 20
# Whole files adding up to this much go through DuckDB (bulk.py) when the store is local;
# below it, starting DuckDB's reader costs more than it saves.
BULK_MIN_BYTES = 8 << 20
Engine = Literal["auto", "duckdb", "python"]


class Sink(Protocol):
    def file_states(self) -> dict[str, FileState]: ...

    def apply(self, rows: list[dict[str, Any]], files: list[FileState]) -> ChunkResult: ...

    def record_git(self, session_id: str, facts: dict[str, str]) -> None: ...


@dataclass
class Malformed:
    path: str
    offset: int | None  # byte offset of the line's start, when known
    reason: str


@dataclass
class ImportReport:
    """What an import did; printed by the CLI, or as JSON with --json."""

    files_seen: int = 0
    files_read: int = 0
    files_restarted: int = 0
    bytes_read: int = 0
    requests: int = 0
    tool_uses: int = 0
    synthetic: int = 0
    invalid: int = 0
    partial_lines: int = 0
    malformed: list[Malformed] = field(default_factory=list)
    malformed_count: int = 0
    unpriced_models: list[str] = field(default_factory=list)
    git_sessions: int = 0  # sessions whose repo and branch were recorded (gitrecord.py)
    stored: ChunkResult = field(default_factory=ChunkResult)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "filesSeen": self.files_seen, "filesRead": self.files_read,
            "filesRestarted": self.files_restarted, "bytesRead": self.bytes_read,
            "requestLines": self.requests, "toolUses": self.tool_uses,
            "inserted": self.stored.inserted, "replaced": self.stored.replaced,
            "duplicates": self.stored.duplicates,
            "sidechainReplays": self.stored.sidechain_replays,
            "alreadyFromTelemetry": self.stored.in_telemetry,
            "synthetic": self.synthetic, "invalid": self.invalid,
            "partialLines": self.partial_lines,
            "malformedLines": self.malformed_count,
            "malformed": [{"path": m.path, "offset": m.offset, "reason": m.reason}
                          for m in self.malformed],
            "unpricedModels": self.unpriced_models, "gitSessions": self.git_sessions,
            "seconds": round(self.seconds, 3),
        }


Progress = Callable[[int], None]  # called with bytes consumed since the last call


def plan_files(paths: Iterable[Path], states: dict[str, FileState]) -> tuple[int, list[Plan]]:
    """How many files there are, and the ones with new bytes."""
    found = tfiles.discover(paths)
    plans = [p for f in found if (p := tfiles.plan(f, states.get(str(f)))) is not None]
    return len(found), plans


def run_import(plans: list[Plan], sink: Sink, *, report: ImportReport | None = None,
               progress: Progress | None = None, chunk_rows: int = CHUNK_ROWS,
               engine: Engine = "auto") -> ImportReport:
    """Import every planned file through `sink`: whole files in DuckDB when the sink is
    the local store and there is enough of them, the rest line by line, chunk by chunk.
    Then the repo and branch of each session read are recorded (`gitrecord.py`)."""
    started = time.perf_counter()
    rep = report or ImportReport()
    places = gitrecord.Places()
    whole = [p for p in plans if p.start == 0]
    bulk = getattr(sink, "bulk", None)
    if bulk is not None and whole and engine != "python" and (
            engine == "duckdb" or sum(p.size for p in whole) >= BULK_MIN_BYTES):
        bulk(whole, rep, progress)
        for sid, cwd, branch in sink.sessions_without_git():  # type: ignore[attr-defined]
            places.put(sid, cwd, branch)
        plans = [p for p in plans if p.start != 0]
    pricer = Pricer()
    rows: list[dict[str, Any]] = []
    touched: dict[str, FileState] = {}

    def flush() -> None:
        if rows or touched:
            rep.stored.add(sink.apply(rows, list(touched.values())))
            rows.clear()
            touched.clear()

    for p in plans:
        rep.files_read += 1
        rep.files_restarted += p.restarted
        offset = p.start
        reported = p.start
        for end, line in tfiles.complete_lines(p.path, p.start):
            start_of_line, offset = offset, end
            if USAGE_MARKER in line:
                try:
                    parsed = parse_line(line, pricer)
                except MalformedLine as exc:
                    _malformed(rep, p.path, start_of_line, str(exc))
                    parsed = None
                if parsed is not None:
                    if parsed.skipped == "synthetic":
                        rep.synthetic += 1
                    elif parsed.skipped == "invalid":
                        rep.invalid += 1
                    for r in parsed.rows:
                        if r["event_name"] == "api_request":
                            rep.requests += 1
                        else:
                            rep.tool_uses += 1
                    rows.extend(parsed.rows)
                    places.add(parsed.rows)
            elif not looks_like_json_object(line):
                _malformed(rep, p.path, start_of_line, "not a JSON object")
            if len(rows) >= chunk_rows:
                touched[str(p.path)] = tfiles.state_after(p, offset)
                flush()
            if progress is not None and offset - reported >= (4 << 20):
                progress(offset - reported)
                reported = offset
        if offset < p.size:
            rep.partial_lines += 1
        rep.bytes_read += offset - p.start
        touched[str(p.path)] = tfiles.state_after(p, offset)
        if progress is not None:
            # Count the unread partial line too, so the bar ends full.
            progress(max(p.size, offset) - reported)
        if len(touched) >= 1000:
            flush()
    flush()
    rep.git_sessions += gitrecord.record(places, sink.record_git)
    rep.unpriced_models = sorted(set(rep.unpriced_models) | pricer.unpriced)
    rep.seconds = time.perf_counter() - started
    return rep


def _malformed(rep: ImportReport, path: Path, offset: int, reason: str) -> None:
    rep.malformed_count += 1
    if len(rep.malformed) < MAX_MALFORMED_SHOWN:
        rep.malformed.append(Malformed(str(path), offset, reason))


# -- sinks ---------------------------------------------------------------------------------


class LocalSink:
    """Writes the store through a writer of its own: no server holds it. (Its thread is
    not started: this command's thread is the only one writing, one write at a time.)"""

    def __init__(self, data_dir: Path, rates: Any = None) -> None:
        from ccotel.store import COMMAND_MEMORY_LIMIT, schema
        from ccotel.store.writer import Writer

        self.writer = Writer(schema.connect(data_dir, memory_limit=COMMAND_MEMORY_LIMIT))
        self._rates = rates  # importer/prices.py's helper, for a bulk import

    def file_states(self) -> dict[str, FileState]:
        from ccotel.importer.store import read_file_states

        cur = self.writer.cursors()
        try:
            return read_file_states(cur)
        finally:
            cur.close()

    def apply(self, rows: list[dict[str, Any]], files: list[FileState]) -> ChunkResult:
        from ccotel.importer.store import apply_chunk

        return apply_chunk(self.writer, rows, files)

    def record_git(self, session_id: str, facts: dict[str, str]) -> None:
        self.writer.write_now(gitrecord.git_batch(session_id, facts))

    def bulk(self, plans: list[Plan], report: ImportReport,
             progress: Progress | None) -> None:
        from ccotel.importer.bulk import bulk_import

        bulk_import(self.writer, plans, report, progress, rates=self._rates)

    def sessions_without_git(self) -> list[tuple[str, str, str | None]]:
        """Imported sessions with a folder and no repo recorded yet: what a bulk import
        (rows never in Python) leaves to record."""
        from ccotel.store import queries

        cur = self.writer.cursors()
        try:
            return [(r[0], r[1], r[2]) for r in
                    queries.run(cur, "import_sessions_without_git").fetchall()]
        finally:
            cur.close()

    def close(self) -> None:
        self.writer.close()


class RemoteSink:
    """Sends chunks to the running server's import endpoint (see `web/imports.py`) through the one
    client (`ccotel.client`: its TLS certificate, the token)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        from ccotel import errors

        try:
            if method == "GET":
                return self.client.get(path)
            return self.client.post(path, body)
        except errors.NotFound:
            raise errors.NotFound("the running server has no import endpoint (an older "
                                  "ccotel?): stop it, import, and start it again") from None

    def file_states(self) -> dict[str, FileState]:
        data = self._call("GET", "/api/v1/import/files")
        return {f["path"]: FileState.from_dict(f) for f in data["files"]}

    def apply(self, rows: list[dict[str, Any]], files: list[FileState]) -> ChunkResult:
        body = {"rows": rows, "files": [f.as_dict() for f in files]}
        data = self._call("POST", "/api/v1/import/chunk", body)
        return ChunkResult(**data["result"])

    def record_git(self, session_id: str, facts: dict[str, str]) -> None:
        """What `ccotel hook` sends: `POST /api/v1/sessions/{id}/git`."""
        from urllib.parse import quote

        self._call("POST", f"/api/v1/sessions/{quote(session_id, safe='')}/git", facts)

    def close(self) -> None:
        self.client.close()
