"""Hourly rollups: every dashboard number and the summary read through them equal the same
read from raw rows only, for any range and filters; retried exports, retention, the
migration from schema 1, the importer and compaction keep them in step with the raw rows."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccotel import panel_data
from ccotel.demo.generate import Spec, chunks
from ccotel.importer.store import delete_replaced
from ccotel.otlp.decode import decode_request
from ccotel.query import Query
from ccotel.store import attribution, batch, bulk, queries, reader, rollups, schema
from ccotel.store import panels as store
from ccotel.store.writer import Writer
from ccotel.store.writing import NotOnWriter
from tests.conftest import SCENARIOS, capture_requests
from tests.store.rollup_checks import (
    assert_close,
    assert_dashboard_matches_raw,
    assert_rollups_match_raw,
    assert_together_is_alone,
    dashboard,
    edge_cases,
)
from tests.web import known

END = datetime(2026, 3, 12, 15, 41, 27, 345000)  # not on an hour: nor are the day chunks'
DAYS = 3
BEGIN = END - timedelta(days=DAYS)
V1_SCHEMA = Path(__file__).with_name("schema_v1.sql")


def _pieces(table: pa.Table, n: int, seed: int) -> list[pa.Table]:
    """The rows shuffled into `n` commits, so most groups get several partial rows."""
    import random

    order = list(range(len(table)))
    random.Random(seed).shuffle(order)
    shuffled = table.take(pa.array(order))
    size = -(-len(shuffled) // n)
    return [shuffled.slice(i, size) for i in range(0, len(shuffled), size)]


def _fill(con: duckdb.DuckDBPyConnection, spec: Spec) -> None:
    w = Writer(con)
    for i, chunk in enumerate(chunks(spec)):
        for table, rows in (("events", chunk.events), ("points", chunk.points)):
            for piece in _pieces(rows, 5, i):
                w.write_sync(lambda c, t=table, p=piece: bulk.append(c, t, p))  # type: ignore[misc]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """Three days of a small team from the demo generator, plus the edge cases, with the
    rollups in every state: partial rows from many commits, and some hours compacted."""
    con = schema.connect(tmp_path_factory.mktemp("demo"))
    _fill(con, Spec(users=5, days=DAYS, seed=11, end=END, intensity=0.6))
    edge_cases(Writer(con), END - timedelta(hours=9, minutes=21, seconds=3))
    # Two hours in three compacted (one row per group, with_requests set)...
    dirty = [r[0] for r in con.execute("SELECT hour FROM rollup_dirty_hours").fetchall()]
    con.execute("BEGIN TRANSACTION")
    rollups.rebuild(con, [h for h in dirty if h.hour % 3])
    con.execute("COMMIT")
    # ... then partial rows on top of compacted ones.
    edge_cases(Writer(con), END - timedelta(hours=31, minutes=2, seconds=55))
    assert con.execute("SELECT count(*) FROM rollup_dirty_hours").fetchone()[0] > 0
    assert con.execute("SELECT count(*) FROM points_hourly WHERE with_requests"
                       ).fetchone()[0] > 0
    yield con
    con.close()


def _values(con: duckdb.DuckDBPyConnection, sql: str, params: Any = None) -> list[Any]:
    return [r[0] for r in con.execute(sql, params).fetchall()]


@pytest.fixture(scope="module")
def choices(demo: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """Filter values that are in the data (and one that is not)."""
    return {
        "user": _values(demo, "SELECT DISTINCT user_email FROM events WHERE user_email "
                              "IS NOT NULL ORDER BY 1 LIMIT 3")
        + _values(demo, "SELECT DISTINCT user_id FROM events WHERE user_id IS NOT NULL "
                        "ORDER BY 1 LIMIT 2") + ["nobody@example.com"],
        "session": [*_values(demo, "SELECT session_id FROM events WHERE session_id IS NOT NULL "
                                   "GROUP BY 1 ORDER BY count(*) DESC LIMIT 3"),
                    known.S4, "late-metrics"],
        "model": _values(demo, "SELECT DISTINCT model FROM events WHERE model IS NOT NULL "
                               "ORDER BY 1"),
        "terminal": _values(demo, "SELECT DISTINCT terminal_type FROM events "
                                  "WHERE terminal_type IS NOT NULL ORDER BY 1 LIMIT 3"),
        "version": _values(demo, "SELECT DISTINCT service_version FROM events "
                                 "WHERE service_version IS NOT NULL ORDER BY 1 LIMIT 2"),
    }


def test_the_demo_store_holds_rollups_as_the_raw_rows_give_them(
        demo: duckdb.DuckDBPyConnection) -> None:
    assert_rollups_match_raw(demo)


# Ranges from minutes to the whole span (hour buckets start at about 5 days), never on an
# hour unless drawn so, starting anywhere from before the data to after it.
_START = st.datetimes(min_value=BEGIN - timedelta(hours=3), max_value=END)
_LENGTH = st.one_of(
    st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(hours=3)),
    st.timedeltas(min_value=timedelta(hours=3), max_value=timedelta(days=DAYS + 1)),
    st.sampled_from([timedelta(hours=1), timedelta(hours=6), timedelta(days=1),
                     timedelta(days=2, hours=5)]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_range_and_filter_gives_the_raw_numbers(demo: duckdb.DuckDBPyConnection,
                                                    choices: dict[str, list[str]],
                                                    data: st.DataObject) -> None:
    start = data.draw(_START, "start")
    if data.draw(st.booleans(), "on an hour"):
        start = start.replace(minute=0, second=0, microsecond=0)
    end = start + data.draw(_LENGTH, "length")
    filters = data.draw(st.fixed_dictionaries({}, optional={
        k: st.sampled_from(v) for k, v in choices.items() if v}), "filters")
    q = Query(start=start, end=end, **filters)
    assert_dashboard_matches_raw(demo.cursor(), q)


# Every dimension a panel without filters breaks down by from attrib_daily: the named ones
# (attrib_daily_values), the session's (repo, branch, project) and a resource key (team).
DAILY_DIMENSIONS = (*attribution.NAMED_DIMENSIONS, "repo", "branch", "project", "team")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# (starts a day or more before the data ends: a range of the last hours alone holds too few
# skills, subagents and teams to show that the days are read)
@given(start=st.datetimes(min_value=BEGIN - timedelta(hours=5), max_value=END - timedelta(days=1)),
       days=st.integers(min_value=1, max_value=DAYS + 1), on_hour=st.booleans())
def test_panels_read_from_whole_days_give_the_raw_numbers(
        demo: duckdb.DuckDBPyConnection, start: datetime, days: int, on_hour: bool) -> None:
    """Every breakdown (its values' requests, tokens, cost and sessions, and its total),
    Where the Money Went, the repo pages and the filter values over ranges of whole days
    and edges are
    what the hourly rollups alone give, and what the raw rows give."""
    if on_hour:
        start = start.replace(minute=0, second=0, microsecond=0)
    q = Query(start=start, end=start + timedelta(days=days, minutes=37))
    cur = demo.cursor()
    assert rollups.days(*queries.window(cur, q.start, q.end))[0] < q.end  # days are read
    several = 0
    for dim in DAILY_DIMENSIONS:
        daily = attribution.breakdown_panel(cur, q, dim, top=None)
        with rollups.hours_only():
            hourly = attribution.breakdown_panel(cur, q, dim, top=None)
        with rollups.raw_only():
            raw = attribution.breakdown_panel(cur, q, dim, top=None)
        assert daily == hourly == raw, dim
        several += len(daily["items"]) > 1
    assert several >= 3  # skills, subagents, teams, ...: not one "(unknown)" each
    waste = attribution.waste_panel(cur, q)  # Where the Money Went, from the days too
    with rollups.hours_only():
        assert attribution.waste_panel(cur, q) == waste
    with rollups.raw_only():
        assert attribution.waste_panel(cur, q) == waste
    assert waste["rows"] and waste["total"]["cache_rewrite_tokens"] > 0
    # the repo pages of the repos with the most cost (their requests from the days too,
    # when the page's buckets are days)
    for item in attribution.breakdown_panel(cur, q, "repo")["items"][:3]:
        page = attribution.repo_page(cur, q, item["name"])
        assert page["total"] == item | {"name": "Total"}
        with rollups.hours_only():
            assert attribution.repo_page(cur, q, item["name"]) == page
        with rollups.raw_only():
            assert attribution.repo_page(cur, q, item["name"]) == page
    # every panel read together (the reads they share once) as each read alone
    assert_together_is_alone(cur, q, dashboard(cur, q))
    offered = attribution.filter_values(cur, q)  # the dashboard's filters, from the days too
    with rollups.hours_only():
        assert attribution.filter_values(cur, q) == offered
    with rollups.raw_only():
        assert attribution.filter_values(cur, q) == offered
    assert {"skill", "agent", "team"} <= offered.keys()


def test_whole_days_and_edges_pick_rollups_and_raw_rows() -> None:
    start, end = datetime(2026, 3, 1, 10, 15), datetime(2026, 3, 3, 8, 0, 0, 1)
    rolled = datetime.max  # every hour rolled up
    assert rollups.window(start, end, rolled) == (datetime(2026, 3, 1, 11),
                                                  datetime(2026, 3, 3, 8))
    assert rollups.window(start, end, rolled, whole=False) == (end, end)
    assert rollups.window(start, start + timedelta(minutes=90), rolled) == (
        start + timedelta(minutes=90),) * 2
    # Hours not rolled up yet are read raw.
    assert rollups.window(start, end, datetime(2026, 3, 2, 4)) == (datetime(2026, 3, 1, 11),
                                                                   datetime(2026, 3, 2, 4))
    assert rollups.window(start, end, datetime(2026, 3, 1, 11)) == (end, end)
    with rollups.raw_only():
        assert rollups.window(start, end, rolled) == (end, end)


def _store(tmp_path: Path) -> Writer:
    return Writer(schema.connect(tmp_path))


def _load(w: Writer, name: str) -> None:
    for req in capture_requests(name):
        w.write_now(decode_request(req["path"].split("/")[-1],  # type: ignore[arg-type]
                                   json.dumps(req["body"]).encode(), "json"))


ALL_TIME = Query(start=datetime(2000, 1, 1), end=datetime(2100, 1, 1))


def test_a_retried_export_adds_nothing_to_the_rollups(tmp_path: Path) -> None:
    w = _store(tmp_path)
    for name in SCENARIOS:
        _load(w, name)
    edge_cases(w, datetime(2026, 3, 2, 10, 4, 5))
    once = {t: w.cursors().execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
            for t in ("events_hourly", "points_hourly", "tool_calls_hourly")}
    first = assert_dashboard_matches_raw(w.cursors(), ALL_TIME)
    for name in SCENARIOS:  # every export sent again (a retry after a lost response)
        _load(w, name)
    edge_cases(w, datetime(2026, 3, 2, 10, 4, 5))
    for table, rows in once.items():
        assert w.cursors().execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == rows
    assert_rollups_match_raw(w.cursors())
    assert_close(assert_dashboard_matches_raw(w.cursors(), ALL_TIME), first)


def test_rollups_hold_only_the_deltas_of_cumulative_sums(tmp_path: Path) -> None:
    from tests.store.test_store import _cumulative

    w = _store(tmp_path)
    for points in ([(100, 200, 1.0), (100, 300, 1.5)], [(100, 300, 1.5)],
                   [(400, 500, 0.25)], [(400, 600, 0.1)]):
        w.write_now(decode_request("metrics", _cumulative(points), "protobuf"))
    (cost,) = w.cursors().execute("SELECT sum(cost_usd) FROM points_hourly").fetchone()  # type: ignore[misc]
    assert float(cost) == pytest.approx(1.85)
    assert_rollups_match_raw(w.cursors())
    assert reader.summary(w.cursors(), Query(start=datetime(1970, 1, 1), end=datetime(1970, 1, 2)
                                            ))["cost_usd"] == pytest.approx(1.85)


def test_hours_not_rolled_up_yet_are_read_raw_until_advance_rolls_them_up(
        tmp_path: Path) -> None:
    """Rows of the hour being written (from rolled_until on) cost a commit no rollup work
    and are read raw; once the hour is over, `advance` rolls it up, and no number moves."""
    con = schema.connect(tmp_path)
    until = datetime(2026, 3, 2, 9)
    con.execute("UPDATE rollup_state SET rolled_until = $u", {"u": until})
    w = Writer(con)
    for path, body in known.requests(datetime(2026, 3, 2, 10, 4, 5)):
        w.write_now(decode_request(path.rsplit("/", 1)[-1],  # type: ignore[arg-type]
                                   json.dumps(body).encode(), "json"))
    late = con.execute("SELECT count(*) FROM events WHERE ts >= $u", {"u": until}).fetchall()
    assert late[0][0] > 0
    for table in ("events_hourly", "points_hourly", "tool_calls_hourly"):
        assert con.execute(f"SELECT count(*) FROM {table} WHERE hour >= $u",
                           {"u": until}).fetchall() == [(0,)], table
    assert con.execute("SELECT count(*) FROM events_hourly").fetchall()[0][0] > 0
    day = Query(start=datetime(2026, 2, 28), end=datetime(2026, 3, 2, 12))
    before = assert_dashboard_matches_raw(con.cursor(), day)

    assert rollups.advance(con, datetime(2026, 3, 2, 11)) == datetime(2026, 3, 2, 11)
    assert rollups.rolled_until(con) == datetime(2026, 3, 2, 11)
    assert con.execute("SELECT sum(events) FROM events_hourly WHERE hour >= $u",
                       {"u": until}).fetchall() == late
    assert_rollups_match_raw(con)
    assert_close(assert_dashboard_matches_raw(con.cursor(), day), before)
    # Never backwards.
    assert rollups.advance(con, until) == datetime(2026, 3, 2, 11)
    # A read that takes a mark behind the store's (the writer's, before it hears of the
    # advance: what the server's reads take) reads those hours raw: the same numbers.
    assert w.rolled_until == until
    with rollups.known_until(w.rolled_until):
        assert queries.window(con, day.start, day.end) == (day.start, until)
        assert_close(dashboard(con.cursor(), day), before)
    w.maintenance.roll_up()  # the writer's own advance moves its mark, once committed
    assert w.rolled_until == rollups.rolled_until(con) == schema.current_hour()


def test_a_rebuild_in_parts_gives_the_same_rollups(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Many hours are rebuilt in parts of about REBUILD_ROWS raw rows (memory), with the
    same result as all at once."""
    con = schema.connect(tmp_path)
    _fill(con, Spec(users=3, days=2, seed=4, end=END))
    hours = [h for (h,) in con.execute(
        "SELECT DISTINCT date_trunc('hour', ts) FROM events ORDER BY 1").fetchall()]
    assert len(hours) > rollups.COMPACT_HOURS
    scripts: list[str] = []
    real = rollups.run_script
    monkeypatch.setattr(rollups, "run_script",
                        lambda c, name, **p: (scripts.append(name), real(c, name, **p)))
    monkeypatch.setattr(rollups, "REBUILD_ROWS", 200)
    con.execute("DELETE FROM events_hourly")  # so that only the rebuild can restore them
    assert rollups.rebuild(con, hours) == len(hours)
    assert scripts.count("rollup_rebuild") > 3
    assert_rollups_match_raw(con)
    con.close()


def test_a_schema_2_store_is_rolled_up_to_the_current_hour(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    con.execute("DROP TABLE rollup_state")
    con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(schema.SchemaError, match="schema version 2"):
        schema.connect(tmp_path, read_only=True)
    hour = schema.current_hour()
    con = schema.connect(tmp_path)
    assert schema.stored_version(con) == schema.SCHEMA_VERSION
    assert rollups.rolled_until(con) in (hour, hour + timedelta(hours=1))
    con.close()


def test_retention_removes_rollups_with_their_rows(tmp_path: Path) -> None:
    now = datetime(2026, 6, 1, 12, 0)
    con = schema.connect(tmp_path)
    w = Writer(con, retention=timedelta(days=30))
    for age in (timedelta(days=45), timedelta(days=30, minutes=20), timedelta(days=29),
                timedelta(hours=2)):
        edge_cases(w, now - age)
    cutoff = now + timedelta(minutes=7, seconds=30) - timedelta(days=30)
    assert con.execute("SELECT count(*) FROM events_hourly WHERE hour < $c",
                       {"c": cutoff}).fetchone()[0] > 0
    w.apply_retention(now + timedelta(minutes=7, seconds=30))
    for table in ("events_hourly", "points_hourly", "tool_calls_hourly", "api_latency_hourly",
                  "edit_decisions_hourly", "rollup_dirty_hours"):
        (old,) = con.execute(f"SELECT count(*) FROM {table} WHERE hour < "
                             "date_trunc('hour', $c::TIMESTAMP)", {"c": cutoff}).fetchone()  # type: ignore[misc]
        assert old == 0, table
    assert con.execute("SELECT min(ts) FROM events").fetchone()[0] >= cutoff
    # The cutoff's own hour holds what is left of it.
    assert_rollups_match_raw(con)
    assert_dashboard_matches_raw(con.cursor(), ALL_TIME)
    con.close()


def _v1_store(data_dir: Path) -> None:
    """A store as schema 1 wrote it: the demo's rows and the edge cases, no rollups."""
    con = duckdb.connect(str(schema.db_path(data_dir)))
    con.execute(V1_SCHEMA.read_text())
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    for chunk in chunks(Spec(users=3, days=2, seed=5, end=END)):
        for table, rows in (("events", chunk.events), ("points", chunk.points)):
            con.register("v1_rows", rows)
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM v1_rows")
            con.unregister("v1_rows")
    con.close()


def test_a_schema_1_store_is_migrated_with_rollups_of_its_rows(tmp_path: Path) -> None:
    _v1_store(tmp_path)
    with pytest.raises(schema.SchemaError, match="schema version 1"):
        schema.connect(tmp_path, read_only=True)
    con = schema.connect(tmp_path)
    assert schema.stored_version(con) == schema.SCHEMA_VERSION
    (n,) = con.execute("SELECT sum(events) FROM events_hourly").fetchone()  # type: ignore[misc]
    assert n == con.execute("SELECT count(*) FROM events").fetchone()[0] > 0  # type: ignore[index]
    assert con.execute("SELECT count(*) FROM rollup_dirty_hours").fetchone()[0] == 0  # type: ignore[index]
    assert_rollups_match_raw(con)
    for q in (ALL_TIME, Query(start=END - timedelta(hours=30, minutes=13), end=END)):
        assert_dashboard_matches_raw(con.cursor(), q)
    # Writing on goes on from there, and a reopened store is not migrated again.
    edge_cases(Writer(con), END - timedelta(hours=3))
    con.close()
    con = schema.connect(tmp_path)
    assert_rollups_match_raw(con)
    con.close()


def test_the_writer_compacts_the_hours_it_wrote_to(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    w = Writer(con, compact_interval_s=0.05)
    w.start()
    try:
        t = datetime(2026, 3, 2, 10, 4, 5)
        for name in SCENARIOS:
            for req in capture_requests(name):
                w.submit(decode_request(req["path"].split("/")[-1],  # type: ignore[arg-type]
                                        json.dumps(req["body"]).encode(), "json")).result(30)
        for path, body in known.requests(t):
            w.submit(decode_request(path.rsplit("/", 1)[-1],  # type: ignore[arg-type]
                                    json.dumps(body).encode(), "json")).result(30)
        def dirty(c: duckdb.DuckDBPyConnection) -> int:
            return c.execute("SELECT count(*) FROM rollup_dirty_hours").fetchone()[0]  # type: ignore[index,no-any-return]

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and w.write_sync(dirty):
            time.sleep(0.05)

        def check(c: duckdb.DuckDBPyConnection) -> None:  # in a transaction of the writer
            assert dirty(c) == 0
            # One row per group now, as the raw rows give them.
            rows, groups = c.execute(
                "SELECT count(*), count(DISTINCT (hour, session_id, user_id, user_email, "
                "terminal_type, service_version, app_version, model)) "
                "FROM events_hourly").fetchone()  # type: ignore[misc]
            assert rows == groups
            assert_rollups_match_raw(c)
            assert_dashboard_matches_raw(c, ALL_TIME)

        w.write_sync(check)
    finally:
        w.close()


def test_the_importers_delete_keeps_the_rollups(tmp_path: Path) -> None:
    """The importer's delete, a write function the writer runs in its transaction,
    rebuilds the hours of the rows it deleted, which its statement returns itself."""
    con = schema.connect(tmp_path)
    _fill(con, Spec(users=3, days=2, seed=2, end=END))
    w = Writer(con)
    w.settle()  # every ended hour rolled up and compacted
    keys = _values(con, "SELECT event_key FROM events USING SAMPLE 3% (reservoir, 1) "
                        "ORDER BY 1")

    def imported(c: duckdb.DuckDBPyConnection) -> None:  # as if these came from transcripts
        c.execute("UPDATE events SET source = 'transcript' WHERE list_contains($k, event_key)",
                  {"k": keys})
        rollups.run_script(c, "rollup_rebuild_all")

    w.write_sync(imported)
    hours = _values(con, "SELECT DISTINCT date_trunc('hour', ts) FROM events "
                         "WHERE list_contains($k, event_key)", {"k": keys})
    assert len(hours) > 1 and max(hours) < rollups.rolled_until(con)
    assert w.write_sync(lambda c: delete_replaced(c, keys)) == len(keys)
    assert _values(con, "SELECT count(*) FROM events WHERE list_contains($k, event_key)",
                   {"k": keys}) == [0]
    assert_rollups_match_raw(con)
    assert_dashboard_matches_raw(con.cursor(), ALL_TIME)
    with pytest.raises(NotOnWriter):  # never beside the writer
        delete_replaced(con.cursor(), keys)
    w.close()


def _import(data: Path, root: Path, engine: str) -> dict[str, Any]:
    from tests.importer.helpers import cli_json

    return cli_json("import", str(root), "--data-dir", str(data),  # type: ignore[no-any-return]
                    "--engine", engine)


@pytest.mark.parametrize("engine", ["duckdb", "python"])
def test_imported_transcripts_are_in_the_rollups(tmp_path: Path, engine: str) -> None:
    from tests.importer.corpus import Corpus, build_test_corpus, dumps

    data = tmp_path / "data"
    # Telemetry first, so some imported requests are copies of known ones.
    w = _store(data)
    edge_cases(w, datetime(2026, 10, 2, 1, 10))
    w.close()
    corpus = build_test_corpus(tmp_path / "projects")
    _import(data, corpus.root, engine)
    # A later run finds a more complete copy of a stored request: it replaces it.
    c = Corpus(tmp_path / "more", seed=3)
    _, path, lines = c.session(datetime(2026, 10, 3, 9, 59, 58).astimezone(), turns=2,
                               partial_copy_rate=0)
    entries = [json.loads(x) for x in lines if '"usage"' in x]
    early = json.loads(json.dumps(entries[0]))
    early["message"]["usage"]["output_tokens"] = 1
    path.parent.mkdir(parents=True)
    path.write_text(dumps(early) + "\n")
    _import(data, c.root, engine)
    with path.open("a") as f:
        f.write("".join(x + "\n" for x in lines))
    assert _import(data, c.root, engine)["replaced"] == 1
    con = schema.connect(data)
    assert con.execute("SELECT count(*) FROM events WHERE source = 'transcript'"
                       ).fetchone()[0] > 0  # type: ignore[index]
    assert_rollups_match_raw(con)
    assert_dashboard_matches_raw(con.cursor(), ALL_TIME)
    assert_dashboard_matches_raw(con.cursor(), Query(start=datetime(2026, 10, 2, 3, 17),
                                                     end=datetime(2026, 10, 4, 22, 1)))
    con.close()


# filters.sql as schema 1 had it: raw rows only.
RAW_FILTERS = """
WITH rows AS (
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, ts FROM events WHERE ts >= $from AND ts < $to
    UNION ALL
    SELECT user_id, user_email, model, session_id, terminal_type, service_version,
           app_version, ts FROM points WHERE ts >= $from AND ts < $to
)
SELECT 'user', coalesce(user_email, user_id), count(*) FROM rows
WHERE user_id IS NOT NULL OR user_email IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'model', model, count(*) FROM rows WHERE model IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'terminal', terminal_type, count(*) FROM rows
WHERE terminal_type IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'version', coalesce(app_version, service_version), count(*) FROM rows
WHERE coalesce(app_version, service_version) IS NOT NULL GROUP BY ALL
UNION ALL SELECT 'session', session_id, count(*) FROM rows
WHERE session_id IS NOT NULL GROUP BY ALL
"""


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=_START, length=_LENGTH)
def test_the_filter_choices_count_what_the_raw_rows_hold(demo: duckdb.DuckDBPyConnection,
                                                         start: datetime,
                                                         length: timedelta) -> None:
    from ccotel.store import logs

    q = Query(start=start, end=start + length)
    got = logs.filters(demo.cursor(), q, sessions=1 << 30)
    want: dict[str, dict[str, int]] = {}
    for f, value, n in demo.execute(RAW_FILTERS, {"from": q.start, "to": q.end}).fetchall():
        want.setdefault(f, {})[value] = n
    for f, key in (("user", "users"), ("model", "models"), ("terminal", "terminals"),
                   ("version", "versions"), ("session", "sessions")):
        assert {v["value"]: v["count"] for v in got[key]} == want.get(f, {}), f


def test_a_late_export_older_than_the_last_retention_run_still_expires(tmp_path: Path) -> None:
    now = datetime(2026, 6, 1, 12, 0)
    con = schema.connect(tmp_path)
    w = Writer(con, retention=timedelta(days=30))
    edge_cases(w, now - timedelta(days=2))
    w.apply_retention(now)
    edge_cases(w, now - timedelta(days=40))  # a retry that took its time
    w.apply_retention(now + timedelta(hours=1))
    assert con.execute("SELECT count(*) FROM events_hourly WHERE hour < $c",
                       {"c": now - timedelta(days=30)}).fetchone()[0] == 0  # type: ignore[index]
    assert_rollups_match_raw(con)
    con.close()


# -- panels read together ------------------------------------------------------------------


class Counting:
    """A cursor that counts the statements run on it."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.cur, self.statements = cur, 0

    def execute(self, *args: Any) -> Any:
        self.statements += 1
        return self.cur.execute(*args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.cur, name)


def _batch_reads(cur: Any, q: Query) -> list[Any]:
    named = [d for d in attribution.PANEL_DIMENSIONS.values()
             if d in attribution.NAMED_DIMENSIONS]
    return [store.usage_total(cur, q), store.usage_cost(cur, q, by="model"),
            store.usage_cost(cur, q, by="user", limit=1), store.usage_total(cur, q),
            *(attribution.breakdown_panel(cur, q, d) for d in named)]


@pytest.mark.parametrize("hours", [6, 24 * DAYS + 3])
def test_shared_reads_run_once_in_a_batch(demo: duckdb.DuckDBPyConnection, hours: int) -> None:
    """Panels read together (store/batch.py, `/api/v1/dashboard`): the reads they share
    run once, and each gives what it gives read alone."""
    q = Query(start=END - timedelta(hours=hours, minutes=23), end=END)
    con = demo
    alone = Counting(con.cursor())
    want = _batch_reads(alone, q)
    assert want[2] and len(want[2]) == 1  # one user: the limit holds
    assert any(len(b["items"]) > 1 for b in want[4:])  # a breakdown with several values
    together = Counting(con.cursor())
    ids = [p for p, d in attribution.PANEL_DIMENSIONS.items()
           if d in attribution.NAMED_DIMENSIONS]
    with batch.together(ids):
        got = _batch_reads(together, q)
    assert got == want
    # the usage sums and totals by model and user in one statement, the five named
    # breakdowns in another (the attribution panels' window: one more each)
    assert alone.statements >= 4 + 2 * len(ids) - 1
    assert together.statements <= 2 + 2


def test_nothing_outlives_a_batch(demo: duckdb.DuckDBPyConnection) -> None:
    q = Query(start=END - timedelta(hours=6), end=END)
    cur = Counting(demo.cursor())
    ids = ["total_cost", "cache_hit_ratio"]
    with batch.together(ids) as b:
        together = [panel_data.panel_data(cur, i, q) for i in ids]
        assert b.results and batch.current() is b
    assert batch.current() is None
    alone, counts = [], []
    for i in ids:  # no memo outside a batch: each reads the store
        before = cur.statements
        alone.append(panel_data.panel_data(cur, i, q))
        counts.append(cur.statements - before)
    assert alone == together and all(counts)
    before = cur.statements
    with batch.together(["total_cost"]) as b:  # a batch of one reads as alone
        assert panel_data.panel_data(cur, "total_cost", q) == alone[0]
        assert not b.results and batch.shared() is None
    assert cur.statements - before == counts[0]
