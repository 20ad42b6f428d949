"""Cumulative sums to deltas (store/deltas.py), the pure step: every expected value below is
worked out by hand from the points given. (End to end, through a server:
test_witness_deltas.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from ccotel.store.deltas import State, point_key, to_deltas
from ccotel.store.rows import CUMULATIVE

DELTA = 1  # OTLP's AGGREGATION_TEMPORALITY_DELTA


def pt(t: int, value: float | None, *, start: int | None = 100, key: str = "s",
       kind: str = "sum", temporality: int = CUMULATIVE, monotonic: bool = True
       ) -> dict[str, Any]:
    return {"series_key": key, "start_unix_nano": start, "time_unix_nano": t, "value": value,
            "kind": kind, "temporality": temporality, "is_monotonic": monotonic}


def values(rows: list[dict[str, Any]]) -> list[tuple[int, float]]:
    return [(r["time_unix_nano"], r["value"]) for r in rows]


def test_the_first_point_counts_whole_then_the_differences() -> None:
    new: State = {}
    out = to_deltas([pt(200, 5.0), pt(300, 7.5), pt(400, 7.5)], {}, new)
    assert values(out) == [(200, 5.0), (300, 2.5), (400, 0.0)]
    assert [r["raw_value"] for r in out] == [5.0, 7.5, 7.5]
    assert new == {"s": (100, 400, 7.5)}


def test_points_are_taken_in_time_order_per_series() -> None:
    out = to_deltas([pt(300, 9.0), pt(200, 4.0, key="t"), pt(200, 6.0), pt(100, 1.0, key="t")],
                    {}, {})
    assert [(r["series_key"], r["time_unix_nano"], r["value"]) for r in out] == [
        ("s", 200, 6.0), ("s", 300, 3.0), ("t", 100, 1.0), ("t", 200, 3.0)]


def test_continues_from_the_stored_state_and_leaves_it_alone() -> None:
    stored: State = {"s": (100, 200, 5.0)}
    new: State = {}
    assert values(to_deltas([pt(300, 8.0)], stored, new)) == [(300, 3.0)]
    assert stored == {"s": (100, 200, 5.0)}
    assert new == {"s": (100, 300, 8.0)}


def test_this_transactions_state_comes_before_the_stored_one() -> None:
    """Two batches of one group commit: the second continues from the first."""
    stored: State = {"s": (100, 200, 5.0)}
    new: State = {"s": (100, 300, 8.0)}
    assert values(to_deltas([pt(400, 10.0)], stored, new)) == [(400, 2.0)]


@pytest.mark.parametrize("t", [200, 150])
def test_a_retry_or_an_older_point_adds_nothing(t: int) -> None:
    new: State = {}
    assert to_deltas([pt(t, 5.0)], {"s": (100, 200, 5.0)}, new) == []
    assert new == {}


def test_a_monotonic_counter_that_drops_was_reset() -> None:
    out = to_deltas([pt(300, 2.0)], {"s": (100, 200, 5.0)}, {})
    assert values(out) == [(300, 2.0)]


def test_a_gauge_like_sum_may_go_down() -> None:
    out = to_deltas([pt(300, 2.0, monotonic=False)], {"s": (100, 200, 5.0)}, {})
    assert values(out) == [(300, -3.0)]


def test_a_new_start_time_is_a_restart() -> None:
    new: State = {}
    out = to_deltas([pt(600, 4.0, start=500)], {"s": (100, 400, 9.0)}, new)
    assert values(out) == [(600, 4.0)]
    assert new == {"s": (500, 600, 4.0)}


def test_a_point_of_an_older_incarnation_is_dropped() -> None:
    new: State = {}
    assert to_deltas([pt(700, 12.0, start=100)], {"s": (500, 600, 4.0)}, new) == []
    assert new == {}


def test_without_start_times_the_differences() -> None:
    out = to_deltas([pt(300, 7.0, start=None)], {"s": (None, 200, 5.0)}, {})
    assert values(out) == [(300, 2.0)]


@pytest.mark.parametrize(("before", "now"), [(None, 500), (500, None)])
def test_a_start_time_appearing_or_going_is_a_restart(before: int | None,
                                                       now: int | None) -> None:
    out = to_deltas([pt(700, 3.0, start=now)], {"s": (before, 600, 9.0)}, {})
    assert values(out) == [(700, 3.0)]


def test_other_points_pass_unchanged() -> None:
    rows = [pt(200, 2.0, temporality=DELTA), pt(200, 3.0, kind="gauge"),
            pt(200, None), pt(200, 1.0, kind="histogram")]
    new: State = {}
    out = to_deltas([dict(r) for r in rows], {"s": (100, 100, 50.0)}, new)
    assert values(out) == [(200, 2.0), (200, 3.0), (200, None), (200, 1.0)]
    assert [r["raw_value"] for r in out] == [2.0, 3.0, None, 1.0]
    assert new == {}


def test_a_retried_commit_computes_from_the_value_as_sent() -> None:
    """A group that failed is committed again batch by batch: the rows already carry
    their delta in `value`; `raw_value` keeps what was sent."""
    rows = [pt(200, 5.0), pt(300, 7.0)]
    to_deltas(rows, {}, {})
    again: State = {}
    assert values(to_deltas(rows, {}, again)) == [(200, 5.0), (300, 2.0)]
    assert again == {"s": (100, 300, 7.0)}


def test_the_point_key_is_series_start_and_time() -> None:
    assert point_key(pt(300, 1.0, start=None)) == ("s", None, 300)
    assert point_key(pt(300, 1.0)) == ("s", 100, 300)


def test_after_a_dropped_point_the_next_ones_still_count() -> None:
    """A retry, then a new point of the same series, then another series."""
    stored: State = {"s": (100, 200, 5.0), "u": (500, 600, 4.0)}
    rows = [pt(150, 4.0), pt(300, 8.0), pt(650, 12.0, start=100, key="u"),
            pt(700, 6.0, start=500, key="u"), pt(100, 1.0, key="v")]
    assert [(r["series_key"], r["value"]) for r in to_deltas(rows, stored, {})] == [
        ("s", 3.0), ("u", 2.0), ("v", 1.0)]
