"""The data dir is private whoever creates it: 0700, and the store, its WAL, server.json
and redact.key 0600, under a permissive umask too; a `serve` on a dir left looser tightens
it and says so in its log."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ccotel.cli import main
from ccotel.store import DB_FILENAME
from ccotel.store.files import PRIVATE_FILES
from tests.conftest import start_server
from tests.importer.corpus import build_test_corpus
from tests.otlp.test_http_spec import send_capture


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private(data: Path) -> list[str]:
    """Every ccotel file present is 0600 and the dir 0700; the names checked."""
    assert mode(data) == 0o700, oct(mode(data))
    present = [n for n in PRIVATE_FILES if (data / n).exists()]
    for name in present:
        assert mode(data / name) == 0o600, (name, oct(mode(data / name)))
    return present


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """The usual umask (files 0644, dirs 0755): privacy must not depend on the user's."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def run(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


def test_import_creates_a_private_store(tmp_path: Path) -> None:
    corpus = build_test_corpus(tmp_path / "projects", days=1)
    data = tmp_path / "new" / "data"
    run("import", str(corpus.root), "--data-dir", str(data), "--json")
    assert DB_FILENAME in assert_private(data)


@pytest.mark.parametrize("bulk", [False, True], ids=["decoded", "bulk"])
def test_demo_creates_a_private_store(tmp_path: Path, bulk: bool) -> None:
    data = tmp_path / "data"
    run("demo", "--users", "1", "--days", "1", "--data-dir", str(data), "--json",
        *(["--bulk"] if bulk else []))
    assert DB_FILENAME in assert_private(data)


def test_a_report_creates_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", "daily", "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 1 and not (tmp_path / "d").exists()


@pytest.mark.e2e
def test_serve_creates_private_files_and_tightens_loose_ones(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run("demo", "--users", "1", "--days", "1", "--data-dir", str(data), "--json")
    # As an older ccotel (or a copy with cp) would have left it.
    os.chmod(data, 0o755)
    os.chmod(data / DB_FILENAME, 0o644)
    (data / "redact.key").write_text("00" * 32 + "\n")
    os.chmod(data / "redact.key", 0o644)
    srv = start_server(data, "--redact", "emails")
    try:
        send_capture(srv, "basic")  # rows in the WAL
        present = assert_private(data)
        assert {DB_FILENAME, "server.json", "redact.key"} <= set(present)
    finally:
        srv.stop()
    log = srv.output
    assert f"made {data} private: mode 0755 -> 0700" in log
    assert f"made {data / DB_FILENAME} private: mode 0644 -> 0600" in log
    assert_private(data)  # the WAL left at shutdown, if any, too


def test_a_shared_dir_keeps_its_mode_and_ccotel_files_are_still_private(tmp_path: Path,
                                                                        caplog: Any) -> None:
    """`--data-dir` on a dir with other files (a home dir, /tmp) does not close it to its
    other users: a warning says to give ccotel a dir of its own."""
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    (shared / "notes.txt").write_text("someone else's")
    with caplog.at_level("WARNING", logger="ccotel.store"):
        run("demo", "--users", "1", "--days", "1", "--data-dir", str(shared), "--json")
    assert mode(shared) == 0o755
    assert mode(shared / DB_FILENAME) == 0o600
    assert "give ccotel a --data-dir of its own" in caplog.text
