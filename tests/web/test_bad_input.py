"""Hostile query strings and bodies get a 400 in the error envelope (or a sensible 200),
never a 500: unparsable times, whole numbers past what DuckDB holds, dates at the
calendar's ends, values the store cannot hold."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from ccotel.query import MAX_TIME, MIN_TIME, BadQuery, Query, parse_int, parse_time
from ccotel.report.query import ReportQuery
from ccotel.store import schema
from ccotel.web import reports as report_api
from ccotel.web.app import WebContext, build_app
from tests.conftest import Server
from tests.web import known

NOW = datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module", autouse=True)
def _now() -> None:
    """NOW is when this module's tests start, not when it was collected: in a full run the
    two are minutes apart, and the panels' "last hour" is read from the wall clock."""
    global NOW
    NOW = datetime.now(UTC).replace(tzinfo=None)
FORTY_DIGITS = "9" * 40


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("known")
    known.write(data, NOW)
    con = schema.connect(data)
    ctx = WebContext(con.cursor)
    yield TestClient(build_app(ctx, report_api.routes(ctx)), raise_server_exceptions=False)
    con.close()


def _error(resp: httpx.Response, status: int = 400) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    return str(body["error"]["message"])


@pytest.mark.parametrize("url,says", [
    ("/api/v1/report/daily?now=x", "is not a time"),
    ("/api/v1/report/blocks?now=x", "is not a time"),
    ("/api/v1/report/session?now=x", "is not a time"),
    ("/api/v1/report/blocks?now=" + FORTY_DIGITS, "out of range"),
    (f"/api/v1/logs?after={FORTY_DIGITS}", "after="),
    ("/api/v1/logs?after=-1", "out of range"),
    ("/api/v1/logs?after=1e3", "not a whole number"),
    (f"/api/v1/logs?limit={FORTY_DIGITS}", "limit="),
    ("/api/v1/logs?limit=0", "out of range"),
    ("/api/v1/logs?limit=" + "9" * 5000, "out of range"),
    ("/api/v1/summary?to=" + FORTY_DIGITS, "out of range"),
    ("/api/v1/report/daily?tz=" + "A" * 5000, "not a time zone"),
])
def test_unparsable_values_are_400(client: TestClient, url: str, says: str) -> None:
    message = _error(client.get(url))
    assert says in message
    assert len(message) < 300  # the input is not echoed whole


@pytest.mark.parametrize("name", ["daily", "weekly", "monthly", "session", "blocks"])
def test_dates_at_the_calendars_ends_leave_the_range_open(client: TestClient, name: str) -> None:
    for tz, bounds in (("UTC", {"until": "9999-12-31"}),
                       ("Asia/Tokyo", {"since": "0001-01-01"}),
                       ("America/New_York", {"since": "0001-01-01", "until": "9999-12-31"})):
        everything = client.get(f"/api/v1/report/{name}", params={"tz": tz})
        resp = client.get(f"/api/v1/report/{name}", params={"tz": tz, **bounds})
        assert resp.status_code == 200, (bounds, resp.text)
        assert resp.json() == everything.json() and resp.json()[name]


def test_the_range_reads_as_open_where_a_day_edge_does_not_exist() -> None:
    q = ReportQuery(since=date(1, 1, 1), until=date(9999, 12, 31), tz="Asia/Tokyo")
    assert q.utc_range() == (None, None)
    q = ReportQuery(since=date(2026, 1, 1), until=date(2026, 1, 1), tz="UTC")
    assert q.utc_range() == (datetime(2026, 1, 1), datetime(2026, 1, 2))


@pytest.mark.parametrize("text,expected", [
    ("0001-01-01T00:00:00Z", MIN_TIME),
    ("0001-01-01T00:00:00+05:00", MIN_TIME),  # before year 1 in UTC
    ("9999-12-31T23:59:59-05:00", MAX_TIME),  # after 9999 in UTC
    ("-5000", MIN_TIME),
    ("2026-01-31T12:00:00+01:00", datetime(2026, 1, 31, 11)),
])
def test_times_are_clamped_to_what_the_store_can_hold(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW, default=NOW) == expected


def test_a_range_at_the_edges_is_answered(client: TestClient) -> None:
    for url in ("/api/v1/summary", "/api/v1/logs", "/api/v1/filters",
                "/api/v1/panels/cost_by_model", "/api/v1/panels/token_usage_rate"):
        resp = client.get(url, params={"from": "0001-01-01T00:00:00+05:00",
                                       "to": "9999-12-31T23:59:59-05:00", "q": "x"})
        assert resp.status_code == 200, (url, resp.text)
        assert resp.json()["from"] == Query.iso(MIN_TIME)
        assert resp.json()["to"] == Query.iso(MAX_TIME)
    # The default range ends where 'to' says, and a day before 1970 is no range at all.
    assert "before" in _error(client.get("/api/v1/summary", params={"to": "0001-01-02"}))


def test_report_now_takes_the_query_grammar() -> None:
    assert ReportQuery.parse({"tz": "UTC", "now": "2026-01-31T12:00:00Z"}).now == \
        datetime(2026, 1, 31, 12)
    assert ReportQuery.parse({"tz": "UTC", "now": "0"}).now == MIN_TIME
    q = ReportQuery.parse({"tz": "UTC", "now": "2026-01-31T12:00:00"})
    assert ReportQuery.parse(q.as_params()) == q  # what the CLI sends, the server reads


@pytest.mark.parametrize("text,kwargs,expected", [
    ("7", {}, 7), ("+7", {}, 7), (None, {"default": 100}, 100), ("", {"default": 5}, 5),
    (str(2**63 - 1), {}, 2**63 - 1),
])
def test_whole_numbers(text: str | None, kwargs: dict[str, Any], expected: int) -> None:
    assert parse_int(text, "n", **kwargs) == expected


@pytest.mark.parametrize("text", [str(2**63), "-1", "1.0", "0x10", "٣", "9" * 100_000, " "])
def test_whole_numbers_outside_their_bounds_are_bad_queries(text: str) -> None:
    with pytest.raises(BadQuery):
        parse_int(text, "n")


def test_an_import_value_the_store_cannot_hold_is_400_and_nothing_is_kept(
        server: Server) -> None:
    url = f"{server.ui}/api/v1/import/chunk"

    def row(key: str, cost: Any) -> dict[str, Any]:
        return {"event_key": key, "event_name": "api_request", "source": "transcript",
                "time_unix_nano": time.time_ns(), "session_id": "s", "model": "m",
                "input_tokens": 1, "output_tokens": 1, "cost_usd": cost}

    for cost in (1e308, 1e20, "x"):
        resp = httpx.post(url, json={"rows": [row("tx-big", cost)], "files": []}, timeout=30)
        _error(resp)
    # The store took nothing from them and still takes good chunks.
    resp = httpx.post(url, json={"rows": [row("tx-ok", 0.5)], "files": []}, timeout=30)
    assert resp.status_code == 200, resp.text
    assert resp.json()["result"]["inserted"] == 1
    # A file offset with a modification time JSON cannot spell is read back as null.
    body = b'{"rows": [], "files": [{"path": "p", "size": 1, "mtime": 1e400, "offset_bytes": 1}]}'
    resp = httpx.post(url, content=body, headers={"content-type": "application/json"},
                      timeout=30)
    assert resp.status_code in (200, 400), resp.text
    files = httpx.get(f"{server.ui}/api/v1/import/files", timeout=30)
    assert files.status_code == 200, files.text
    assert "Traceback" not in server.output
