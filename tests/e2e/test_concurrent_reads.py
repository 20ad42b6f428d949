"""The dashboard asks for all its panels at once: over real Claude Code data (traces,
prompts, tool details, imported transcripts), under the default memory limit, the UI port
answers every one."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ccotel.panel_data import DATA
from tests.conftest import Server, start_server
from tests.e2e import cli_data

pytestmark = pytest.mark.e2e

VIEWS = ("from=now-15m&to=now", "from=now-7d&to=now")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("concurrent")
    srv = start_server(base / "data")  # the default --memory-limit
    try:
        cli_data.fill(srv, base / "work")
        yield srv
    finally:
        srv.stop()


def _status(url: str) -> tuple[str, int, str]:
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return url, r.status, ""
    except urllib.error.HTTPError as e:
        return url, e.code, e.read().decode(errors="replace")


def test_every_panel_asked_at_once_is_answered(server: Server) -> None:
    """What a browser does when the dashboard opens, and more: two views at once, twice."""
    urls = [f"{server.ui}/api/v1/panels/{p}?{v}" for p in DATA for v in VIEWS] * 2
    with ThreadPoolExecutor(len(urls)) as ex:
        answers = list(ex.map(_status, urls))
    assert [a for a in answers if a[1] != 200] == []
    assert "Traceback" not in "".join(server.log)
