"""Where the Money Went and the repo and branch panels read whole hours from rollups
(attrib_hourly, session_git) and the rest raw: the same numbers as from raw rows alone, for
ranges that cut sessions in two, under filters, with partial and compacted rollup rows; and
session_git says what every stored row says, through late and out-of-order git records,
retention and the migration from schema 6."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ccotel.otlp.decode import decode_request
from ccotel.query import Query
from ccotel.store import attribution, rollups, schema
from ccotel.store.writer import Writer
from tests.attribution.helpers import T0, Req, body
from tests.store.rollup_checks import assert_rollups_match_raw

A, B = "github.com/acme/a", "github.com/acme/b"
WEB = {"team": "web"}


def _req(session: str, cost: str, seq: int, cache: int = 0, event: str = "api_request",
         resource: dict[str, str] | None = None, **attrs: Any) -> Req:
    return Req(session, Decimal(cost), cache_creation=cache, event=event,
               resource=resource or {}, attrs={"event.sequence": seq, **attrs})


# Three hours of requests (9:10, 10:10, 11:10), one second apart within each.
HOURS = [
    [_req("s1", "0.5", 1, 1000, query_source="main"),
     _req("s1", "0.25", 2, 300, query_source="main"),
     _req("s2", "0.125", 1, 70, resource=WEB, query_source="main"),
     _req("s1", "0.0625", 3, query_source="compact"),
     _req("s1", "0", 4, event="api_error")],
    [_req("s1", "0.03125", 5, 200, query_source="main"),
     _req("s1", "0.015625", 6, 10, query_source="subagent", **{"agent.name": "explore"}),
     _req("s2", "0.5", 2, 40, resource=WEB, query_source="main"),
     _req("s3", "0.75", 1, 500, query_source="main"),
     _req("s3", "0", 2, event="api_refusal"),
     _req("s2", "0.001", 3, event="api_retries_exhausted", resource=WEB)],
    [_req("s3", "0.375", 3, 60, query_source="main"),
     _req("s4", "0.0078125", 1, 5, query_source="main"),
     _req("s1", "0.2", 7, 7, query_source="main")],
]
# (session, repo, branch, minutes after T0), in the order they arrive: the last s1 record
# is the oldest and must not win.
GIT = [("s1", A, "main", 5), ("s1", A, "feature", 100), ("s2", B, "dev", 200),
       ("s1", A, "old", 1)]


def _git(con: duckdb.DuckDBPyConnection, session: str, repo: str, branch: str,
         minutes: int) -> None:
    rec = attribution.git_record(session, {"repo": repo, "branch": branch},
                                 now_ns=int((T0 + timedelta(minutes=minutes)).timestamp() * 1e9))
    Writer(con).write_now(decode_request("logs", rec, "json"))


@pytest.fixture()
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    c = schema.connect(tmp_path)
    w = Writer(c)
    for i, reqs in enumerate(HOURS):
        w.write_now(decode_request("logs", body(reqs, T0 + timedelta(minutes=10 + 60 * i)),
                                   "json"))
    for g in GIT:
        _git(c, *g)
    yield c
    c.close()


def _q(start_min: int, end_min: int, **filters: str) -> Query:
    return Query.parse({"from": (T0 + timedelta(minutes=start_min)).isoformat(),
                        "to": (T0 + timedelta(minutes=end_min)).isoformat(), **filters})


def _read(con: duckdb.DuckDBPyConnection, q: Query) -> dict[str, Any]:
    return {"waste": attribution.waste_panel(con, q),
            "repo": attribution.breakdown_panel(con, q, "repo"),
            "branch": attribution.breakdown_panel(con, q, "branch"),
            "repo_page": attribution.repo_page(con, q, A)}


def _report_total(con: duckdb.DuckDBPyConnection, q: Query) -> dict[str, Any]:
    """`ccotel report waste`'s grand total for q: raw rows only, every attribute kept."""
    found = attribution.rows(con, "report_waste", {
        "from": q.start, "to": q.end, "tz": "UTC", "source": "all",
        **attribution.panel_filters(q), "rollup_from": None, "rollup_to": None})
    return next(r for r in found if r["is_grand"])


RANGES = [(0, 240), (30, 210), (60, 180), (70, 130)]
FILTERS = [{}, {"var-repo": A}, {"var-team": "web"}, {"var-query_source": "main"},
           {"var-branch": "feature"}]


@pytest.mark.parametrize("compacted", [False, True], ids=["partial", "compacted"])
def test_rollups_and_raw_rows_give_the_same_waste_and_repos(
        con: duckdb.DuckDBPyConnection, compacted: bool) -> None:
    if compacted:
        rollups.compact(con, limit=None)
    assert con.execute("SELECT count(DISTINCT event_name) FROM attrib_hourly").fetchone() == (4,)
    for start, end in RANGES:
        for filters in FILTERS:
            q = _q(start, end, **filters)
            with rollups.raw_only():
                raw = _read(con, q)
            assert _read(con, q) == raw, (start, end, filters)
            report = _report_total(con, q)
            total = raw["waste"]["total"]
            assert (total["requests"], total["cache_rewrite_tokens"], total["api_errors"],
                    total["refusals"], total["retries_exhausted"]) == (
                report["requests"], report["cache_rewrite_tokens"], report["api_errors"],
                report["refusals"], report["retries_exhausted"]), (start, end, filters)
            assert Decimal(str(total["cost_usd"])) == report["cost_usd"]


def test_cache_repaid_counts_from_each_sessions_first_request_in_the_range(
        con: duckdb.DuckDBPyConnection) -> None:
    # All three hours: s1 pays 300 + 200 + 10 + 7 again, s2 40, s3 60, s4 nothing.
    whole = attribution.waste_panel(con, _q(0, 240))["total"]
    assert whole["cache_rewrite_tokens"] == 617
    # From 9:30: s1's first request in the range is at 10:10 (200), s2's too (40).
    assert attribution.waste_panel(con, _q(30, 210))["total"]["cache_rewrite_tokens"] == 77
    repos = attribution.breakdown_panel(con, _q(0, 240), "branch")["items"]
    assert {i["name"] for i in repos} == {"feature", "dev", "(unknown)"}


@pytest.mark.parametrize("more", [False, True], ids=["few", "more_than_shown"])
def test_the_repo_page_is_its_breakdowns(con: duckdb.DuckDBPyConnection, more: bool) -> None:
    """The page's one query gives each part as the breakdown panel gives it, filtered to the
    repo: without other filters (panel_attrib_repo.sql: the first values and the rest as
    the total less those) as with them (panel_attrib_page.sql), from rollups or raw."""
    if more:  # 14 sessions without a repo, people and models beyond the 10 shown
        extra = [_req(f"x{i:02}", f"0.0{i + 1}", 1, i, query_source="main") for i in range(12)]
        for i, r in enumerate(extra):
            r.model = f"model-{i % 11}"
        Writer(con).write_now(decode_request("logs", body(extra, T0 + timedelta(minutes=70)),
                                             "json"))
        # and a request that names no model
        raw = json.loads(body([_req("x99", "0.5", 1)], T0 + timedelta(minutes=75)))
        for resource in raw["resourceLogs"]:
            for record in resource["scopeLogs"][0]["logRecords"]:
                record["attributes"] = [a for a in record["attributes"] if a["key"] != "model"]
        Writer(con).write_now(decode_request("logs", json.dumps(raw).encode(), "json"))
        # and a session whose second request names no user: that request is its user's
        # (the session's user from its telemetry), not "(unknown)"'s
        raw = json.loads(body([_req("x98", "0.25", 1, **{"user.id": "u7"}),
                               _req("x98", "0.125", 2)], T0 + timedelta(minutes=80)))
        record = raw["resourceLogs"][0]["scopeLogs"][0]["logRecords"][1]
        record["attributes"] = [a for a in record["attributes"] if a["key"] != "user.id"]
        Writer(con).write_now(decode_request("logs", json.dumps(raw).encode(), "json"))
    for start, end in RANGES:
        for repo in (A, B, attribution.UNKNOWN, "no/such/repo"):
            for raw in (False, True):
                with rollups.raw_only() if raw else _nothing():
                    page = attribution.repo_page(con, _q(start, end), repo)
                    main = {"var-query_source": "main"}
                    filtered = attribution.repo_page(con, _q(start, end, **main), repo)
                    filtered_total = attribution.breakdown_panel(
                        con, _q(start, end, **main, **{"var-repo": repo}), "user")["total"]
                    only = _q(start, end, **{"var-repo": repo})
                    parts = {name: attribution.breakdown_panel(con, only, dim)
                             for name, dim in attribution.REPO_PARTS}
                    step = page["over_time"]["step"]
                    over_time = attribution.breakdown_panel(con, only, step, top=None)
                for name, part in parts.items():
                    assert page[name] == part["items"], (name, repo, start, end, raw)
                    assert page["total"] == part["total"], (repo, start, end, raw)
                assert page["over_time"]["items"] == over_time["items"]
                assert filtered["total"] == filtered_total
    page = attribution.repo_page(con, _q(0, 240), attribution.UNKNOWN)
    assert page["total"]["requests"] > 0
    if more:
        assert [i["name"] for i in page["sessions"]][-1] == attribution.OTHER
        assert len(page["sessions"]) == attribution.TOP_ITEMS + 1
        assert attribution.UNKNOWN in {i["name"] for i in page["models"]}
        people = {i["name"]: i["requests"] for i in page["people"]}
        assert people["u7"] == 2 and attribution.UNKNOWN not in people


def _facts(con: duckdb.DuckDBPyConnection) -> tuple[list[Any], list[Any]]:
    stored = con.execute("SELECT * FROM session_git ORDER BY session_id").fetchall()
    fresh = con.execute("SELECT * FROM session_git_of('events') ORDER BY session_id").fetchall()
    return stored, fresh


def test_session_git_says_what_every_row_says(con: duckdb.DuckDBPyConnection) -> None:
    stored, fresh = _facts(con)
    assert stored == fresh
    assert [(s, repo, branch) for s, repo, _, branch, *_ in stored] == [
        ("s1", A, "feature"), ("s2", B, "dev")]
    # Retention takes s1's git records (and its requests): it falls back to none.
    w = Writer(con, retention=timedelta(minutes=1))
    w.apply_retention(now=T0 + timedelta(minutes=151))
    stored, fresh = _facts(con)
    assert stored == fresh
    assert [s for s, *_ in stored] == ["s2"]


def test_a_version_6_store_gets_session_git_and_the_new_rollup(
        con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with rollups.raw_only():
        raw = _read(con, _q(30, 210))
    con.execute("DROP TABLE session_git")
    con.execute("ALTER TABLE attrib_hourly DROP COLUMN first_cache_creation_tokens")
    con.execute("ALTER TABLE attrib_hourly DROP COLUMN event_name")
    con.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    # Version 6 counted a session's git record as an event in the other rollups.
    assert con.execute("UPDATE events_hourly SET events = events + 1").fetchone()[0] > 0
    con.close()
    migrated = schema.connect(tmp_path)
    try:
        assert schema.stored_version(migrated) == schema.SCHEMA_VERSION == 9
        stored, fresh = _facts(migrated)
        assert stored == fresh and len(stored) == 2
        assert_rollups_match_raw(migrated)
        assert _read(migrated, _q(30, 210)) == raw
    finally:
        migrated.close()
        # the fixture closes its connection again: harmless


def test_a_version_8_store_gets_the_requests_by_day(con: duckdb.DuckDBPyConnection,
                                                    tmp_path: Path) -> None:
    q = _q(0, 240)
    q = Query(start=q.start - timedelta(days=3), end=q.end + timedelta(days=1))
    assert attribution.time_dimension(q) == "day"  # the page reads requests_daily
    pages = {repo: attribution.repo_page(con, q, repo) for repo in (A, B)}
    assert con.execute("SELECT count(*) FROM requests_daily").fetchone() == (4,)
    con.execute("DROP TABLE requests_daily")
    con.execute("UPDATE meta SET value = '8' WHERE key = 'schema_version'")
    con.close()
    migrated = schema.connect(tmp_path)
    try:
        assert schema.stored_version(migrated) == 9
        assert migrated.execute("SELECT count(*) FROM requests_daily").fetchone() == (4,)
        assert_rollups_match_raw(migrated)
        assert {repo: attribution.repo_page(migrated, q, repo) for repo in (A, B)} == pages
        assert pages[A]["total"]["requests"] == 6  # s1's
    finally:
        migrated.close()


def _breakdown_rows(con: duckdb.DuckDBPyConnection, name: str, q: Query, dim: str,
                    **extra: Any) -> list[dict[str, Any]]:
    days = name != "panel_attrib_breakdown"  # those that read attrib_daily
    return attribution.rows(con, name, {"from": q.start, "to": q.end, "dim": dim,
                                        **attribution._window(con, q, days=days), **extra})


@pytest.mark.parametrize("compacted", [False, True], ids=["partial", "compacted"])
def test_unfiltered_panels_read_the_same_rows_as_the_general_path(
        con: duckdb.DuckDBPyConnection, compacted: bool) -> None:
    """panel_attrib_fast.sql (a panel without filters) gives, row for row, what
    panel_attrib_breakdown.sql gives for every dimension it takes, resource keys too, and
    panel_attrib_named.sql for the named ones."""
    late = [_req("s5", "0.3", 1, 9, query_source="main", effort="high", speed="fast",
                 **{"skill.name": "pdf", "mcp_server.name": "github", "plugin.name": "p",
                    "mcp_tool.name": "search"}),
            _req("s1", "0.7", 8, 3, resource={"team": "ops", "cost_center": "42"},
                 **{"skill.name": "pdf"}),
            _req("s6", "0", 1, effort="low", cost_usd="")]  # a request without a cost
    Writer(con).write_now(decode_request("logs", body(late, T0 + timedelta(minutes=190)),
                                         "json"))
    if compacted:
        rollups.compact(con, limit=None)
    dims = [*attribution.FAST_DIMENSIONS, "team", "cost_center", "nothing.here"]
    assert all(attribution.fast(d) for d in dims)
    assert not any(attribution.fast(d) for d in ("user", "model", "model.id", "session", "day"))
    for start, end in RANGES:
        q = _q(start, end)
        for dim in dims:
            for raw in (False, True):
                with rollups.raw_only() if raw else _nothing():
                    fast = _breakdown_rows(con, "panel_attrib_fast", q, dim)
                    general = _breakdown_rows(con, "panel_attrib_breakdown", q, dim,
                                              fdims=[], fvals=[])
                    named = (attribution.named_breakdowns(con, q, (dim,))[dim]
                             if dim in attribution.NAMED_DIMENSIONS else general)
                assert fast == general == named, (start, end, dim, raw)
            assert len(fast) > 1
        # the named dimensions read by one statement: each as read alone
        named_dims = tuple(attribution.NAMED_DIMENSIONS)
        for raw in (False, True):
            with rollups.raw_only() if raw else _nothing():
                assert attribution.named_breakdowns(con, q, named_dims) == {
                    d: attribution.named_breakdowns(con, q, (d,))[d] for d in named_dims}
    skills = attribution.breakdown_panel(con, _q(0, 240), "skill")["items"]
    assert {i["name"]: i["requests"] for i in skills} == {"pdf": 2, "(unknown)": 12}
    efforts = attribution.breakdown_panel(con, _q(0, 240), "effort")["items"]
    assert {i["name"]: i["value"] for i in efforts}["low"] == 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def _waste_groups(found: list[dict[str, Any]]) -> dict[Any, dict[str, Any]]:
    """Where the Money Went's sums per (user, repo), and the grand total, from query rows."""
    out: dict[Any, dict[str, Any]] = {}
    for r in found:
        g = out.setdefault("total" if r["is_grand"] else (r["user"], r["repo"]),
                           {k: 0 for k in attribution._WASTE_SUMS})
        for k in attribution._WASTE_SUMS:
            g[k] += r[k]
    return out


@pytest.mark.parametrize("compacted", [False, True], ids=["partial", "compacted"])
def test_the_unfiltered_waste_panel_sums_what_the_report_sums(
        con: duckdb.DuckDBPyConnection, compacted: bool) -> None:
    """panel_attrib_waste.sql (the panel without filters) gives per user and repo the sums
    of report_waste.sql's days."""
    if compacted:
        rollups.compact(con, limit=None)
    for start, end in RANGES:
        q = _q(start, end)
        for raw in (False, True):
            with rollups.raw_only() if raw else _nothing():
                window = attribution._window(con, q)
                fast = attribution.rows(con, "panel_attrib_waste",
                                        {"from": q.start, "to": q.end,
                                         **attribution._window(con, q, days=True)})
                general = attribution.rows(con, "report_waste", {
                    "from": q.start, "to": q.end, "tz": "UTC", "source": "all", "fdims": [],
                    "fvals": [], **window})
            assert _waste_groups(fast) == _waste_groups(general), (start, end, raw)
            assert len(_waste_groups(fast)) > 2


def test_filter_values_are_the_breakdowns_values(con: duckdb.DuckDBPyConnection) -> None:
    """Each filter offers the values its breakdown shows, with their requests: resource keys
    (team) found in the data, from rollups or raw."""
    for start, end in RANGES:
        q = _q(start, end)
        for raw in (False, True):
            with rollups.raw_only() if raw else _nothing():
                offered = attribution.filter_values(con, q)
                breakdowns = {dim: attribution.breakdown_panel(con, q, dim, top=None)
                              for dim in offered}
            assert {"repo", "branch", "query_source", "team"} <= set(offered), (start, end)
            for dim, values in offered.items():
                assert {v["value"]: v["count"] for v in values} == {
                    i["name"]: i["requests"] for i in breakdowns[dim]["items"]}, (dim, raw)


def test_a_late_request_on_an_earlier_day_is_its_sessions_previous_day_after(
        con: duckdb.DuckDBPyConnection) -> None:
    """A session's value on a day already summed (attrib_daily) arrives late: the later
    days' rows of the session learn that their previous day with the value moved, so a
    range over both days counts the session once, and every rollup stays in step."""
    day0 = rollups.day_of(T0.replace(tzinfo=None))  # the store's time: naive UTC
    w = Writer(con)

    def skill(days: int, seq: int) -> None:
        at = (day0 + timedelta(days=days, hours=12)).replace(tzinfo=UTC)
        w.write_now(decode_request("logs", body([_req("s1", "0.1", seq, **{"skill.name": "pdf"})],
                                                at), "json"))

    def pdf(first: int, last: int) -> dict[str, Any]:
        q = Query(start=day0 + timedelta(days=first), end=day0 + timedelta(days=last))
        assert rollups.days(*attribution._window(con, q).values())[0] < q.end
        items = attribution.breakdown_panel(con, q, "skill", top=None)["items"]
        with rollups.raw_only():
            assert attribution.breakdown_panel(con, q, "skill", top=None)["items"] == items
        return next(i for i in items if i["name"] == "pdf")

    skill(0, 20)
    skill(3, 21)
    assert pdf(1, 4)["sessions"] == 1 and pdf(0, 4)["sessions"] == 1
    skill(2, 22)  # late: day 3's row now follows day 2's
    assert pdf(1, 4)["sessions"] == 1 and pdf(1, 4)["requests"] == 2
    assert pdf(3, 4)["sessions"] == 1 and pdf(0, 4)["requests"] == 3
    assert_rollups_match_raw(con)
