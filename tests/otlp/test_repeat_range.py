"""Where the writer looks for a batch's repeats: a session with nothing stored is checked
against the batch's own times only (a live stream is not checked against the whole hour),
and a session with events stored in the hours not rolled up yet is still found however
different the time its repeat came with: after commits, a restart, a write function, and
with more sessions than the writer keeps."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ccotel.otlp.decode import decode_request
from ccotel.store import schema, writer
from ccotel.store.writer import Writer
from tests.store.test_identity import DAY_NS, NOW, api_request, span

FUTURE = NOW + 2 * DAY_NS  # never rolled up while the test runs


def _write(w: Writer, session: str, time_ns: int, seq: int = 1) -> int:
    body = api_request(session=session, time_ns=time_ns, seq=seq).SerializeToString()
    return w.write_now(decode_request("logs", body, "protobuf")).events


def _count(w: Writer) -> int:
    (n,) = w.cursors().execute("SELECT count(*) FROM events").fetchone()
    return int(n)


def test_a_new_session_is_checked_against_its_own_times_only(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "old", FUTURE) == 1
    rows = decode_request("logs", api_request(session="new", time_ns=FUTURE + 10**9)
                          .SerializeToString(), "protobuf").events
    times = [rows[0]["time_unix_nano"] // 1000]
    own = w._repeat_range(times, {"new"})
    assert own["lo"] == own["hi"]  # the batch's own instant, not the hours since `until`
    wide = w._repeat_range(times, {"old"})
    assert wide["lo"] < own["lo"] and wide["hi"].year == 9999
    w.close()


def test_repeats_in_hours_not_rolled_up_are_found_at_any_time(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "s-1", FUTURE) == 1
    assert _write(w, "s-1", FUTURE - DAY_NS) == 0  # earlier than its first copy
    assert _write(w, "s-1", FUTURE + DAY_NS) == 0
    assert _write(w, "s-1", FUTURE + DAY_NS, seq=2) == 1
    w.close()
    w = Writer(schema.connect(tmp_path))  # read again from the store after a restart
    assert _write(w, "s-1", FUTURE - 3 * DAY_NS) == 0
    assert _count(w) == 2
    w.close()


def test_events_a_write_function_stored_are_found(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "seen", FUTURE) == 1  # the writer keeps its sessions from here on
    stored = decode_request("logs", api_request(session="s-2", time_ns=FUTURE)
                            .SerializeToString(), "protobuf").events[0]
    stored["ts"] = stored["time_unix_nano"] // 1000

    def insert(con: Any) -> None:
        con.execute("INSERT INTO events (event_key, ts, time_unix_nano, session_id) "
                    "VALUES (?, make_timestamp(?), ?, ?)",
                    [stored["event_key"], stored["ts"], stored["time_unix_nano"], "s-2"])

    w.write_sync(insert)
    assert _write(w, "s-2", FUTURE - DAY_NS) == 0
    assert _count(w) == 2
    w.close()


def test_spans_of_a_session_without_events_are_found(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))

    def spans(start: int) -> int:
        body = span(session="s-3", start_ns=start, end_ns=start + 5).SerializeToString()
        return w.write_now(decode_request("traces", body, "protobuf")).spans

    assert spans(FUTURE) == 1
    assert spans(FUTURE + DAY_NS) == 0
    w.close()
    w = Writer(schema.connect(tmp_path))  # read again from the store: spans count too
    assert spans(FUTURE - DAY_NS) == 0
    w.close()


def test_sessions_ahead_of_the_rolled_up_hours_are_kept_as_they_move_on(tmp_path: Path
                                                                          ) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "s-4", FUTURE) == 1
    assert w._recent_sessions() == {"s-4": FUTURE // 1000}
    w.maintenance.until += timedelta(hours=1)  # as an hour's end rolls it up
    assert _write(w, "s-4", FUTURE + DAY_NS) == 0
    assert w._recent_sessions() == {"s-4": FUTURE // 1000}
    w.close()


def test_more_sessions_than_kept_fall_back_to_every_hour(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    monkeypatch.setattr(writer, "_MAX_RECENT", 2)
    w = Writer(schema.connect(tmp_path))
    for i in range(4):
        assert _write(w, f"s-{i}", FUTURE + i) == 1
    assert w._recent_sessions() is None
    for i in range(4):
        assert _write(w, f"s-{i}", FUTURE + DAY_NS) == 0
    w.close()
    w = Writer(schema.connect(tmp_path))  # too many in the store as well
    assert _write(w, "s-0", FUTURE - DAY_NS) == 0
    assert w._recent_sessions() is None
    assert _count(w) == 4
    w.close()
