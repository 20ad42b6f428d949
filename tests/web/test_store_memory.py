"""A query that finds no memory (a low `--memory-limit`, other queries) is a 503 to retry,
never a 500."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from starlette.testclient import TestClient

from ccotel.panel_data import DATA
from ccotel.store import schema
from ccotel.web.app import WebContext, build_app
from tests.web import known

LOW = "4MB"  # enough to open the store, not for most panels' queries
VIEW = "from=now-7d&to=now"


def test_a_query_without_memory_is_a_503_to_retry(tmp_path: Path) -> None:
    """At a memory limit too low for most panels' queries: each is a 200 or a 503 with
    Retry-After naming the setting, never a 500."""
    known.write(tmp_path, datetime.now(UTC).replace(tzinfo=None))
    con = schema.connect(tmp_path, memory_limit=LOW)
    try:
        client = TestClient(build_app(WebContext(con.cursor)), raise_server_exceptions=False)
        answers = {p: client.get(f"/api/v1/panels/{p}?{VIEW}") for p in DATA}
    finally:
        con.close()
    assert {p: r.status_code for p, r in answers.items() if r.status_code not in (200, 503)} == {}
    busy = [r for r in answers.values() if r.status_code == 503]
    assert busy, "the limit was high enough for every query: lower LOW"
    for r in busy:
        assert r.headers["Retry-After"] == "1"
        assert "--memory-limit" in json.loads(r.text)["error"]["message"]
