"""The docs keep up with the code: every setting and command is documented."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


# -- each English document has its Japanese counterpart -------------------------------------
# Pairs are compared by structure, so a section, a table row, a list item, a code block or a
# command missing in one language fails: the same headings in the same order (by level), and
# in each section the same number of table rows and list items, the same code blocks (their
# comments and diagrams aside), and every `ccotel ...` command, `--option` and linked file of
# the English present in the Japanese.

PAIRS = [("README.md", "README.ja.md"), ("docs/first-hour.md", "docs/first-hour.ja.md")]
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _sections(text: str) -> list[dict[str, Any]]:
    sections: list[dict[str, Any]] = [{"level": 0, "lines": []}]
    fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and re.match(r"#{1,6} ", line):
            sections.append({"level": len(line.split(" ", 1)[0]), "lines": []})
        sections[-1]["lines"].append(line)
    for s in sections:
        body = "\n".join(s["lines"])
        blocks = re.findall(r"^```([^\n]*)\n(.*?)^```", body, flags=re.DOTALL | re.MULTILINE)
        prose = re.sub(r"^```.*?^```", "", body, flags=re.DOTALL | re.MULTILINE)
        # The same commands and output; comments and diagrams (mermaid) are prose.
        s["code"] = [re.sub(r"(?m)(^|\s)#\s.*$", "", code).rstrip()
                     for lang, code in blocks if lang.strip() != "mermaid"]
        s["rows"] = len([x for x in prose.splitlines() if x.startswith("|")])
        s["items"] = len(re.findall(r"^(?:- |\d+\. )", prose, flags=re.MULTILINE))
        s["commands"] = set(re.findall(r"`(ccotel [a-z]+(?: [a-z]+)?)", prose))
        s["options"] = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", prose))
        # Files linked; a heading's anchor is spelled in each document's language.
        s["links"] = {t.split("#")[0] for t in re.findall(r"\]\(([^)]+)\)", prose)} - {""}
    return sections


@pytest.mark.parametrize("english,japanese", PAIRS)
def test_every_english_section_has_its_japanese_counterpart(english: str,
                                                             japanese: str) -> None:
    en = _sections((ROOT / english).read_text())
    ja = _sections((ROOT / japanese).read_text())
    assert [s["level"] for s in en] == [s["level"] for s in ja], "headings differ"
    for i, (e, j) in enumerate(zip(en, ja, strict=True)):
        where = f"{japanese}, section {i} ({(e['lines'] or [''])[0]})"
        assert e["rows"] == j["rows"], f"{where}: table rows"
        assert e["items"] == j["items"], f"{where}: list items"
        assert e["code"] == j["code"], f"{where}: code blocks"
        assert e["commands"] <= j["commands"], f"{where}: {e['commands'] - j['commands']}"
        assert e["options"] <= j["options"], f"{where}: {e['options'] - j['options']}"
        # A link to an English page is matched by its Japanese version where there is one.
        ja_links = {link.replace(".ja.md", ".md") for link in j["links"]}
        assert e["links"] - {japanese, english} <= ja_links, f"{where}: links"


def test_the_generated_stack_readme_says_everything_in_both_languages() -> None:
    """The stack README is one bilingual file: every heading is "日本語 / English", every
    table row and every code comment has Japanese, and each bullet or paragraph with
    English prose has Japanese beside it."""
    from ccotel.stack.generate import StackOptions, render

    text = render(StackOptions())["README.md"]
    names = re.compile(r"\b(Grafana|Loki|Prometheus|OTel|Collector|gRPC|HTTP|PromQL|LogQL|"
                       r"Docker|Compose|Engine|Admin|Editor|Viewer|port|service|panel|file|"
                       r"source|what)\b")
    for line in text.splitlines():
        if re.match(r"#{1,6} ", line):
            assert " / " in line and _CJK.search(line), line
        elif line.startswith("|") and not line.startswith("|---"):
            words = names.sub("", re.sub(r"`[^`]*`|\*\*[^*]*\*\*|https?://\S+", "", line))
            if re.search(r"[A-Za-z]{3,}", words):
                assert _CJK.search(line), f"untranslated row: {line}"
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.DOTALL | re.MULTILINE):
        for comment in re.findall(r"#\s+(.*)$", block, flags=re.MULTILINE):
            if re.search(r"[A-Za-z]{3,}", comment) and not comment.startswith("="):
                assert _CJK.search(comment) or comment.startswith("http"), comment
    assert "シード" not in text and "既定" not in text
    assert "シリーズ" not in text and "シリーズ" not in README_JA
    assert "既定" not in README_JA


def test_the_japanese_readme_says_its_links_are_english() -> None:
    assert "を除いて英語です" in README_JA
    assert "ポート競合" in README_JA
    assert README_JA.count("本物") <= 1
