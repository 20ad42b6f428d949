"""The cost-only usage query (panel_usage_cost.sql, for Cost by Model and Cost by User)
gives exactly the cost column of the general one (panel_usage.sql) for every group, from
rollups and from raw rows alone, over ranges that cut hours and under filters; both group
through the one usage_key macro."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from datetime import datetime, timedelta

import duckdb
import pytest

from ccotel.demo.generate import Spec, chunks
from ccotel.query import Query
from ccotel.store import bulk, panels, rollups, schema
from ccotel.store.writer import Writer
from tests.store.rollup_checks import edge_cases

END = datetime(2026, 3, 12, 15, 41, 27, 345000)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """Two days of a small team, plus metrics-only sessions and rows without a session."""
    con = schema.connect(tmp_path_factory.mktemp("usage-cost"))
    w = Writer(con)
    for chunk in chunks(Spec(users=3, days=2, seed=5, end=END, intensity=0.5)):
        for table, rows in (("events", chunk.events), ("points", chunk.points)):
            w.write_sync(lambda c, t=table, r=rows: bulk.append(c, t, r))  # type: ignore[misc]
    edge_cases(w, END - timedelta(hours=7, minutes=13))
    yield con
    con.close()


def _queries(con: duckdb.DuckDBPyConnection) -> list[Query]:
    user, model = con.execute("SELECT user_email, model FROM events WHERE event_name = "
                              "'api_request' AND user_email IS NOT NULL LIMIT 1").fetchone()  # type: ignore[misc]
    whole = Query(start=END - timedelta(days=3), end=END)
    cut = Query(start=END - timedelta(hours=29, minutes=7), end=END - timedelta(hours=3))
    return [whole, cut, Query(start=cut.start, end=cut.end, user=user),
            Query(start=whole.start, end=whole.end, model=model),
            Query(start=END - timedelta(minutes=50), end=END)]


@pytest.mark.parametrize("by", ["model", "user", "session"])
def test_the_cost_alone_is_the_general_querys_cost(store: duckdb.DuckDBPyConnection,
                                                   by: str) -> None:
    cur = store.cursor()
    for q in _queries(store):
        for raw in (False, True):
            with rollups.raw_only() if raw else nullcontext():
                general = {r["key"]: r["cost_usd"] for r in panels.usage(cur, q, by=by)}
                alone = panels.usage_cost(cur, q, by=by)
            assert {r["key"]: r["cost_usd"] for r in alone} == general, (q, raw)
            assert [r["cost_usd"] for r in alone] == sorted(general.values(), reverse=True)
            limited = panels.usage_cost(cur, q, by=by, limit=2)
            assert limited == alone[:2]

