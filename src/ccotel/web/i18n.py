"""The dashboard's UI strings in English and Japanese, from one catalogue (`static/i18n.json`).

Labels, controls, empty states and errors come from here, for the templates and (through
the page's config) for the scripts; panel titles keep their English names, as Grafana's
dashboard did. The language is `?lang=en|ja` when given, else the browser's
Accept-Language, else English. The CLI speaks English only.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("en", "ja")
DEFAULT = "en"


@cache
def catalogue() -> dict[str, dict[str, str]]:
    """key -> {"en": text, "ja": text}; `{name}` marks a value filled in by the caller."""
    text = resources.files("ccotel.web").joinpath("static", "i18n.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("//")}


def strings(lang: str) -> dict[str, str]:
    """Every UI string in one language."""
    return {key: texts[lang] for key, texts in catalogue().items()}


def choose(query_lang: str | None, accept_language: str | None) -> str:
    """`?lang=` if it names a language we have, else the best of Accept-Language."""
    if query_lang in LANGUAGES:
        return query_lang
    best, best_q = DEFAULT, 0.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                continue
        lang = tag.strip().lower().split("-")[0]
        if lang in LANGUAGES and q > best_q:
            best, best_q = lang, q
    return best


class Translator:
    """`t("key", name=value)` in templates: the text in the page's language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.table = strings(lang)

    def __call__(self, key: str, **values: Any) -> str:
        text = self.table[key]
        return text.format(**values) if values else text
