"""gitinfo reads what git itself says, from the files, for every layout users have."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ccotel.claude import gitinfo


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), "-c", "user.name=t", "-c", "user.email=t@e",
                           *args], check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    r = tmp_path / "work" / "myrepo"
    r.mkdir(parents=True)
    git(r, "init", "-q", "-b", "main")
    (r / "a").write_text("a")
    git(r, "add", "a")
    git(r, "commit", "-qm", "a")
    return r


@pytest.mark.parametrize(("url", "name"), [
    ("git@github.com:Owner/Name.git", "github.com/Owner/Name"),
    ("https://user:tok@GitHub.com/o/r.git", "github.com/o/r"),
    ("ssh://git@gitlab.example.com:2222/group/sub/proj.git", "gitlab.example.com/group/sub/proj"),
    ("https://github.com/o/r/", "github.com/o/r"),
    ("/srv/git/r.git", None),
    ("file:///srv/git/r.git", None),
])
def test_remotes_are_normalized(url: str, name: str | None) -> None:
    assert gitinfo.normalize_remote(url) == name


def test_repo_branch_and_head_match_git(repo: Path) -> None:
    info = gitinfo.find(repo)
    assert info is not None
    assert info.repo == "myrepo"  # no remote: the top-level folder
    assert info.branch == "main"
    assert info.head == git(repo, "rev-parse", "HEAD")
    git(repo, "remote", "add", "origin", "git@github.com:acme/widgets.git")
    git(repo, "checkout", "-qb", "feature/x")
    (repo / "sub").mkdir()
    info = gitinfo.find(repo / "sub")
    assert info is not None
    assert (info.repo, info.branch, info.toplevel) == ("github.com/acme/widgets", "feature/x",
                                                       str(repo.resolve()))


def test_packed_refs_detached_head_and_worktrees(repo: Path, tmp_path: Path) -> None:
    git(repo, "pack-refs", "--all")
    head = git(repo, "rev-parse", "HEAD")
    assert gitinfo.find(repo).head == head  # type: ignore[union-attr]
    git(repo, "remote", "add", "origin", "https://github.com/acme/widgets")
    wt = tmp_path / "wt-b"
    git(repo, "worktree", "add", "-q", "-b", "b2", str(wt))
    info = gitinfo.find(wt)
    assert info is not None
    assert (info.repo, info.branch, info.worktree, info.head) == (
        "github.com/acme/widgets", "b2", "wt-b", head)
    git(repo, "checkout", "-q", "--detach")
    info = gitinfo.find(repo)
    assert info is not None and info.branch is None and info.head == head


def test_outside_git_and_unreadable_layouts(tmp_path: Path, repo: Path) -> None:
    assert gitinfo.find(tmp_path / "nowhere") is None
    plain = tmp_path / "plain"
    plain.mkdir()
    assert gitinfo.find(plain) is None
    # A layout this module does not read (reftable): git is asked instead.
    (repo / ".git" / "reftable").mkdir()
    info = gitinfo.find(repo)
    assert info is not None and info.branch == "main"
