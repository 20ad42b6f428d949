"""/api/v1/limits and the snapshot POST, on a real `ccotel serve`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ccotel.limits import snapshot
from ccotel.limits.ledger import window
from ccotel.store import schema
from ccotel.store.writer import Writer
from tests.conftest import Server
from tests.limits.helpers import post_snapshot, send_requests, statusline_input, utcnow

ALICE = "alice@example.com"


def _ts(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).replace(tzinfo=None)


def test_official_limits_across_machines(server: Server) -> None:
    now = utcnow()
    # Alice works on two machines; her telemetry reaches the server from both sessions.
    send_requests(server.http, ALICE, "s-laptop", [(now - timedelta(minutes=40), 0.5)])
    send_requests(server.http, ALICE, "s-desktop", [(now - timedelta(minutes=10), 0.3)])
    reset5 = (now + timedelta(hours=3)).timestamp()  # 2 of 5 hours gone: 40% elapsed
    reset7 = (now + timedelta(days=5)).timestamp()
    resp = post_snapshot(server.ui, statusline_input("s-laptop", five=(60, reset5),
                                                     seven=(10, reset7)), "laptop",
                         day_start=(now - timedelta(hours=1)).timestamp())
    assert resp.status_code == 200, resp.text
    resp = post_snapshot(server.ui, statusline_input("s-desktop", five=(80, reset5),
                                                     seven=(12, reset7)), "desktop",
                         day_start=(now - timedelta(hours=1)).timestamp())
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["user"] == ALICE
    assert answer["today_cost_usd"] == pytest.approx(0.8)  # both machines' requests

    body = httpx.get(f"{server.ui}/api/v1/limits", timeout=30).json()
    [alice] = body["users"]
    assert alice["user"] == ALICE
    assert alice["hosts"] == ["desktop", "laptop"]
    assert alice["sessions"] == 2
    five = alice["five_hour"]
    assert five["source"] == "official"
    assert five["used_percentage"] == 80  # the latest, whichever machine sent it
    assert five["elapsed_percentage"] == pytest.approx(40, abs=0.5)
    assert five["pace"] == pytest.approx(2.0, rel=0.02)
    # 80% in the window's first 2 hours: 40%/h, so the last 20% go in 30 minutes.
    assert five["percent_per_hour"] == pytest.approx(40, rel=0.02)
    assert abs(_ts(five["projected_exhaustion"]) - (now + timedelta(minutes=30))) \
        < timedelta(minutes=1)
    assert five["cost_usd"] == pytest.approx(0.8)
    assert five["cost_per_percent"] == pytest.approx(0.01)
    seven = alice["seven_day"]
    assert seven["used_percentage"] == 12
    assert seven["projected_exhaustion"] is None  # 12% in 2 days lasts past the reset
    assert seven["pace"] == pytest.approx(0.12 / (2 / 7), rel=0.02)
    assert alice["block"]["isActive"] and alice["block"]["costUSD"] == pytest.approx(0.8)

    only = httpx.get(f"{server.ui}/api/v1/limits", params={"user": "nobody"}, timeout=30)
    assert only.json()["users"] == []


def test_api_key_user_gets_ccotel_block(server: Server) -> None:
    now = utcnow()
    bob = "bob@example.com"
    send_requests(server.http, bob, "s-bob", [(now - timedelta(minutes=50), 0.2),
                                              (now - timedelta(minutes=20), 0.4)])
    # The recorded input has no rate_limits (an API key): ccotel's own block stands in.
    assert post_snapshot(server.ui, statusline_input("s-bob"), "ci").status_code == 200
    # Eve sends telemetry only (no statusline): her block is there too.
    send_requests(server.http, "eve@example.com", "s-eve", [(now - timedelta(minutes=5), 1.0)])
    users = httpx.get(f"{server.ui}/api/v1/limits", timeout=30).json()["users"]
    eve = next(u for u in users if u["user"] == "eve@example.com")
    assert eve["hosts"] == [] and eve["five_hour"]["cost_usd"] == pytest.approx(1.0)
    [entry] = [u for u in users if u["user"] == bob]
    assert entry["user"] == bob and entry["seven_day"] is None
    five = entry["five_hour"]
    assert five["source"] == "block"
    assert five["cost_usd"] == pytest.approx(0.6)
    # $0.60 over the 30 minutes between the block's first and last request: $1.20/h.
    assert five["cost_per_hour"] == pytest.approx(1.2)
    assert five["projected_cost_usd"] > 0.6

    # Three requests within a minute say nothing about an hour: no burn rate and no
    # projection (ccusage's rule would make $0.03 in 40 s into $2.70/h and $13 by the end).
    send_requests(server.http, "frank@example.com", "s-frank",
                  [(now - timedelta(seconds=s), 0.01) for s in (60, 40, 20)])
    users = httpx.get(f"{server.ui}/api/v1/limits", timeout=30).json()["users"]
    frank = next(u for u in users if u["user"] == "frank@example.com")
    assert frank["five_hour"]["cost_usd"] == pytest.approx(0.03)
    assert frank["five_hour"]["cost_per_hour"] is None
    assert frank["five_hour"]["projected_cost_usd"] is None
    assert frank["block"]["burnRate"] is None and frank["block"]["projection"] is None


def test_statusline_user_without_telemetry(server: Server) -> None:
    now = utcnow()
    reset = (now + timedelta(hours=4)).timestamp()
    first = statusline_input("s-quiet", five=(5, reset), cost=1.25)
    r = post_snapshot(server.ui, first, "box", user="carol",
                      day_start=(now - timedelta(hours=2)).timestamp())
    assert r.status_code == 200
    # No telemetry for this session: the account is the user the statusline was told,
    # and the cost comes from the session's own running total.
    assert r.json()["user"] == "carol"
    assert r.json()["today_cost_usd"] == pytest.approx(1.25)
    [entry] = httpx.get(f"{server.ui}/api/v1/limits", timeout=30).json()["users"]
    assert entry["five_hour"]["cost_per_percent"] == pytest.approx(0.25)


@pytest.mark.parametrize("body, status", [
    (b"not json", 400),
    (b"[]", 400),
    (b'{"input": 3}', 400),
    (b'{"input": {}}', 400),  # no session id
    ((b'{"input": {"session_id": "s", "rate_limits": {"five_hour": '
      b'{"used_percentage": 5, "resets_at": 1e300}}}}'), 400),
    (b'{"input": {"session_id": "s", "cost": {"total_cost_usd": -4}}}', 400),
    (b'[' * 100_000, 413),
    (b'{"input": ' * 5000, 400),
])
def test_bad_snapshots_get_a_clear_4xx(server: Server, body: bytes, status: int) -> None:
    resp = httpx.post(f"{server.ui}/api/v1/limits/snapshot", content=body,
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert resp.status_code == status, resp.text
    assert resp.json()["error"]["message"]
    assert httpx.get(f"{server.ui}/api/v1/limits", timeout=30).json()["users"] == []


def test_window_projection_uses_the_recent_rate() -> None:
    now = datetime(2026, 1, 1, 12, 0)
    resets = now + timedelta(hours=4)  # 1 hour into the window
    # 30% now, 10% forty minutes ago: 30%/h, so the other 70% last 2h20m (before the reset).
    w = window("five_hour", 30, resets, now, now, 10, now - timedelta(minutes=40), 3.0)
    assert w["percent_per_hour"] == pytest.approx(30)
    assert w["projected_exhaustion"] == "2026-01-01T14:20:00Z"
    assert w["pace"] == pytest.approx(1.5)
    assert w["cost_per_percent"] == pytest.approx(0.1)
    # The same window seen after its reset: nothing of the next one is known.
    later = window("five_hour", 30, resets, now, resets + timedelta(minutes=1))
    assert later["used_percentage"] == 0 and later["reset_since_update"]
    # Already at 100%: exhausted at the snapshot.
    assert window("five_hour", 100, resets, now, now)["projected_exhaustion"] == \
        "2026-01-01T12:00:00Z"


def test_one_snapshot_per_session_and_minute(tmp_path: Path) -> None:
    w = Writer(schema.connect(tmp_path))
    t0 = datetime(2026, 1, 1, 12, 0, 5)
    for seconds, session, pct in ((0, "a", 1), (20, "a", 2), (40, "b", 3), (70, "a", 4)):
        row, _ = snapshot.parse({"input": statusline_input(session, five=(pct, 1.9e9))},
                                now=t0 + timedelta(seconds=seconds))
        w.write_sync(lambda con, r=row: snapshot.insert(con, [r]))  # type: ignore[misc]
    kept = w.cursors().execute("SELECT session_id, five_hour_pct FROM limit_snapshots "
                               "ORDER BY ts").fetchall()
    assert kept == [("a", 2.0), ("b", 3.0), ("a", 4.0)]  # a's 12:00 kept its latest
    w.close()


def test_a_schema_3_store_gains_the_snapshots_table(tmp_path: Path) -> None:
    con = schema.connect(tmp_path)
    con.execute("DROP TABLE limit_snapshots")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    con.close()
    con = schema.connect(tmp_path)  # as `ccotel serve` opens it: migrated
    assert schema.stored_version(con) == schema.SCHEMA_VERSION
    assert con.execute("SELECT count(*) FROM limit_snapshots").fetchone() == (0,)
    con.close()
