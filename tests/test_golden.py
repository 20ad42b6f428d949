"""The golden-file mechanism: only UPDATE_GOLDEN=1 writes, it shows a diff, it fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import golden


def test_a_match_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(golden.ENV, raising=False)
    (tmp_path / "a.txt").write_text("same\n")
    golden.check(tmp_path / "a.txt", "same\n")
    golden.check_tree(tmp_path, {"a.txt": "same\n"})


@pytest.mark.parametrize("value", [None, "0", "yes", "true", ""])
def test_without_update_1_a_difference_fails_and_writes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv(golden.ENV, raising=False)
    else:
        monkeypatch.setenv(golden.ENV, value)
    (tmp_path / "a.txt").write_text("old\n")
    with pytest.raises(pytest.fail.Exception, match=r"(?s)-old\n\+new"):
        golden.check(tmp_path / "a.txt", "new\n")
    with pytest.raises(pytest.fail.Exception, match=r"b/b\.txt"):
        golden.check_tree(tmp_path, {"a.txt": "old\n", "b.txt": "added\n"})
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    assert (tmp_path / "a.txt").read_text() == "old\n"


def test_update_1_writes_shows_the_diff_and_still_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(golden.ENV, "1")
    (tmp_path / "a.txt").write_text("old\n")
    (tmp_path / "gone.txt").write_text("stale\n")
    files = {"a.txt": "new\n", "sub/b.txt": "added\n"}
    with pytest.raises(pytest.fail.Exception, match="rewrote"):
        golden.check_tree(tmp_path, files)
    out = capsys.readouterr().out
    assert "-old\n+new\n" in out and "+added" in out and "-stale" in out
    assert "--- a/gone.txt\n+++ /dev/null" in out
    # The tree is now what the code generates: the next run passes, even still with =1.
    golden.check_tree(tmp_path, files)
    monkeypatch.delenv(golden.ENV)
    golden.check_tree(tmp_path, files)
    # One file alike.
    monkeypatch.setenv(golden.ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="rewrote"):
        golden.check(tmp_path / "a.txt", "newer\n")
    assert "-new\n+newer\n" in capsys.readouterr().out
    golden.check(tmp_path / "a.txt", "newer\n")
