"""A session's `ccotel.git` record (from the hook, the statusline or an import) names its
repo and branch, and is nothing else: it is not an event of Claude Code's, so no count,
session list, timeline or the logs panel shows it, in rolled-up hours or raw ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from ccotel.importer.gitrecord import git_batch
from ccotel.otlp.decode import decode_request
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.attribution.helpers import Req, body
from tests.conftest import start_server

REPO = {"repo": "github.com/acme/app", "branch": "topic"}


def _store(data: Path, start: datetime) -> None:
    """Session s1: two requests; a git record for it a minute before them (the hook runs
    at session start) and for s-none, a session of which nothing else is known."""
    con = schema.connect(data)
    try:
        w = Writer(con)
        w.write_now(decode_request("logs", body([Req("s1", Decimal("0.5")),
                                                 Req("s1", Decimal("0.25"))], start), "json"))
        for sid in ("s1", "s-none"):
            batch = git_batch(sid, REPO)
            for e in batch.events:  # as recorded at the session's start
                e["time_unix_nano"] = int((start - timedelta(minutes=1)).timestamp() * 1e9)
            w.write_now(batch)
        w.roll_up()
    finally:
        con.close()


@pytest.mark.parametrize("hours_ago", [0, 5], ids=["raw", "rolled-up"])
def test_git_records_are_not_counted_or_listed(tmp_path: Path, hours_ago: int) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    start = (now - timedelta(hours=hours_ago, minutes=-2) if hours_ago
             else now - timedelta(minutes=2))
    data = tmp_path / "data"
    _store(data, start)
    server = start_server(data)
    try:
        def get(path: str, **params: Any) -> Any:
            resp = httpx.get(f"{server.ui}{path}", params={"from": "now-24h", **params},
                             timeout=30)
            assert resp.status_code == 200, resp.text
            return resp.json()

        summary = get("/api/v1/summary")
        assert summary["sessions"] == 1 and summary["requests"] == 2
        logs = get("/api/v1/logs")["events"]
        assert len(logs) == 2 and {e["event"] for e in logs} == {"api_request"}
        page = get("/api/v1/sessions/s1")
        assert [e["event"] for e in page["timeline"]] == ["api_request", "api_request"]
        assert page["start"].startswith(start.strftime("%Y-%m-%dT%H:%M"))
        filters = get("/api/v1/filters")
        assert [s["value"] for s in filters["sessions"]] == ["s1"]
        assert filters["sessions"][0]["count"] == 2
        durations = get("/api/v1/panels/session_duration")["data"]["items"]
        assert [d["session_id"] for d in durations] == ["s1"]
        assert durations[0]["value"] == pytest.approx(1.0)
        # The record still does its one job: it names the session's repo and branch.
        repos = get("/api/v1/report/repos",
                    since=(now - timedelta(days=2)).strftime("%Y-%m-%d"))["repos"]
        assert [(r["repo"], r["requests"]) for r in repos] == [("github.com/acme/app", 2)]
        for what in ("events", "sessions"):
            resp = httpx.get(f"{server.ui}/api/v1/export/{what}",
                             params={"format": "jsonl"}, timeout=30)
            assert resp.status_code == 200
            assert "ccotel.git" not in resp.text and "s-none" not in resp.text, what
    finally:
        server.stop()

