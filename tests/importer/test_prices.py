"""The helper process that loads genai-prices while a first import starts."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import pytest

from ccotel.claude.pricing import Pricer
from ccotel.importer import prices
from ccotel.importer.prices import RatesHelper
from tests.importer.corpus import NEW_MODEL, PRICED_MODELS, build_test_corpus
from tests.importer.helpers import cli_json, report


# fork: Linux's default; spawn: macOS' and Windows' (a fresh interpreter imports the helper).
@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_the_helper_resolves_the_rates_this_process_would(
        method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = multiprocessing.get_context(method)
    monkeypatch.setattr(prices.multiprocessing, "get_context", lambda: ctx)
    combos = [(m, False, date(2026, 6, 1)) for m in (*PRICED_MODELS, NEW_MODEL)]
    combos += [("claude-opus-4-6", True, date(2026, 11, 1)), ("no-such-model", False,
                                                              date(2026, 6, 1))]
    helper = RatesHelper()
    try:
        rates, unpriced = helper(combos)
    finally:
        helper.close()
    pricer = Pricer()
    assert rates == [pricer.pico_rates(m, d, "fast" if f else None) for m, f, d in combos]
    assert unpriced == pricer.unpriced == {"no-such-model"}


def test_closing_stops_the_helper_while_it_loads() -> None:
    """How long closing takes, against loading the tables, is bench/prices_close.py."""
    helper = RatesHelper()
    helper.close()
    assert not helper._proc.is_alive()


def test_a_first_import_prices_through_the_helper_or_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = str(build_test_corpus(tmp_path / "projects").root)
    calls: list[int] = []
    real = RatesHelper.__call__

    def counted(self: RatesHelper, combos: list[prices.Combo]) -> object:
        calls.append(len(combos))
        return real(self, combos)

    monkeypatch.setattr(RatesHelper, "__call__", counted)
    cli_json("import", root, "--data-dir", str(tmp_path / "helper"), "--engine", "duckdb")
    assert len(calls) == 1 and calls[0] > 0

    def broken(self: RatesHelper, combos: list[prices.Combo]) -> None:
        raise EOFError("helper gone")

    monkeypatch.setattr(RatesHelper, "__call__", broken)
    cli_json("import", root, "--data-dir", str(tmp_path / "broken"), "--engine", "duckdb")
    cli_json("import", root, "--data-dir", str(tmp_path / "python"), "--engine", "python")
    assert report(tmp_path / "helper") == report(tmp_path / "python")
    assert report(tmp_path / "broken") == report(tmp_path / "python")
