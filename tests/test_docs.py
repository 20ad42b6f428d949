"""The docs keep up with the code: every setting and command is documented."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from ccotel.cli import main
from ccotel.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
README_JA = (ROOT / "README.ja.md").read_text()
ARCH = (ROOT / "ARCHITECTURE.md").read_text()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_readmes_and_the_help(setting) -> None:  # type: ignore[no-untyped-def]
    assert f"`--{setting.name}`" in README
    assert f"--{setting.name}" in README_JA
    help_text = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output
    assert f"--{setting.name}" in help_text and setting.env in help_text


def test_every_command_is_documented() -> None:
    for name in main.list_commands(click.Context(main)):
        assert f"ccotel {name}" in README, name
        assert f"ccotel {name}" in ARCH, name


@pytest.mark.parametrize("port", ["4317", "4318", "3030", "8888"])
def test_ports_are_in_every_doc(port: str) -> None:
    assert port in README and port in README_JA and port in ARCH


def test_readme_has_the_two_setup_commands() -> None:
    blocks = README.split("## Quick start", 1)[1].split("## ", 1)[0]
    assert "ccotel serve" in blocks and "bash scripts/test.sh" in blocks
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_link_in_the_docs_resolves() -> None:
    import re

    for doc in [ROOT / "README.md", ROOT / "README.ja.md", ROOT / "ARCHITECTURE.md",
                *(ROOT / "docs").glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text()):
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"
