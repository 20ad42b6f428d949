"""A report table too wide for the terminal even with every optional column left out:
its text columns fold their long words shorter, so no column is cut off at the edge."""

from __future__ import annotations

import io

from rich.console import Console

from ccotel.report.render import Column, Sheet, show


def _print(sheet: Sheet, width: int) -> str:
    console = Console(width=width, record=True, color_system=None, force_terminal=False,
                      file=io.StringIO())
    show(sheet, console)
    return console.export_text()


def test_long_words_fold_before_a_column_is_cut() -> None:
    names = ["Day", "User", "Repo", "Cost", "Compaction $", "Subagent $"]
    sheet = Sheet("Where the money went", [
        Column("Day"), Column("User"), Column("Repo"),
        *(Column(n, numeric=True) for n in names[3:]), Column("Errors", numeric=True, drop=1)])
    for i in range(3):
        sheet.add({"Day": "2026-12-06", "User": f"someone.with.a.long.name{i}@example.com",
                   "Repo": f"github.com/acme/a-rather-long-repository-{i}", "Cost": "$3.13",
                   "Compaction $": "$0.04", "Subagent $": "$0.66", "Errors": "1"})
    text = _print(sheet, 80)
    assert max(len(line) for line in text.splitlines()) <= 80
    header = next(line for line in text.splitlines() if line.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == names  # none cut
    assert "Left out to fit 80 columns: Errors." in text.replace("\n", " ")
    # where it fits, every column shows and words keep up to 16 characters
    wide = _print(sheet, 160)
    header = next(line for line in wide.splitlines() if line.startswith("┃"))
    assert [c.strip() for c in header.strip("┃").split("┃")] == [*names, "Errors"]
    assert "Left out" not in wide and "github.com/acme/" in wide
