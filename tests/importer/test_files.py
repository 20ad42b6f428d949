"""Finding transcripts and reading only what was appended since the last import."""

from __future__ import annotations

import os
from pathlib import Path

from ccotel.importer.files import (
    HEAD_BYTES,
    complete_lines,
    default_roots,
    discover,
    plan,
    state_after,
)


def test_default_roots_follow_claude_config_dir_then_xdg_then_legacy(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b" / "projects"
    for d in (a / "projects", b, tmp_path / ".config/claude/projects",
              tmp_path / ".claude/projects"):
        d.mkdir(parents=True)
    roots = default_roots({"CLAUDE_CONFIG_DIR": f"{a}, {b}"}, home=tmp_path)
    assert roots == [a / "projects", b, tmp_path / ".config/claude/projects",
                     tmp_path / ".claude/projects"]
    assert default_roots({}, home=tmp_path / "nowhere") == []


def test_discover_recurses_into_subagent_folders(tmp_path: Path) -> None:
    (tmp_path / "p" / "s1" / "subagents").mkdir(parents=True)
    files = [tmp_path / "p" / "s1.jsonl", tmp_path / "p" / "s1" / "subagents" / "agent-1.jsonl"]
    for f in files:
        f.write_text("{}\n")
    (tmp_path / "p" / "notes.txt").write_text("x")
    assert discover([tmp_path]) == sorted(f.resolve() for f in files)
    assert discover([files[0]]) == [files[0].resolve()]


def test_only_complete_lines_are_read(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_bytes(b'{"a":1}\n{"b":2}\n{"c":')
    assert list(complete_lines(f, 0)) == [(8, b'{"a":1}\n'), (16, b'{"b":2}\n')]
    assert list(complete_lines(f, 8)) == [(16, b'{"b":2}\n')]


def test_plans_resume_skip_and_restart(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_bytes(b'{"a":1}\n' * 1000)
    first = plan(f, None)
    assert first is not None and first.start == 0 and first.pending == 8000
    state = state_after(first, 8000)
    assert state.head_hash is not None and state.head_hash.startswith(f"{HEAD_BYTES}:")
    assert plan(f, state) is None  # nothing new

    with f.open("ab") as fh:
        fh.write(b'{"b":2}\n')
    more = plan(f, state)
    assert more is not None and (more.start, more.pending, more.restarted) == (8000, 8, False)

    f.write_bytes(b'{"z":9}\n')  # truncated and rewritten: smaller than the offset
    again = plan(f, state)
    assert again is not None and (again.start, again.restarted) == (0, True)

    f.write_bytes(b'{"x":0}\n' * 1001)  # replaced by a longer file with other first bytes
    replaced = plan(f, state)
    assert replaced is not None and (replaced.start, replaced.restarted) == (0, True)


def test_a_touched_but_unchanged_file_is_not_read_again(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_bytes(b'{"a":1}\n')
    p = plan(f, None)
    assert p is not None
    state = state_after(p, 8)
    os.utime(f, (1, 1))
    assert plan(f, state) is None


def test_a_vanished_file_is_skipped(tmp_path: Path) -> None:
    assert plan(tmp_path / "gone.jsonl", None) is None
