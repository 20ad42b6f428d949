"""The store's shared SQL: the macros every query uses, defined once."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from ccotel.otlp.decode import decode_request
from ccotel.query import Query
from ccotel.store import queries, reader, schema
from ccotel.store.writer import Writer
from tests.conftest import SCENARIOS, capture_requests, claude_result

ALL_TIME = dict(start=datetime(2000, 1, 1), end=datetime(2100, 1, 1))


def _store(data_dir: Path) -> str:
    """A store holding a capture with requests; returns its session id."""
    name = next(n for n in SCENARIOS if not claude_result(n)["is_error"])
    w = Writer(schema.connect(data_dir))
    try:
        for req in capture_requests(name):
            w.write_now(decode_request(req["path"].split("/")[-1],
                                       json.dumps(req["body"]).encode(), "json"))
    finally:
        w.close()
    return str(claude_result(name)["session_id"])


def test_a_read_only_store_without_the_macros_gets_them(tmp_path: Path) -> None:
    session = _store(tmp_path)
    con = schema.connect(tmp_path)
    con.execute("DROP MACRO filters_match")  # as a store last opened by an older ccotel
    con.close()
    ro = schema.connect(tmp_path, read_only=True)
    try:
        s = reader.summary(ro, Query(**ALL_TIME, session=session))
        none = reader.summary(ro, Query(**ALL_TIME, session="no such session"))
    finally:
        ro.close()
    assert s["requests"] > 0
    assert none["requests"] == 0


def test_each_filter_selects_through_the_macro(tmp_path: Path) -> None:
    session = _store(tmp_path)
    con = schema.connect(tmp_path, read_only=True)
    try:
        everything = reader.summary(con, Query(**ALL_TIME))
        for field in ("user", "session", "terminal", "version"):
            nothing = reader.summary(con, Query(**ALL_TIME, **{field: "no such value"}))
            assert nothing["requests"] == 0, field
        one = reader.summary(con, Query(**ALL_TIME, session=session))
    finally:
        con.close()
    assert everything["requests"] == one["requests"] > 0


# -- the registry of named queries ----------------------------------------------------------

SQL_DIR = Path(queries.__file__).parent / "sql"


def test_every_file_has_a_name_and_every_name_a_file() -> None:
    files = {p.stem for p in SQL_DIR.glob("*.sql")}
    assert sorted(files - set(queries.QUERIES)) == [], "files no query names"
    assert sorted(set(queries.QUERIES) - files) == [], "names without a file"


@pytest.mark.parametrize("name", sorted(queries.QUERIES))
def test_a_name_declares_exactly_its_files_parameters(name: str) -> None:
    spec = queries.QUERIES[name]
    text = queries.text(name, **{k: "events" for k in spec.template})
    statements = duckdb.extract_statements(text)
    used = set().union(*(set(s.named_parameters) for s in statements))
    assert used == set(spec.params)
    assert spec.script == (len(statements) > 1)


def test_a_call_with_a_missing_or_unexpected_parameter_fails(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    try:
        q = Query(**ALL_TIME)
        params = queries.ranged(con, q)
        assert queries.rows(con, "summary", **params)[0]["requests"] == 0
        with pytest.raises(queries.QueryError, match=r"missing parameters \['rollup_to'\]"):
            queries.run(con, "summary", **{k: v for k, v in params.items() if k != "rollup_to"})
        with pytest.raises(queries.QueryError, match=r"unexpected \['limit'\]"):
            queries.run(con, "summary", **params, limit=3)
        with pytest.raises(queries.QueryError, match="no named query 'summaries'"):
            queries.run(con, "summaries", **params)
        with pytest.raises(queries.QueryError, match="not an identifier"):
            queries.text("append_batch", table="events; DROP TABLE events")
        with pytest.raises(queries.QueryError, match="placeholders"):
            queries.text("append_batch")
    finally:
        con.close()


def test_a_script_binds_each_statement_its_own_parameters(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    try:
        # rollup_retention: six statements, some use $cutoff, some $since, some neither.
        queries.run(con, "rollup_retention", cutoff=datetime(2026, 1, 1),
                    since=datetime(2025, 1, 1))
    finally:
        con.close()
