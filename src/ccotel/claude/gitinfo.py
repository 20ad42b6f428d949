"""The git repository, branch, worktree and HEAD commit of a directory, fast.

`ccotel hook` runs on every Claude Code session start and the statusline on every turn, so
this reads the `.git` files directly (HEAD, the worktree's gitdir, config, loose and packed
refs) instead of starting git; only a layout it cannot read (reftable refs, say) makes it
ask `git` itself, with a short timeout. A repo is named by its first remote, normalized to
`host/owner/name` (`git@github.com:o/r.git`, `https://u@github.com/o/r` -> `github.com/o/r`),
else by its top-level folder's name; a directory outside git is `None`.
"""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass
from pathlib import Path

_SCP = re.compile(r"^(?:[^@/]+@)?([^:/]+):(?!//)(.+)$")  # git@host:owner/name.git
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://(?:[^@/]*@)?([^/:]+)(?::\d+)?/(.+)$", re.IGNORECASE)
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
GIT_TIMEOUT = 2.0


@dataclass(frozen=True)
class GitInfo:
    repo: str  # host/owner/name of the remote, else the top-level folder's name
    branch: str | None  # None on a detached HEAD
    head: str | None  # the commit HEAD is on (None in a repo without commits)
    toplevel: str  # the work tree's top-level folder
    worktree: str | None  # the linked worktree's name; None in the main work tree

    def facts(self) -> dict[str, str]:
        """The body of `POST /api/v1/sessions/{id}/git` (stored as `git.*` attributes)."""
        out = {"repo": self.repo, "toplevel": self.toplevel}
        for key, value in (("branch", self.branch), ("head", self.head),
                           ("worktree", self.worktree)):
            if value:
                out[key] = value
        return out


def normalize_remote(url: str) -> str | None:
    """`host/owner/name` of a remote URL, or None for a local path."""
    url = url.strip()
    m = _URL.match(url) or (None if "://" in url else _SCP.match(url))
    if not m:
        return None
    path = m.group(2).strip("/")
    path = path.removesuffix(".git")
    return f"{m.group(1).lower()}/{path}" if path else None


def find(cwd: str | Path) -> GitInfo | None:
    """The git facts of `cwd`, or None when it is not inside a git work tree."""
    try:
        start = Path(cwd).resolve()
    except (OSError, RuntimeError):
        return None
    for top in (start, *start.parents):
        dotgit = top / ".git"
        if dotgit.exists():
            try:
                return _read(top, dotgit)
            except (OSError, ValueError, UnicodeDecodeError, configparser.Error):
                return _ask_git(top)
    return None


def _read(top: Path, dotgit: Path) -> GitInfo:
    worktree = None
    if dotgit.is_file():  # a linked worktree or a submodule: "gitdir: <path>"
        text = dotgit.read_text().strip()
        if not text.startswith("gitdir:"):
            raise ValueError("not a gitdir file")
        gitdir = (top / text[7:].strip()).resolve()
        common = gitdir
        if (gitdir / "commondir").is_file():
            common = (gitdir / (gitdir / "commondir").read_text().strip()).resolve()
            worktree = gitdir.name
    else:
        gitdir = common = dotgit
    if (common / "reftable").exists():
        raise ValueError("reftable refs")
    head = (gitdir / "HEAD").read_text().strip()
    branch = commit = None
    if head.startswith("ref:"):
        ref = head[4:].strip()
        branch = ref.removeprefix("refs/heads/")
        commit = _resolve(common, ref)
    elif _SHA.match(head):
        commit = head
    else:
        raise ValueError("unreadable HEAD")
    return GitInfo(_repo_name(common, top), branch, commit, str(top), worktree)


def _resolve(common: Path, ref: str) -> str | None:
    loose = common / ref
    if loose.is_file():
        value = loose.read_text().strip()
        if _SHA.match(value):
            return value
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            sha, _, name = line.partition(" ")
            if name == ref and _SHA.match(sha):
                return sha
    return None  # a branch without commits yet


def _repo_name(common: Path, top: Path) -> str:
    config = configparser.ConfigParser(strict=False, interpolation=None)
    config.read(common / "config", encoding="utf-8")
    remotes = [s for s in config.sections() if s.startswith('remote "')]
    remotes.sort(key=lambda s: s != 'remote "origin"')  # origin first, then as written
    for section in remotes:
        name = normalize_remote(config.get(section, "url", fallback=""))
        if name:
            return name
    return top.name


def _ask_git(top: Path) -> GitInfo | None:
    """The fallback: ask git (a layout this module does not read)."""
    import subprocess  # here: the statusline imports this module on every update

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", "-C", str(top), *args], capture_output=True,
                                 text=True, timeout=GIT_TIMEOUT, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else None

    toplevel = git("rev-parse", "--show-toplevel")
    if toplevel is None:
        return None
    branch = git("symbolic-ref", "--short", "-q", "HEAD")
    remote = git("remote", "get-url", "origin")
    repo = (normalize_remote(remote) if remote else None) or Path(toplevel).name
    return GitInfo(repo, branch, git("rev-parse", "-q", "--verify", "HEAD"), toplevel, None)

