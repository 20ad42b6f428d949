"""The writer skips the duplicate check of a batch only when it can prove none of its rows
is stored: every row keyed by its session and sequence, and none of those sessions with
events stored, in the hours rolled up or not. Each way a row can be stored already (a
retry after a commit, after a restart, only in rolled-up hours, a write function's rows, a
row keyed by a digest) still runs the check and finds the repeat."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ccotel.otlp.decode import decode_request
from ccotel.store import queries, schema, writer
from ccotel.store.writer import Writer
from tests.store.test_identity import DAY_NS, NOW, api_request

FUTURE = NOW + 2 * DAY_NS  # in hours not rolled up while the test runs
PAST = NOW - 3 * DAY_NS  # a late row: rolled up as it is stored


@pytest.fixture()
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The duplicate checks the writer runs (names of the queries), as it runs them."""
    ran: list[str] = []
    run = queries.run

    def spy(con: Any, name: str, /, **params: Any) -> Any:
        if name.startswith("insert_"):
            ran.append(name)
        return run(con, name, **params)

    monkeypatch.setattr(queries, "run", spy)
    return ran


def _write(w: Writer, session: str | None, time_ns: int, seq: int = 1) -> int:
    body = api_request(session=session, time_ns=time_ns, seq=seq).SerializeToString()
    return w.write_now(decode_request("logs", body, "protobuf")).events


def test_a_new_session_is_stored_without_the_check(tmp_path: Path, checks: list[str]
                                                   ) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "new", FUTURE) == 1
    assert checks == []
    assert _write(w, "new", FUTURE) == 0  # retried after its commit: checked, found
    assert _write(w, "new", FUTURE, seq=2) == 1  # its session has rows now: checked
    assert checks == ["insert_events", "insert_events"]
    w.close()


def test_a_retry_after_a_restart_is_found(tmp_path: Path, checks: list[str]) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "s-1", FUTURE) == 1
    w.close()
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "s-1", FUTURE + DAY_NS) == 0
    assert checks == ["insert_events"]
    w.close()


def test_a_session_stored_only_in_rolled_up_hours_is_checked(tmp_path: Path,
                                                             checks: list[str]) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "old", PAST) == 1  # late: rolled up at once, before `until`
    w.close()
    w = Writer(schema.connect(tmp_path))
    assert "old" not in (w._recent_sessions() or {})  # only events_hourly knows it
    assert _write(w, "old", FUTURE) == 0
    assert checks == ["insert_events"]
    w.close()


def test_rows_a_write_function_stored_are_found(tmp_path: Path, checks: list[str]) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "seen", FUTURE) == 1  # the writer keeps its sessions from here on
    row = decode_request("logs", api_request(session="s-2", time_ns=FUTURE)
                         .SerializeToString(), "protobuf").events[0]

    def insert(con: Any) -> None:
        con.execute("INSERT INTO events (event_key, ts, time_unix_nano, session_id) "
                    "VALUES (?, make_timestamp(?), ?, ?)",
                    [row["event_key"], row["time_unix_nano"] // 1000,
                     row["time_unix_nano"], "s-2"])

    w.write_sync(insert)
    assert _write(w, "s-2", FUTURE) == 0
    assert checks == ["insert_events"]
    w.close()


def test_rows_keyed_by_a_digest_are_always_checked(tmp_path: Path, checks: list[str]
                                                   ) -> None:
    w = Writer(schema.connect(tmp_path))
    assert _write(w, None, FUTURE) == 1
    assert _write(w, None, FUTURE) == 0
    assert checks == ["insert_events", "insert_events"]
    w.close()


def test_more_sessions_than_kept_are_always_checked(tmp_path: Path, checks: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer, "_MAX_RECENT", 1)
    w = Writer(schema.connect(tmp_path))
    assert _write(w, "a", FUTURE) == 1
    assert _write(w, "b", FUTURE) == 1
    assert w._recent_sessions() is None  # the writer no longer knows which are new
    assert _write(w, "c", FUTURE) == 1
    assert _write(w, "a", FUTURE) == 0
    assert checks == ["insert_events", "insert_events"]
    w.close()
