"""The repo and branch of imported sessions, recorded as `ccotel hook` records them.

A transcript line carries the folder Claude Code ran in (`cwd`) and its branch
(`gitBranch`). For each session an import reads, the folder's git facts are found with
`claude/gitinfo.py`, as the SessionStart hook finds them, and recorded through the same
`ccotel.git` record (`store.attribution.git_record`), so reports name the repo by its
remote (`host/owner/name`) and not only by the folder. The transcript's branch wins over
the checkout's (the checkout may have moved on since). A folder that no longer exists, or
is outside git, gets no record: reports then name the repo by the folder, and the branch
by `gitBranch`, from the imported rows themselves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ccotel.claude import gitinfo

# What this process recorded, per session: a session is recorded again only when its facts
# change (the transcript watcher imports a session turn by turn).
_RECORDED: dict[str, dict[str, str]] = {}
_RECORDED_MAX = 10_000
_LOCK = threading.Lock()


class Places:
    """The last folder and branch of each session seen in imported rows."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[int, str, str | None]] = {}

    def add(self, rows: Iterable[dict[str, Any]]) -> None:
        for r in rows:
            sid, cwd = r.get("session_id"), r.get("project")
            if not sid or not cwd:
                continue
            ts = int(r.get("time_unix_nano") or 0)
            seen = self._last.get(sid)
            if seen is None or ts >= seen[0]:
                self._last[sid] = (ts, cwd, r.get("git_branch"))

    def put(self, session_id: str, cwd: str, branch: str | None) -> None:
        self._last[session_id] = (time.time_ns(), cwd, branch)

    def items(self) -> list[tuple[str, str, str | None]]:
        return [(sid, cwd, branch) for sid, (_, cwd, branch) in self._last.items()]


def facts(cwd: str, branch: str | None) -> dict[str, str] | None:
    """What `ccotel hook` records for a session that ran in `cwd`, with the transcript's
    branch; None when the folder is gone or outside git."""
    try:
        if not Path(cwd).is_dir():
            return None
    except (OSError, ValueError):
        return None
    info = gitinfo.find(cwd)
    if info is None:
        return None
    out = info.facts()
    if branch:
        out["branch"] = branch
    return out


def git_batch(session_id: str, found: dict[str, str]) -> Any:
    """The writer batch of one session's record: the hook's record, decoded as the git
    API decodes it (`web/attribution.py`)."""
    from ccotel.otlp.decode import decode_request
    from ccotel.store.attribution import git_record

    return decode_request("logs", git_record(session_id, found, now_ns=time.time_ns()), "json")


def record(places: Places, send: Any) -> int:
    """Record each session's facts with `send(session_id, facts)` (a sink's `record_git`),
    unless this process already recorded the same; how many were sent. A session whose
    record the store refuses (an over-long value, say) is skipped: it keeps the fallback."""
    from ccotel.errors import CcotelError

    sent = 0
    for sid, cwd, branch in places.items():
        found = facts(cwd, branch)
        if found is None:
            continue
        with _LOCK:
            if _RECORDED.get(sid) == found:
                continue
        try:
            send(sid, found)
        except (CcotelError, ValueError):
            continue
        sent += 1
        with _LOCK:
            if len(_RECORDED) >= _RECORDED_MAX:
                _RECORDED.clear()
            _RECORDED[sid] = found
    return sent
