"""An event is identified by Claude Code's `session.id` + `event.sequence`, not by its
content: a retry whose time or attributes differ is still the same event, and two events
that look alike but have different sequences are two events.

Witness: the number of distinct (session.id, event.sequence) pairs sent, counted by hand.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import Server, start_server
from tests.witness import PAST_HOUR_NS, exact_summary, log_record, logs_export, post

SEC = 10**9


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("identity") / "data")
    yield s
    s.stop()


def request(session: str, seq: int, t: int, cost: float, **extra: object) -> dict:
    return log_record(t, "api_request", **{"session.id": session, "event.sequence": seq,
                                           "model": "m", "cost_usd": cost, **extra})


def requests(srv: Server, session: str) -> int:
    return int(exact_summary(srv, session=session)["requests"])


def test_same_sequence_with_other_content_is_one_event(srv: Server) -> None:
    """The same (session, sequence) resent with another cost and attributes, in one export
    and in the next: one event."""
    s, t = "witness-same-seq", PAST_HOUR_NS + 5 * SEC
    post(srv, "logs", logs_export([request(s, 1, t, 0.5),
                                   request(s, 1, t, 0.75, attempt=2, note="resent")]))
    post(srv, "logs", logs_export([request(s, 1, t, 0.25, attempt=3, note="again")]))
    assert requests(srv, s) == 1


def test_same_sequence_at_another_time_is_one_event(srv: Server) -> None:
    """The same (session, sequence) resent with another timestamp (a client that stamps
    its retry anew) in a later export: still one event."""
    s, t = "witness-same-seq-time", PAST_HOUR_NS + 5 * SEC
    post(srv, "logs", logs_export([request(s, 1, t, 0.5)]))
    post(srv, "logs", logs_export([request(s, 1, t + 90 * SEC, 0.5)]))
    assert requests(srv, s) == 1


def test_other_sequences_with_identical_content_are_two_events(srv: Server) -> None:
    """Two requests alike in every attribute and time but their sequence: two events, in
    one export or in two."""
    s, t = "witness-other-seq", PAST_HOUR_NS + 7 * SEC
    post(srv, "logs", logs_export([request(s, 1, t, 0.5), request(s, 2, t, 0.5)]))
    post(srv, "logs", logs_export([request(s, 3, t, 0.5)]))
    got = exact_summary(srv, session=s)
    assert got["requests"] == 3
    assert str(got["cost_usd"]) == "1.5"


def test_a_retried_export_adds_nothing(srv: Server) -> None:
    """The same export twice (what an exporter sends after a lost response)."""
    s, t = "witness-retry", PAST_HOUR_NS + 9 * SEC
    body = logs_export([request(s, i, t + i * SEC, 0.125) for i in range(1, 5)])
    post(srv, "logs", body)
    post(srv, "logs", body)
    got = exact_summary(srv, session=s)
    assert got["requests"] == 4
    assert str(got["cost_usd"]) == "0.5"
