"""Golden files: compare generated text with the files kept in the repository.

An update is explicit and never silently green: only `UPDATE_GOLDEN=1` rewrites the golden
files (any other value, `0` included, only compares); the run that rewrites them prints a
unified diff of what changed and still fails, so the change is reviewed and the next run
is the one that passes.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

ENV = "UPDATE_GOLDEN"


def updating() -> bool:
    return os.environ.get(ENV) == "1"


def _diff(rel: str, old: str | None, new: str | None) -> str:
    return "".join(difflib.unified_diff(
        (old or "").splitlines(keepends=True), (new or "").splitlines(keepends=True),
        fromfile=f"a/{rel}" if old is not None else "/dev/null",
        tofile=f"b/{rel}" if new is not None else "/dev/null"))


def check_tree(root: Path, files: dict[str, str]) -> None:
    """`files` (path relative to `root` -> text) must equal the files under `root`,
    none missing, none extra."""
    kept = {str(p.relative_to(root)): p.read_text(encoding="utf-8")
            for p in sorted(root.rglob("*")) if p.is_file()} if root.is_dir() else {}
    diff = "".join(_diff(rel, kept.get(rel), files.get(rel))
                   for rel in sorted(set(kept) | set(files)) if kept.get(rel) != files.get(rel))
    if not diff:
        return
    if not updating():
        pytest.fail(f"{root} differs from what the code generates; if the change is "
                    f"intended, run with {ENV}=1 (that run rewrites the files, shows this "
                    f"diff and fails), review, and run again:\n{diff}", pytrace=False)
    for rel in set(kept) - set(files):
        (root / rel).unlink()
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    print(diff)
    pytest.fail(f"{ENV}=1 rewrote golden files under {root}; review the diff and run "
                f"again without it:\n{diff}", pytrace=False)


def check(path: Path, text: str) -> None:
    """One golden file: `text` must equal `path` (the rest of its directory is not
    looked at)."""
    kept = path.read_text(encoding="utf-8") if path.is_file() else None
    if kept == text:
        return
    diff = _diff(path.name, kept, text)
    if not updating():
        pytest.fail(f"{path} differs from what the code generates; if intended, run with "
                    f"{ENV}=1 (it rewrites the file, shows this diff and fails), review, "
                    f"and run again:\n{diff}", pytrace=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(diff)
    pytest.fail(f"{ENV}=1 rewrote {path}; review the diff and run again without it:\n{diff}",
                pytrace=False)
