"""The repo and branch of each demo session, recorded as `ccotel hook session-start`
records them: one `ccotel.git` event at the session's start (`store.attribution.git_record`
is the definition; `records` gives the rows decoding it gives, without decoding each)."""

from __future__ import annotations

import hashlib
import random
from functools import cache
from typing import Any

import pyarrow as pa

from ccotel.demo import population as popn
from ccotel.store.attribution import GIT_FIELDS, git_record
from ccotel.store.rows import event_key, to_json


def facts(rnd: random.Random, user: popn.User, session_id: str) -> dict[str, str]:
    """Where one session of `user` runs: a repo (their team's most often), a branch, the
    HEAD commit and the top-level folder, sometimes in a linked worktree; the body
    `ccotel hook session-start` sends (`claude.gitinfo.GitInfo.facts`)."""
    home = popn.TEAMS[user.team][2]
    repos = popn.REPOS
    pick = home if rnd.random() < 0.5 else rnd.choices(range(len(repos)),
                                                        [r[2] for r in repos])[0]
    repo, folder, _ = repos[pick]
    branch = rnd.choices(popn.BRANCHES, popn.BRANCH_WEIGHTS)[0]
    worktree = branch.replace("/", "-") if branch != "main" and (
        rnd.random() < popn.WORKTREE_SHARE) else None
    os_type = user.os[0]
    name = folder if worktree is None else f"{folder}-{worktree}"
    top = (f"C:\\Users\\{user.name}\\src\\{name}" if os_type == "win32" else
           f"/{'Users' if os_type == 'darwin' else 'home'}/{user.name}/src/{name}")
    out = {"repo": repo, "toplevel": top, "branch": branch,
           "head": hashlib.sha1(f"{repo}/{branch}/{session_id}".encode()).hexdigest()}
    if worktree:
        out["worktree"] = worktree
    return out


@cache
def _template() -> dict[str, Any]:
    """A decoded git record: the columns and constant values every one of them has."""
    from ccotel.otlp.decode import decode_request

    (row,) = decode_request("logs", git_record("s", {"repo": "r"}, now_ns=1), "json").events
    return row


def record_row(session_id: str, found: dict[str, str], t_ns: int) -> dict[str, Any]:
    """The row decoding `git_record(session_id, found, now_ns=t_ns)` gives."""
    row = {**_template(), "session_id": session_id, "time_unix_nano": t_ns,
           "attributes": to_json({f"git.{k}": found[k] for k in GIT_FIELDS if k in found})}
    del row["event_key"]
    row["event_key"] = event_key(row)
    return row


def records(sessions: list[tuple[str, dict[str, str], int]]) -> pa.Table:
    """Rows for the events table (`ts` included, as the writer sets it) of each
    (session id, facts, time in ns) of `sessions`."""
    rows = [record_row(sid, found, t) for sid, found, t in sessions]
    for r in rows:
        r["ts"] = r["time_unix_nano"] // 1000
    table = pa.Table.from_pylist(rows)
    ts = pa.array([r["ts"] for r in rows], pa.int64()).cast(pa.timestamp("us"))
    return table.set_column(table.column_names.index("ts"), "ts", ts)
