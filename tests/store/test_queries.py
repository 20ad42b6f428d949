"""The store's shared SQL: the macros every query uses, defined once."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ccotel.otlp.decode import decode_request
from ccotel.query import Query
from ccotel.store import reader, schema
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
        w.con.close()
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
