"""Cumulative sums become deltas that add up to what the counter really counted.

Witness: the counts below are worked out by hand from the points sent. A series that
restarts (a new start time) and then receives a late or retried point of its older
incarnation must not count that point again, nor mistake its next point for a restart.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Server, start_server
from tests.witness import PAST_HOUR_NS, exact_summary, metrics_export, post, sum_point

MIN = 60 * 10**9
LINES = "claude_code.lines_of_code.count"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("deltas") / "data")
    yield s
    s.stop()


def send(srv: Server, session: str, start: int, t: int, value: float) -> None:
    post(srv, "metrics", metrics_export(LINES, [sum_point(
        start, t, value, **{"session.id": session, "type": "added"})]))


def lines_added(srv: Server, session: str) -> int:
    return int(exact_summary(srv, session=session)["lines_added"])


def test_a_retried_point_of_an_older_incarnation_counts_once(srv: Server) -> None:
    """Incarnation 1 (start s1) counts 5, then 7; the process restarts (start s2) and
    counts 3, then 4. The retry of the point (s1, 7) arrives after the restart.
    By hand: incarnation 1 counted 7 lines, incarnation 2 counted 4: 11."""
    session, s1, s2 = "witness-old-incarnation", PAST_HOUR_NS, PAST_HOUR_NS + 30 * MIN
    send(srv, session, s1, s1 + 1 * MIN, 5)
    send(srv, session, s1, s1 + 2 * MIN, 7)
    send(srv, session, s2, s2 + 1 * MIN, 3)
    send(srv, session, s1, s1 + 2 * MIN, 7)  # the retry, late
    send(srv, session, s2, s2 + 2 * MIN, 4)
    assert lines_added(srv, session) == 7 + 4


def test_a_late_point_of_an_older_incarnation_is_not_a_restart(srv: Server) -> None:
    """As above, but the late point of incarnation 1 is one never seen before (a point
    a slow exporter sent after the restart). ccotel drops it (its increment belongs to a
    series that has ended), so by hand: 5 from incarnation 1 as first seen, 3 then +1
    from incarnation 2: 9; above all, never the late point's whole value again."""
    session, s1, s2 = "witness-late-incarnation", PAST_HOUR_NS, PAST_HOUR_NS + 30 * MIN
    send(srv, session, s1, s1 + 1 * MIN, 5)
    send(srv, session, s2, s2 + 1 * MIN, 3)
    send(srv, session, s1, s1 + 2 * MIN, 7)  # late, older incarnation
    send(srv, session, s2, s2 + 2 * MIN, 4)
    assert lines_added(srv, session) == 5 + 3 + 1


def test_a_restart_and_a_reset_are_counted_from_zero(srv: Server) -> None:
    """Start s1: 10 then 12; new start s2: 2 (a restart: +2); same start, value drops to
    1 (a monotonic counter reset without a new start: +1); then 6 (+5). By hand: 20."""
    session, s1, s2 = "witness-restart", PAST_HOUR_NS, PAST_HOUR_NS + 30 * MIN
    send(srv, session, s1, s1 + 1 * MIN, 10)
    send(srv, session, s1, s1 + 2 * MIN, 12)
    send(srv, session, s2, s2 + 1 * MIN, 2)
    send(srv, session, s2, s2 + 2 * MIN, 1)
    send(srv, session, s2, s2 + 3 * MIN, 6)
    assert lines_added(srv, session) == 12 + 2 + 1 + 5
