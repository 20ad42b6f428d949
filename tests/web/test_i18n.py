"""The UI string catalogue: every key in English and Japanese, the same placeholders in
both, every key the pages use present, and the language chosen as browsers ask for it."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from ccotel.store.attribution import FILTER_DIMENSIONS
from ccotel.web import i18n

WEB = resources.files("ccotel.web")


def test_every_key_has_english_and_japanese() -> None:
    cat = i18n.catalogue()
    assert len(cat) > 50
    for key, texts in cat.items():
        assert set(texts) == set(i18n.LANGUAGES), key
        assert texts["en"].strip() and texts["ja"].strip(), key
        placeholders = [sorted(re.findall(r"\{(\w+)\}", texts[lang])) for lang in ("en", "ja")]
        assert placeholders[0] == placeholders[1], key


def test_japanese_is_japanese() -> None:
    """A Japanese string that is only ASCII words was left untranslated (units and names
    such as p50 or CLI, and the range's 〜, excepted)."""
    keep = {"name.p50", "name.p95", "name.ttft p50", "name.ttft p95", "name.cli", "range.between"}
    for key, texts in i18n.catalogue().items():
        if key not in keep:
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", texts["ja"]), key


def _used_keys() -> set[str]:
    keys: set[str] = set()
    for name in ("dashboard.js", "session.js", "render.js", "api.js", "limits.js", "alerts.js",
                 "attribution.js", "repo.js"):
        text = WEB.joinpath("static", name).read_text("utf-8")
        keys |= set(re.findall(r"\bt\(\"([\w.\-]+)\"", text))
        keys |= set(re.findall(r"\"((?:empty|story|kv|session|col|logs|limits|repo)\.[\w.\-]+)\"", text))
    for name in ("base.html", "dashboard.html", "session.html", "repo.html"):
        text = WEB.joinpath("templates", name).read_text("utf-8")
        keys |= set(re.findall(r"t\([\"']([\w.\-]+\w)[\"']", text))
    # Keys the templates build in loops: one per filter and per range preset.
    keys |= {f"var.{v}" for v in ("user", "model", "session", "terminal", "version")}
    # The attribution filters (attribution.js) and the repo page's parts (repo.html).
    keys |= {f"var.{v}" for v in FILTER_DIMENSIONS}
    keys |= {f"repo.{p}" for p in ("over_time", "people", "models", "branches", "sessions")}
    keys |= {f"range.now-{r}" for r in ("15m", "1h", "6h", "24h", "7d", "30d")}
    # alerts.js names each state an alert can be in (the API's enum).
    keys |= {f"alerts.state.{s}" for s in ("pending", "firing", "resolved")}
    return keys


def test_every_key_the_pages_use_exists() -> None:
    used = _used_keys()
    assert len(used) > 40
    assert used - set(i18n.catalogue()) == set()


@pytest.mark.parametrize(("query", "header", "want"), [
    (None, None, "en"),
    (None, "ja", "ja"),
    (None, "ja-JP,ja;q=0.9,en-US;q=0.8", "ja"),
    (None, "en-US,en;q=0.9,ja;q=0.8", "en"),
    (None, "fr-FR,ja;q=0.5", "ja"),
    (None, "fr-FR", "en"),
    ("en", "ja", "en"),
    ("ja", "en", "ja"),
    ("xx", "ja", "ja"),
    (None, "ja;q=abc,en", "en"),
    (None, ";;,,", "en"),
])
def test_language_from_query_then_accept_language(query: str | None, header: str | None,
                                                  want: str) -> None:
    assert i18n.choose(query, header) == want


def test_translator_fills_values() -> None:
    assert i18n.Translator("ja")("badge.last", range="1h") == "直近 1h"
    assert i18n.Translator("en")("badge.last", range="1h") == "Last 1h"
