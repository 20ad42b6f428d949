"""Debian's chromium through Playwright: the one launch every browser test uses."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

# No network beyond loopback here: chromium's background connections would only fail.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@contextmanager
def launched() -> Iterator[Any]:
    """A headless chromium, closed afterwards; the test is skipped where none is installed."""
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = shutil.which("chromium")
    if exe is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# What a page that never became ready was waiting for: every panel not ready in the page's
# current generation, with its state and any error it shows.
NOT_READY = """() => {
  const gen = document.body.dataset.generation;
  return [...document.querySelectorAll('[data-panel], #session')]
    .filter((p) => p.dataset.generation !== gen || p.dataset.state !== 'ready')
    .map((p) => `${p.dataset.panel || p.id}: state=${p.dataset.state} generation=${p.dataset.generation}/${gen}`
      + ` ${(p.querySelector('.panel-error') || {}).textContent || ''}`.trimEnd());
}"""


def wait_ready(page: Any, ready: str, timeout: float = 30_000) -> None:
    """Wait until `ready` holds on `page`; when it never does, fail naming what was not."""
    error = pytest.importorskip("playwright.sync_api").TimeoutError
    try:
        page.wait_for_function(ready, timeout=timeout)
    except error:
        # Asked with a timeout of its own: a page whose script never returns (a loop that
        # does not end) cannot answer an evaluate, which would wait forever.
        try:
            pending = page.wait_for_function(f"() => JSON.stringify(({NOT_READY})())",
                                             timeout=5_000).json_value()
        except error:
            pending = "the page's script does not answer (busy in a loop that does not end?)"
        pytest.fail(f"{page.url} not ready after {timeout / 1000:.0f} s: {pending}", pytrace=False)
