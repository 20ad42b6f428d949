"""Where transcripts live, and reading only the bytes not imported yet.

Claude Code appends to its transcripts, so the offset where the last import stopped is
enough to resume. A file that shrank, or whose first bytes changed, was truncated or
replaced: it is read again from the start (the store dedupes what it already has). A
last line without its newline is still being written: it is left for the next run.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HEAD_BYTES = 4096
READ_BUFFER = 1 << 20


@dataclass
class FileState:
    """A row of `import_files`: how far `path` was imported."""

    path: str
    size: int
    mtime: float
    offset_bytes: int
    head_hash: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileState:
        return cls(str(d["path"]), int(d["size"]), float(d["mtime"]), int(d["offset_bytes"]),
                   d.get("head_hash"))


def default_roots(env: dict[str, str] | None = None, home: Path | None = None) -> list[Path]:
    """Claude Code's transcript folders: CLAUDE_CONFIG_DIR (comma-separated), then the XDG
    and legacy locations; only those that exist."""
    env = dict(os.environ) if env is None else env
    home = home or Path.home()
    candidates: list[Path] = []
    for part in (env.get("CLAUDE_CONFIG_DIR") or "").split(","):
        if part.strip():
            base = Path(part.strip()).expanduser()
            candidates.append(base if base.name == "projects" else base / "projects")
    candidates += [home / ".config" / "claude" / "projects", home / ".claude" / "projects"]
    seen: set[Path] = set()
    roots = []
    for c in candidates:
        resolved = c.resolve()
        if resolved not in seen and c.is_dir():
            seen.add(resolved)
            roots.append(c)
    return roots


def discover(paths: Iterable[Path]) -> list[Path]:
    """Every `*.jsonl` under the given folders (recursively: subagent logs are nested; as
    `Path.rglob`, symlinked folders are not followed), plus any file named directly;
    resolved and sorted, so imports are reproducible."""
    found: set[str] = set()
    for p in paths:
        if p.is_file():
            found.add(str(p.resolve()))
        elif p.is_dir():
            _walk(os.path.realpath(p), found)
    # Path's own order, without making and comparing Path objects (a thousand files
    # took 20 ms that way).
    return [Path(f) for f in sorted(found, key=lambda f: f.split(os.sep))]


def _walk(folder: str, found: set[str]) -> None:
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except (PermissionError, FileNotFoundError, NotADirectoryError):
        return
    for e in entries:
        try:
            if e.is_dir(follow_symlinks=False):
                _walk(e.path, found)
            elif e.name.endswith(".jsonl") and e.is_file():
                # Under a resolved folder, only a symlinked file needs resolving.
                found.add(os.path.realpath(e.path) if e.is_symlink() else e.path)
        except OSError:
            continue


def head_hash(path: Path, upto: int) -> str:
    """Fingerprint of the first min(HEAD_BYTES, upto) bytes, with their count."""
    n = min(HEAD_BYTES, upto)
    with path.open("rb") as f:
        return hash_head(f.read(n))


def hash_head(data: bytes) -> str:
    """head_hash of bytes already read."""
    return f"{len(data)}:{hashlib.blake2b(data, digest_size=16).hexdigest()}"


@dataclass
class Plan:
    """What to read from one file."""

    path: Path
    start: int
    size: int
    mtime: float
    restarted: bool = False  # truncated or replaced since the last import

    @property
    def pending(self) -> int:
        return max(0, self.size - self.start)


def plan(path: Path, stored: FileState | None) -> Plan | None:
    """Where to start reading `path`, or None when nothing changed."""
    try:
        st = path.stat()
    except OSError:
        return None
    if stored is None:
        return Plan(path, 0, st.st_size, st.st_mtime)
    if st.st_size == stored.offset_bytes and st.st_mtime == stored.mtime:
        return None
    if st.st_size < stored.offset_bytes:
        return Plan(path, 0, st.st_size, st.st_mtime, restarted=True)
    if stored.head_hash is not None:
        n = int(stored.head_hash.split(":", 1)[0])
        try:
            same = head_hash(path, n) == stored.head_hash
        except OSError:
            return None
        if not same:
            return Plan(path, 0, st.st_size, st.st_mtime, restarted=True)
    if st.st_size == stored.offset_bytes:
        return None
    return Plan(path, stored.offset_bytes, st.st_size, st.st_mtime)


def complete_lines(path: Path, start: int) -> Iterator[tuple[int, bytes]]:
    """(offset after the line, line) for each newline-terminated line from `start`.

    Reads through a buffer, so memory holds one line at a time whatever the file size;
    a final line without its newline is not yielded (it is still being written).
    """
    with path.open("rb", buffering=READ_BUFFER) as f:
        f.seek(start)
        offset = start
        for line in f:
            if not line.endswith(b"\n"):
                return
            offset += len(line)
            yield offset, line


def state_after(p: Plan, offset: int) -> FileState:
    """The `import_files` row once `p.path` is imported up to `offset`."""
    # The file may have grown while it was read: the offset can pass the size seen first.
    return FileState(str(p.path), max(p.size, offset), p.mtime, offset,
                     head_hash(p.path, offset) if offset else None)
